"""A pool of child processes for work that would hold the UI process's interpreter lock.

Decoding and checking a 12-megapixel photo keeps a thread busy for a tenth of a second
or more, much of it in Python or holding the lock between C calls; the UI thread then
waits for the lock and its frames stall. In a child process that work runs beside the
UI, and the children run at a lower CPU priority (`core.childprocess.start_child`), so
on a busy machine the UI thread gets the CPU first, which threads of one process
cannot arrange (a low-priority thread holding the lock stalls the UI all the same).

Children are started with "spawn" (never fork: this process has Qt threads whose locks
a forked child would inherit held), lazily on first use, and stopped when the
application quits or after a while with nothing to do (each holds tens of MiB). In a frozen build `multiprocessing.freeze_support()` in `app.main`
turns the executable started again into the child. When the pool cannot start or
breaks, `executor()` answers None from then on and the caller does the work itself
(on a thread), which is logged once.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject

from grokdesk.core.childprocess import start_child

log = logging.getLogger(__name__)

T = TypeVar("T")
# Children left with nothing to do are stopped after this long (started again when needed).
IDLE_STOP_S = 60.0


def spawn_pool(workers: int) -> Callable[[], Executor]:
    def make() -> Executor:
        # Imported when the first child starts: concurrent.futures.process (with
        # multiprocessing's connections and queues) cost the first paint ~5 ms.
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=start_child
        )

    return make


class ChildPool:
    """A lazily started pool of child processes (thread-safe)."""

    def __init__(
        self, name: str, make_pool: Callable[[], Executor], idle_stop_s: float | None = IDLE_STOP_S
    ) -> None:
        self.name = name
        self._make_pool = make_pool
        self._idle_stop_s = idle_stop_s
        self._lock = threading.Lock()
        self._pool: Executor | None = None
        self._failed = False
        self._closed = False
        self._busy = 0
        self._idle_timer: threading.Timer | None = None

    @property
    def started(self) -> bool:
        with self._lock:
            return self._pool is not None

    @property
    def unavailable(self) -> bool:
        """True once the work is done in this process (no child could start, one broke, or closed)."""
        with self._lock:
            return self._failed or self._closed

    def executor(self) -> Executor | None:
        """The pool (started now if need be), or None once it failed or was closed."""
        with self._lock:
            return self._executor()

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Future[T] | None:
        """`fn(*args)` in a child, or None when there is no pool (do it here instead).
        The first submissions start the children: call it from a worker thread. Raises
        what the pool's own `submit` raises (it broke)."""
        with self._lock:
            executor = self._executor()
            if executor is None:
                return None
            future = executor.submit(fn, *args)
            self._busy += 1
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
        future.add_done_callback(self._finished)
        return future

    def _executor(self) -> Executor | None:
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

    def _finished(self, _future: Future[Any]) -> None:
        with self._lock:
            self._busy -= 1
            if self._busy or self._pool is None or self._idle_timer is not None or self._idle_stop_s is None:
                return
            self._idle_timer = threading.Timer(self._idle_stop_s, self._stop_idle)
            self._idle_timer.daemon = True
            self._idle_timer.start()

    def _stop_idle(self) -> None:
        with self._lock:
            self._idle_timer = None
            if self._busy:
                return
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

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
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class _Holder(QObject):
    def __init__(self, parent: QObject, pool: ChildPool) -> None:
        super().__init__(parent)
        self.setObjectName(_holder_name(pool.name))
        self.pool = pool


def _holder_name(name: str) -> str:
    return f"grokdesk-child-pool-{name}"


def app_child_pool(
    name: str, make_pool: Callable[[], Executor], idle_stop_s: float | None = IDLE_STOP_S
) -> ChildPool:
    """The application's pool called `name` (made with `make_pool` the first time),
    closed when the application quits; a private one when there is no application."""
    app = QCoreApplication.instance()
    if app is None:
        return ChildPool(name, make_pool, idle_stop_s)
    holder = app.findChild(_Holder, _holder_name(name))
    if holder is None:
        holder = _Holder(app, ChildPool(name, make_pool, idle_stop_s))
        app.aboutToQuit.connect(holder.pool.close)
    return holder.pool


def app_child_pool_states() -> dict[str, str]:
    """Each application pool by name: "in a child" (started, working), "in this process"
    (no child could start, one broke, or closed) or "not started"."""
    app = QCoreApplication.instance()
    states: dict[str, str] = {}
    for holder in app.findChildren(_Holder) if app is not None else []:
        pool = holder.pool
        if pool.unavailable:
            states[pool.name] = "in this process"
        else:
            states[pool.name] = "in a child" if pool.started else "not started"
    return states


def close_app_child_pools() -> None:
    """Stop every pool of the application now (what quitting does; for test sessions)."""
    app = QCoreApplication.instance()
    if app is None:
        return
    for holder in app.findChildren(_Holder):
        holder.pool.close()
