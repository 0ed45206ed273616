"""Running async client code in plain (non-Qt) unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

from grokdesk.api.errors import ApiError
from grokdesk.api.events import ContentDelta, ReasoningDelta, StreamEvent

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """`asyncio.run` with a safety timeout so a hung test fails instead of blocking the suite."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


async def collect(events: AsyncIterator[StreamEvent]) -> tuple[list[StreamEvent], ApiError | None]:
    """Every event of a stream and the ApiError that ended it (None when it finished)."""
    seen: list[StreamEvent] = []
    try:
        async for event in events:
            seen.append(event)
    except ApiError as error:
        return seen, error
    return seen, None


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ContentDelta))


def reasoning_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ReasoningDelta))
