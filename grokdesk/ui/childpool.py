"""A pool of child processes for work that would hold the UI process's interpreter lock.

Decoding and checking a 12-megapixel photo keeps a thread busy for a tenth of a second
or more, much of it in Python or holding the lock between C calls; the UI thread then
waits for the lock and its frames stall. In a child process that work runs beside the
UI, and the children run at a lower CPU priority (`core.childprocess.start_child`), so
on a busy machine the UI thread gets the CPU first, which threads of one process
cannot arrange (a low-priority thread holding the lock stalls the UI all the same).

Children are started with "spawn" (never fork: this process has Qt threads whose locks
a forked child would inherit held), lazily on first use, and stopped when the
application quits. In a frozen build `multiprocessing.freeze_support()` in `app.main`
turns the executable started again into the child. When the pool cannot start or
breaks, `executor()` answers None from then on and the caller does the work itself
(on a thread), which is logged once.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor

from PySide6.QtCore import QCoreApplication, QObject

from grokdesk.core.childprocess import start_child

log = logging.getLogger(__name__)


def spawn_pool(workers: int) -> Callable[[], Executor]:
    def make() -> Executor:
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=start_child
        )

    return make


class ChildPool:
    """A lazily started pool of child processes (thread-safe)."""

    def __init__(self, name: str, make_pool: Callable[[], Executor]) -> None:
        self.name = name
        self._make_pool = make_pool
        self._lock = threading.Lock()
        self._pool: Executor | None = None
        self._failed = False
        self._closed = False

    @property
    def started(self) -> bool:
        with self._lock:
            return self._pool is not None

    def executor(self) -> Executor | None:
        """The pool (started now if need be), or None once it failed or was closed."""
        with self._lock:
            if self._failed or self._closed:
                return None
            if self._pool is None:
                try:
                    self._pool = self._make_pool()
                except (OSError, RuntimeError, ValueError) as error:
                    self._failed = True
                    log.info("%s runs in this process: no child process (%s)", self.name, error)
                    return None
            return self._pool

    def give_up(self, error: BaseException) -> None:
        """The pool broke (a child died, or it could not start one): stop using it."""
        with self._lock:
            if self._closed:
                return
            already, self._failed = self._failed, True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if not already:
            log.info("%s runs in this process: the child process failed (%r)", self.name, error)

    def close(self) -> None:
        """Stop the children (at quit): waits for the work they are on, drops the rest."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class _Holder(QObject):
    def __init__(self, parent: QObject, pool: ChildPool) -> None:
        super().__init__(parent)
        self.setObjectName(_holder_name(pool.name))
        self.pool = pool


def _holder_name(name: str) -> str:
    return f"grokdesk-child-pool-{name}"


def app_child_pool(name: str, make_pool: Callable[[], Executor]) -> ChildPool:
    """The application's pool called `name` (made with `make_pool` the first time),
    closed when the application quits; a private one when there is no application."""
    app = QCoreApplication.instance()
    if app is None:
        return ChildPool(name, make_pool)
    holder = app.findChild(_Holder, _holder_name(name))
    if holder is None:
        holder = _Holder(app, ChildPool(name, make_pool))
        app.aboutToQuit.connect(holder.pool.close)
    return holder.pool


def close_app_child_pools() -> None:
    """Stop every pool of the application now (what quitting does; for test sessions)."""
    app = QCoreApplication.instance()
    if app is None:
        return
    for holder in app.findChildren(_Holder):
        holder.pool.close()
