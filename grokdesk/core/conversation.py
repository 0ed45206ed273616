"""Conversations, messages and their parts: the domain every layer shares.

A message is an ordered list of parts (text and images in any order), because the
xAI API accepts text and images interleaved in one message, in any order.
Notices (errors, hints) live in the same list so that they appear where they
happened, but they carry `Role.NOTICE` and are never sent to the API.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from grokdesk.core.sources import Source
from grokdesk.core.tools import SearchFilters, ToolCall
from grokdesk.core.versions import VersionTree


def new_id() -> str:
    """A fresh opaque identifier for a conversation, message or attachment."""
    return uuid.uuid4().hex


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    # Shown in the transcript, stored, never sent to the API.
    NOTICE = "notice"

    @property
    def is_sent(self) -> bool:
        return self is not Role.NOTICE


class MessageState(StrEnum):
    COMPLETE = "complete"
    STREAMING = "streaming"
    STOPPED = "stopped"  # the user pressed Stop; what arrived is kept
    FAILED = "failed"  # an error ended it; what arrived is kept
    INTERRUPTED = "interrupted"  # found still "streaming" at start: the app died mid-reply


class ImageDetail(StrEnum):
    AUTO = "auto"
    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """A checked JPEG or PNG image. `data` holds the exact bytes that were checked."""

    sha256: str
    mime: str  # "image/jpeg" or "image/png", judged from the bytes
    name: str
    width: int
    height: int
    data: bytes = field(repr=False, compare=False)
    detail: ImageDetail = ImageDetail.AUTO
    # The server's reason when it refused this image; a rejected image is left out
    # of later requests so it cannot poison the conversation (the history is resent every
    # turn, so a refused image would fail every later turn).
    rejected: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


Part = TextPart | ImagePart


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage of one reply, as the API reports it.

    On reasoning models `completion_tokens` excludes `reasoning_tokens` and
    `total_tokens = prompt + completion + reasoning`.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    image_tokens: int = 0
    total_tokens: int = 0
    # The API's own price of the turn, tools included (1 USD = 10^10 ticks); 0 when not reported.
    cost_in_usd_ticks: int = 0
    # Server-side tool calls of the turn, by kind.
    web_search_calls: int = 0
    x_search_calls: int = 0
    code_calls: int = 0

    @property
    def tool_calls(self) -> int:
        return self.web_search_calls + self.x_search_calls + self.code_calls


@dataclass(slots=True)
class Message:
    role: Role
    parts: list[Part] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    model: str | None = None
    state: MessageState = MessageState.COMPLETE
    finish_reason: str | None = None
    usage: Usage | None = None
    error: str | None = None
    reasoning: str = ""
    # Server-side tool calls (searches, code runs) made for this reply, in order.
    tools: list[ToolCall] = field(default_factory=list)
    # The URLs the reply cites, once each.
    sources: list[Source] = field(default_factory=list)
    # Opaque output items (encrypted reasoning) sent back with later turns.
    provider_items: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def text(cls, role: Role, text: str, **kwargs: object) -> Message:
        return cls(role, [TextPart(text)], **kwargs)  # type: ignore[arg-type]

    @property
    def plain_text(self) -> str:
        """All text parts joined, images left out."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def images(self) -> list[ImagePart]:
        return [p for p in self.parts if isinstance(p, ImagePart)]

    def append_text(self, text: str) -> None:
        """Append streamed text, growing the last text part."""
        if self.parts and isinstance(self.parts[-1], TextPart):
            self.parts[-1] = TextPart(self.parts[-1].text + text)
        else:
            self.parts.append(TextPart(text))


@dataclass(slots=True)
class ConversationSettings:
    """Per-conversation request settings; defaults come from the app settings."""

    system_prompt: str = ""
    # Models know nothing after their cutoff: add today's date and time by default.
    add_datetime: bool = True
    temperature: float | None = None
    max_completion_tokens: int | None = None
    reasoning_effort: str | None = None
    # Server-side tools for this conversation's turns.
    web_search: bool = False
    x_search: bool = False
    code_execution: bool = False
    filters: SearchFilters = field(default_factory=SearchFilters)


@dataclass(slots=True)
class Conversation:
    title: str = ""
    model: str = ""
    # The shown branch: what the transcript shows and what is sent (see core.versions).
    messages: list[Message] = field(default_factory=list)
    settings: ConversationSettings = field(default_factory=ConversationSettings)
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    pinned: bool = False
    # Every other version and how they hang together. Left out of `==`: two conversations
    # are compared by what they show and hold, not by how far the tree was filled in.
    versions: VersionTree = field(default_factory=VersionTree, compare=False)

    def find(self, message_id: str) -> Message | None:
        for message in self.messages:
            if message.id == message_id:
                return message
        return None


def title_from_text(text: str, limit: int = 48) -> str:
    """An automatic tab title from the first user message."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return cut + "…"
