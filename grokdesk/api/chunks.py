"""Reading chat-completion chunks and replies, tolerant of every recorded shape.

Shapes seen from xAI between 2024 and 2026: usage on any chunk (keep the last non-null) or
in a chunk with `"choices": []`; empty or missing deltas; `role` only in the first
delta or in every one; text in the same chunk as `finish_reason`;
`reasoning_content` as its own channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from grokdesk.api.errors import stream_error_from_event
from grokdesk.api.events import ContentDelta, ReasoningDelta, StreamEvent, UsageUpdate
from grokdesk.core.conversation import Usage


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def parse_usage(value: object) -> Usage | None:
    """A Usage from the API's usage object; None for null or anything that is not one."""
    if not isinstance(value, Mapping):
        return None
    prompt_details = _mapping(value.get("prompt_tokens_details"))
    completion_details = _mapping(value.get("completion_tokens_details"))
    return Usage(
        prompt_tokens=_int(value.get("prompt_tokens")),
        completion_tokens=_int(value.get("completion_tokens")),
        reasoning_tokens=_int(completion_details.get("reasoning_tokens")),
        cached_tokens=_int(prompt_details.get("cached_tokens")),
        image_tokens=_int(prompt_details.get("image_tokens")),
        total_tokens=_int(value.get("total_tokens")),
    )


def _first_choice(chunk: Mapping[str, object]) -> Mapping[str, object]:
    """Choice 0, or an empty mapping when `choices` is missing, null or empty (the usage
    chunk has `"choices": []`; indexing it blindly crashes)."""
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return {}
    for choice in choices:
        if isinstance(choice, Mapping) and _int(choice.get("index")) == 0:
            return choice
    return {}


@dataclass(slots=True)
class ChunkContent:
    """What one stream chunk carries."""

    deltas: list[ContentDelta | ReasoningDelta] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None


def read_chunk(chunk: Mapping[str, object]) -> ChunkContent:
    choice = _first_choice(chunk)
    delta = _mapping(choice.get("delta"))
    content = ChunkContent(usage=parse_usage(chunk.get("usage")))
    reasoning = delta.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        content.deltas.append(ReasoningDelta(reasoning))
    text = delta.get("content")
    if isinstance(text, str) and text:
        content.deltas.append(ContentDelta(text))
    reason = choice.get("finish_reason")
    if isinstance(reason, str) and reason:
        content.finish_reason = reason
    return content


def is_error_event(chunk: Mapping[str, object]) -> bool:
    """An error object inside a 200 stream has `error` and no `choices`."""
    return "error" in chunk and not chunk.get("choices")


@dataclass(frozen=True, slots=True)
class ChatCompletion:
    """A whole (non-streamed) reply."""

    text: str
    reasoning: str = ""
    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None


def read_completion(body: Mapping[str, object]) -> ChatCompletion:
    choice = _first_choice(body)
    message = _mapping(choice.get("message"))
    text = message.get("content")
    reasoning = message.get("reasoning_content")
    reason = choice.get("finish_reason")
    model = body.get("model")
    return ChatCompletion(
        text=text if isinstance(text, str) else "",
        reasoning=reasoning if isinstance(reasoning, str) else "",
        usage=parse_usage(body.get("usage")),
        finish_reason=reason if isinstance(reason, str) else None,
        model=model if isinstance(model, str) else None,
    )


class ChatStreamReader:
    """Turns chat-completion chunks into stream events, one chunk at a time."""

    def __init__(self, api_key: str | None = None) -> None:
        self._api_key = api_key
        self._last_usage: Usage | None = None
        self.finish_reason: str | None = None

    @property
    def complete(self) -> bool:
        return self.finish_reason is not None

    def read(self, chunk: Mapping[str, object]) -> list[StreamEvent]:
        if is_error_event(chunk):
            raise stream_error_from_event(chunk, api_key=self._api_key)
        content = read_chunk(chunk)
        events: list[StreamEvent] = list(content.deltas)
        # Usage may come on any chunk, not always the last; the last non-null one counts.
        if content.usage is not None and content.usage != self._last_usage:
            self._last_usage = content.usage
            events.append(UsageUpdate(content.usage))
        self.finish_reason = content.finish_reason or self.finish_reason
        return events
