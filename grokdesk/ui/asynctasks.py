"""Running coroutines from Qt code on the qasync loop, with errors never lost."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("grokdesk.ui")


def install_asyncgen_hooks(loop: asyncio.AbstractEventLoop) -> None:
    """qasync never installs asyncio's async-generator hooks; without them httpx
    streams left early are finalised by the garbage collector outside the loop ("async
    generator ignored GeneratorExit", "no running event loop"); `aclosing()` is not enough."""
    sys.set_asyncgen_hooks(
        firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
        finalizer=loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
    )


def spawn(coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
    """Start `coro` as a task on the running loop; an unexpected exception is logged
    (and so fails the test that caused it) instead of vanishing with the task."""
    task = asyncio.get_event_loop().create_task(coro, name=name)
    task.add_done_callback(_report_failure)
    return task


def _report_failure(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("background task %s failed", task.get_name(), exc_info=exc)
