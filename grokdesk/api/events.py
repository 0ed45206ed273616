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
    """The latest non-null usage seen so far (reference §2.3, §8 quirk 2)."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class Finished:
    reason: str | None


StreamEvent = ContentDelta | ReasoningDelta | UsageUpdate | Finished
