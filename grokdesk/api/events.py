"""Typed events of one streamed chat reply."""

from __future__ import annotations

from dataclasses import dataclass

from grokdesk.core.conversation import Usage


@dataclass(frozen=True, slots=True)
class ContentDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class UsageUpdate:
    """The latest non-null usage seen so far (usage may arrive on any chunk, not only
    the last)."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class Finished:
    reason: str | None


StreamEvent = ContentDelta | ReasoningDelta | UsageUpdate | Finished
