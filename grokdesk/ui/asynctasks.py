"""Running coroutines from Qt code on the qasync loop, with errors never lost.

Every task started here is referenced until it ends (the event loop keeps only weak
references, so a task nobody holds could be collected half-way). A component that
starts tasks it must wind down owns a `Tasks`: at shutdown it cancels its reads and
waits for its writes, chosen by `Kind`, never by task name.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger("grokdesk.ui")

T = TypeVar("T")

# Strong references to every running task (the loop holds only weak ones); a task
# leaves the set when it ends.
_running: set[asyncio.Task[Any]] = set()


class Kind(enum.Enum):
    """What cancelling a task would cost, which decides what an owner does at shutdown."""

    # Fetches or shows something (a list, a search, a summary): safe to cancel, it can be asked again.
    READ = "read"
    # Changes or saves something the user did (rename, delete, import, a stopped reply being
    # saved): cancelling it could drop the store call before it ran, so it is awaited.
    WRITE = "write"


def install_asyncgen_hooks(loop: asyncio.AbstractEventLoop) -> None:
    """qasync never installs asyncio's async-generator hooks; without them httpx
    streams left early are finalised by the garbage collector outside the loop ("async
    generator ignored GeneratorExit", "no running event loop"); `aclosing()` is not enough."""
    sys.set_asyncgen_hooks(
        firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
        finalizer=loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
    )


def spawn(coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
    """Start `coro` as a task on the running loop, referenced until it ends; an unexpected
    exception is logged (and so fails the test that caused it) instead of vanishing with the task."""
    task = asyncio.get_event_loop().create_task(coro, name=name)
    _running.add(task)
    task.add_done_callback(_running.discard)
    task.add_done_callback(_report_failure)
    return task


class Tasks:
    """The tasks one component started, each with its `Kind`."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], Kind] = {}

    def spawn(self, coro: Coroutine[Any, Any, T], *, kind: Kind, name: str | None = None) -> asyncio.Task[T]:
        task = spawn(coro, name=name)
        self._tasks[task] = kind
        task.add_done_callback(self._forget)
        return task

    def running(self, kind: Kind | None = None) -> list[asyncio.Task[Any]]:
        return [t for t, k in self._tasks.items() if kind is None or k is kind]

    def cancel(self, kind: Kind) -> None:
        for task in self.running(kind):
            task.cancel()

    async def wind_down(self) -> None:
        """Cancel the reads and wait until every task has ended (writes run to their end)."""
        self.cancel(Kind.READ)
        await asyncio.gather(*self.running(), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.pop(task, None)


def _report_failure(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("background task %s failed", task.get_name(), exc_info=exc)
