"""Stand-ins for the chat UI's collaborators, to build a controller, a transcript or a
context guard on its own: a scripted chat client and a sink that records every save."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from grokdesk.api.chunks import ChatCompletion
from grokdesk.api.errors import ApiError
from grokdesk.api.events import StreamEvent
from grokdesk.core.conversation import Conversation, Message, MessageState, Role

# One step of a scripted reply: an event to yield, an error to raise, an asyncio.Event
# to wait for (a stall), or a function to call (e.g. to move a fake clock).
Step = StreamEvent | ApiError | asyncio.Event | Callable[[], object]


@dataclass
class ScriptedClient:
    """A ChatClient whose streams play `scripts` in order, one per request."""

    scripts: list[list[Step]] = field(default_factory=list)
    completions: list[ChatCompletion | ApiError] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    completion_bodies: list[Mapping[str, object]] = field(default_factory=list)

    async def stream_chat(self, body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        self.bodies.append(body)
        for step in self.scripts.pop(0):
            if isinstance(step, ApiError):
                raise step
            if isinstance(step, asyncio.Event):
                await step.wait()
            elif callable(step):
                step()
            else:
                yield step

    async def complete_chat(self, body: Mapping[str, object]) -> ChatCompletion:
        self.completion_bodies.append(body)
        answer = self.completions.pop(0)
        if isinstance(answer, ApiError):
            raise answer
        return answer

    async def complete_response(self, body: Mapping[str, object]) -> ChatCompletion:
        return await self.complete_chat(body)


@dataclass(frozen=True)
class SavedMessage:
    """A message as it was when handed to the sink (the sink must not see later changes)."""

    id: str
    role: Role
    text: str
    state: MessageState
    error: str | None
    position: int


@dataclass
class RecordingSink:
    """A ConversationSink that records what it was asked to save, in order."""

    conversations: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, model)
    messages: list[SavedMessage] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def save_conversation(self, conversation: Conversation) -> None:
        self.conversations.append((conversation.id, conversation.title, conversation.model))

    def save_message(self, conversation: Conversation, message: Message) -> None:
        position = next(i for i, m in enumerate(conversation.messages) if m is message)
        self.messages.append(
            SavedMessage(message.id, message.role, message.plain_text, message.state, message.error, position)
        )

    def delete_message(self, conversation: Conversation, message_id: str) -> None:
        self.deleted.append(message_id)

    def save_order(self, conversation: Conversation) -> None:
        pass

    def saves_of(self, message_id: str) -> list[SavedMessage]:
        return [m for m in self.messages if m.id == message_id]
