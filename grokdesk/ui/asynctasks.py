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
import weakref
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
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


# The loops given our own executor for `asyncio.to_thread` (see use_one_worker_thread).
_worker_threads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor] = (
    weakref.WeakKeyDictionary()
)


def use_one_worker_thread(loop: asyncio.AbstractEventLoop) -> None:
    """Run what `asyncio.to_thread` sends off the UI thread (request bodies of the whole
    conversation, their JSON) on one thread of our own. qasync's default executor spreads
    it over ten threads, and glibc gives each thread its own malloc arena that keeps its
    peak: 13.8 MiB more resident memory after 50 long replies (2.6 MiB on one thread),
    growing with the conversation."""
    if loop in _worker_threads:
        return
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grokdesk-worker")
    loop.set_default_executor(executor)  # shut down by the loop when it closes
    _worker_threads[loop] = executor


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
