"""Child-process pools that fail, for the tests of the in-process fallback."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any


class FailingPool(Executor):
    """A pool whose child died: every submission raises."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        raise BrokenProcessPool("the child died")


def no_pool() -> Executor:
    """A pool that cannot start a child."""
    raise OSError("no process for you")
