"""LaTeX to SVG in one child process.

ziamath is pure Python: on a thread it would hold the interpreter lock that the UI
thread needs, for 20-60 ms a formula. In a child process it runs beside the UI.
The child is started with "spawn" (never fork: this process has Qt threads whose
locks a forked child would inherit held), lazily on the first formula, and shut
down when the application quits. If it cannot start or dies, formulas are typeset
on the calling thread as before, and that is logged once.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from PySide6.QtCore import QCoreApplication, QObject

from grokdesk.core.childprocess import start_child
from grokdesk.core.mathsvg import LatexSvg, latex_svg

log = logging.getLogger(__name__)

HOLDER_NAME = "grokdesk-math-process"


def _spawn_pool() -> Executor:
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=start_child
    )


class MathProcess:
    """Typesets LaTeX to SVG in a child process (thread-safe; blocking calls)."""

    def __init__(self, make_pool: Callable[[], Executor] = _spawn_pool) -> None:
        self._make_pool = make_pool
        self._lock = threading.Lock()
        self._pool: Executor | None = None
        self._failed = False
        self._closed = False

    @property
    def started(self) -> bool:
        with self._lock:
            return self._pool is not None

    @property
    def in_process(self) -> bool:
        """True once formulas are typeset on the caller's thread (no child, or closed)."""
        with self._lock:
            return self._failed or self._closed

    def svg(self, latex: str, size: float, display: bool) -> LatexSvg | None:
        """The formula as SVG, or None when it cannot be typeset. Blocks the calling
        thread (never the UI thread) while the child works; waiting releases the lock."""
        pool = self._ensure_pool()
        if pool is not None:
            try:
                return pool.submit(latex_svg, latex, size, display).result()
            except (OSError, BrokenProcessPool, RuntimeError) as error:
                # RuntimeError: the pool was shut down meanwhile (the application quits).
                self._give_up(error)
        return latex_svg(latex, size, display)

    def close(self) -> None:
        """Stop the child (at quit): waits for the formula it is on, drops the rest."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _ensure_pool(self) -> Executor | None:
        with self._lock:
            if self._failed or self._closed:
                return None
            if self._pool is None:
                try:
                    self._pool = self._make_pool()
                except (OSError, RuntimeError, ValueError) as error:
                    self._failed = True
                    log.info("math is typeset in this process: no child process (%s)", error)
                    return None
            return self._pool

    def _give_up(self, error: BaseException) -> None:
        with self._lock:
            if self._closed:
                return
            already, self._failed = self._failed, True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if not already:
            log.info("math is typeset in this process: the child process failed (%r)", error)


class _Holder(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName(HOLDER_NAME)
        self.process = MathProcess()


def app_math_process() -> MathProcess:
    """The application's one math process (one child for every view), closed when the
    application quits; a private one when there is no application."""
    app = QCoreApplication.instance()
    if app is None:
        return MathProcess()
    holder = app.findChild(_Holder, HOLDER_NAME)
    if holder is None:
        holder = _Holder(app)
        app.aboutToQuit.connect(holder.process.close)
    return holder.process


def close_app_math_process() -> None:
    """Stop the application's math process now (what quitting does; for test sessions)."""
    app = QCoreApplication.instance()
    holder = app.findChild(_Holder, HOLDER_NAME) if app is not None else None
    if holder is not None:
        holder.process.close()
