"""Typed events of one streamed chat reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grokdesk.core.conversation import Usage
from grokdesk.core.imagetool import ToolImage
from grokdesk.core.sources import Source
from grokdesk.core.tools import ToolCall


@dataclass(frozen=True, slots=True)
class ContentDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """Reasoning text: `reasoning_content`, or a reasoning summary on the Responses API."""

    text: str


@dataclass(frozen=True, slots=True)
class UsageUpdate:
    """The latest non-null usage seen so far (usage may arrive on any chunk, not only
    the last)."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """A server-side tool call began (or arrived already complete, then Finished follows)."""

    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolCallFinished:
    """A server-side tool call ended; `call` holds everything known about it."""

    call: ToolCall


@dataclass(frozen=True, slots=True)
class SourceCited:
    """A URL the reply cites (each URL once per reply)."""

    source: Source


@dataclass(frozen=True, slots=True)
class ProviderItem:
    """An output item to send back verbatim with later turns (encrypted reasoning)."""

    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImageMade:
    """The image_generation tool made an image mid-reply: its bytes and the tool's prompt."""

    image: ToolImage


@dataclass(frozen=True, slots=True)
class Finished:
    reason: str | None


StreamEvent = (
    ContentDelta
    | ReasoningDelta
    | UsageUpdate
    | ToolCallStarted
    | ToolCallFinished
    | SourceCited
    | ProviderItem
    | ImageMade
    | Finished
)
