"""LaTeX to SVG in one child process.

ziamath is pure Python: on a thread it would hold the interpreter lock that the UI
thread needs, for 20-60 ms a formula. In a child process it runs beside the UI.
The child is started with "spawn" (never fork: this process has Qt threads whose
locks a forked child would inherit held), lazily on the first formula, and shut
down when the application quits (it is kept while idle: starting it again means
importing ziamath again, seconds before the next formula). The pool's lifecycle is
`ui.childpool.ChildPool`'s: if the child cannot start or dies, formulas are typeset on
the calling thread as before, and that is logged once.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor

from grokdesk.core.mathsvg import LatexSvg, latex_svg
from grokdesk.ui.childpool import ChildPool, app_child_pool, spawn_pool

POOL_NAME = "math typesetting"
# One child: formulas are typeset one at a time, each in tens of milliseconds.
SPAWN_ONE = spawn_pool(1)


class MathProcess:
    """Typesets LaTeX to SVG in a child process (thread-safe; blocking calls)."""

    def __init__(
        self, make_pool: Callable[[], Executor] = SPAWN_ONE, *, children: ChildPool | None = None
    ) -> None:
        self._children = children or ChildPool(POOL_NAME, make_pool, idle_stop_s=None)

    @property
    def started(self) -> bool:
        return self._children.started

    @property
    def in_process(self) -> bool:
        """True once formulas are typeset on the caller's thread (no child, or closed)."""
        return self._children.unavailable

    def svg(self, latex: str, size: float, display: bool) -> LatexSvg | None:
        """The formula as SVG, or None when it cannot be typeset. Blocks the calling
        thread (never the UI thread) while the child works; waiting releases the lock."""
        try:
            future = self._children.submit(latex_svg, latex, size, display)
            if future is not None:
                return future.result()
        except (OSError, BrokenExecutor, RuntimeError) as error:  # BrokenProcessPool: the child died
            # RuntimeError: the pool was shut down meanwhile (the application quits).
            self._children.give_up(error)
        return latex_svg(latex, size, display)

    def close(self) -> None:
        """Stop the child (at quit): waits for the formula it is on, drops the rest."""
        self._children.close()


def app_math_process() -> MathProcess:
    """The application's one math process (one child for every view), closed when the
    application quits; a private one when there is no application."""
    return MathProcess(children=app_child_pool(POOL_NAME, SPAWN_ONE, idle_stop_s=None))
