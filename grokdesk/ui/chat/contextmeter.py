"""How much of the model's context window a conversation would use if sent now."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from grokdesk.api.errors import ApiError, BadRequest, ContextTooLong
from grokdesk.core.budget import (
    MESSAGE_OVERHEAD_TOKENS,
    estimate_tokens,
    fit_to_window,
    format_window,
    image_tokens,
)
from grokdesk.core.conversation import Conversation, ImagePart, Message, Part, Role, TextPart
from grokdesk.core.models import ModelInfo
from grokdesk.core.request import (
    build_summary_request,
    build_summary_responses_request,
    leading_system_count,
    message_payload,
    system_prompt_text,
)
from grokdesk.ui.asynctasks import spawn
from grokdesk.ui.chat.controller import fall_back_to_chat
from grokdesk.ui.chat.tokencount import TokenCounter
from grokdesk.ui.modelcatalog import ModelCatalog

if TYPE_CHECKING:
    from grokdesk.api.chunks import ChatCompletion
    from grokdesk.ui.chat.controller import ChatClient, ChatController

# The meter is recomputed this long after the last change (typing stays smooth).
METER_DELAY_MS = 250
# Room kept for the answer when fitting a conversation to a window.
REPLY_ROOM = 1024


def reply_room(window: int) -> int:
    """Room for the answer: REPLY_ROOM, but never more than an eighth of a small window."""
    return min(REPLY_ROOM, window // 8)


@dataclasses.dataclass(frozen=True)
class Measure:
    tokens: int
    exact: bool
    payloads: list[dict[str, Any]]


def light_payloads(conversation: Conversation, now: datetime | None = None) -> list[dict[str, Any]]:
    """The request's messages as `core.request` builds them, but with images left
    unencoded: counting must not base64 megabytes of pixels on every keystroke."""
    payloads: list[dict[str, Any]] = []
    prompt = system_prompt_text(conversation.settings, now)
    if prompt:
        payloads.append({"role": "system", "content": prompt})
    for message in conversation.messages:
        light = _without_pixels(message)
        payload = message_payload(light)
        if payload is not None:
            payload["_images"] = [(p.detail, p.width, p.height) for p in light.images if p.rejected is None]
            payload["_resent"] = resent_reasoning_tokens(message, conversation.model)
            payloads.append(payload)
    return payloads


def resent_reasoning_tokens(message: Message, model: str) -> int:
    """The encrypted reasoning sent back before this reply (only to the model that wrote
    it): what the reply reported as reasoning, else a guess from the size of the blob."""
    if not message.provider_items or message.model != model:
        return 0
    if message.usage is not None and message.usage.reasoning_tokens:
        return message.usage.reasoning_tokens
    blob = sum(len(str(item.get("encrypted_content", ""))) for item in message.provider_items)
    return blob * 3 // 16  # base64 to bytes, about four bytes a token


def measure(
    conversation: Conversation,
    draft: list[Part],
    counter: TokenCounter,
    *,
    drop_oldest: int = 0,
    now: datetime | None = None,
) -> Measure:
    """Tokens the conversation plus the draft would send: exact where the server's
    tokenizer has counted a text, estimated otherwise (and for the draft)."""
    model = conversation.model
    payloads = light_payloads(conversation, now)
    exact = True

    def count(text: str) -> int:
        nonlocal exact
        tokens, known = counter.count(text, model)
        exact = exact and known
        return tokens

    lead = leading_system_count(p["role"] for p in payloads)
    kept = payloads[:lead] + payloads[lead + max(0, drop_oldest) :]
    total = sum(payload_tokens(p, count) for p in kept)
    for part in draft:
        if isinstance(part, TextPart) and part.text.strip():
            total += estimate_tokens(part.text)
            exact = False
        elif isinstance(part, ImagePart):
            total += image_tokens(part.detail, part.width, part.height)
    if any(isinstance(p, ImagePart) or (isinstance(p, TextPart) and p.text.strip()) for p in draft):
        total += MESSAGE_OVERHEAD_TOKENS
    return Measure(total, exact, payloads)


def payload_tokens(payload: dict[str, Any], count: Callable[[str], int]) -> int:
    tokens = MESSAGE_OVERHEAD_TOKENS
    content = payload["content"]
    if isinstance(content, str):
        return tokens + count(content) + int(payload.get("_resent", 0))
    for part in content:
        if part.get("type") == "text":
            tokens += count(part["text"])
    for detail, width, height in payload.get("_images", ()):
        tokens += image_tokens(detail, width, height)
    return tokens + int(payload.get("_resent", 0))


def _without_pixels(message: Message) -> Message:
    if not message.images:
        return message
    parts: list[Part] = [
        dataclasses.replace(p, data=b"") if isinstance(p, ImagePart) else p for p in message.parts
    ]
    return dataclasses.replace(message, parts=parts, role=Role(message.role))


def first_kept(conversation: Conversation, drop: int) -> str | None:
    """The id of the first message sent after the `drop` oldest turns are left out (the
    leading system messages always stay); None when nothing after them is kept."""
    sent = [m for m in conversation.messages if message_payload(_without_pixels(m))]
    index = leading_system_count(m.role for m in sent) + drop
    return sent[index].id if index < len(sent) else None


class ContextGuard(QObject):
    """Keeps a tab's meter current and stands between Send and a conversation that
    will not fit the model's window: it says so and offers the three ways out (leave
    out the oldest turns, start over from a summary, switch to a larger model). It
    never cuts silently, and never changes the conversation: it asks its owner (the
    tab) through signals.

    It reads the conversation through the controller, the draft through `draft`, and
    is told to recount through `schedule()` (the tab connects the composer and the
    model picker to it).

    Signals:
        meter_changed(str, str): the meter's text and tooltip.
        notice(str): a sentence for the tab's notice bar; "" hides it.
        drop_oldest_chosen(int): the user chose to leave out this many oldest turns and send.
        switch_model_requested(str): the user chose this larger model and to send.
        summary_ready(object): a new Conversation that starts with a summary of this one.
    """

    meter_changed = Signal(str, str)
    notice = Signal(str)
    drop_oldest_chosen = Signal(int)
    switch_model_requested = Signal(str)
    summary_ready = Signal(object)

    def __init__(
        self,
        controller: ChatController,
        counter: TokenCounter,
        catalog: ModelCatalog,
        *,
        draft: Callable[[], list[Part]],
        cost: Callable[[], str],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._parent = parent  # the dialog's parent
        self.controller = controller
        self.counter = counter
        self.catalog = catalog
        self._draft = draft
        self._cost = cost
        self._closed = False
        self.last: Measure | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(METER_DELAY_MS)
        self._timer.timeout.connect(self._on_timer)
        for signal in (
            controller.message_added,
            controller.structure_changed,
            controller.streaming_changed,
            counter.counted,
            catalog.models_changed,
        ):
            signal.connect(self.schedule)
        controller.api_error.connect(self._on_api_error)
        self._summary_task: asyncio.Task[None] | None = None
        self.schedule()

    def schedule(self, *_args: object) -> None:
        # Not while a reply streams: its text changes 30 times a second, and counting
        # it would tokenize every partial version. The meter catches up at the end.
        if self._closed or self.controller.streaming_message is not None:
            return
        if not self._timer.isActive():
            self._timer.start()

    def _on_timer(self) -> None:
        # Scheduled just before a reply started: its partial text is not counted either.
        if self.controller.streaming_message is None:
            self.update_meter()

    def window(self) -> int | None:
        return self.catalog.context_window(self.controller.conversation.model)

    def update_meter(self) -> Measure:
        conversation = self.controller.conversation
        if self.catalog.is_image_model(conversation.model):
            # An image model has no context window, and the tokenizer does not know its id.
            self.last = Measure(0, True, [])
            cost = self._cost()
            self.meter_changed.emit(f"Spent here: {cost}" if cost else "", "What this conversation cost.")
            return self.last
        self.last = measure(
            conversation, self._draft(), self.counter, drop_oldest=self.controller.drop_oldest
        )
        window = self.window()
        tip = "Tokens this conversation would send, against the model's context window."
        if not self.last.exact:
            tip += "\nEstimated locally: the server's tokenizer has not counted all of it."
        cost = self._cost()
        if cost:
            tip += f"\nSpent in this conversation: {cost}"
        self.meter_changed.emit(format_window(self.last.tokens, window, estimated=not self.last.exact), tip)
        return self.last

    # -- before sending ------------------------------------------------------------

    def allows_send(self) -> bool:
        """True when the conversation and the draft fit (or the window is unknown)."""
        measured = self.update_meter()
        window = self.window()
        if window is None or measured.tokens <= window:
            return True
        self.offer_ways_out(measured.tokens, window)
        return False

    def offer_ways_out(self, tokens: int, window: int) -> QMessageBox:
        model = self.controller.conversation.model
        box = QMessageBox(self._parent)
        box.setObjectName("contextDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("The conversation is too long")
        box.setText(
            f"This conversation needs about {tokens:,} tokens, but {model} takes at most {window:,}. "
            "Nothing is cut unless you choose how:"
        )
        cut = box.addButton("Leave out the oldest turns", QMessageBox.ButtonRole.AcceptRole)
        cut.setObjectName("dropOldestButton")
        summary = box.addButton("New conversation from a summary", QMessageBox.ButtonRole.AcceptRole)
        summary.setObjectName("summaryButton")
        larger = self._larger_model(tokens)
        if larger is not None:
            switch = box.addButton(f"Switch to {larger.id}", QMessageBox.ButtonRole.AcceptRole)
            switch.setObjectName("switchModelButton")
            switch.clicked.connect(lambda: self.switch_model_requested.emit(larger.id))
        box.addButton(QMessageBox.StandardButton.Cancel)
        cut.clicked.connect(lambda: self._drop_oldest(window))
        summary.clicked.connect(self.start_summary)
        box.finished.connect(box.deleteLater)
        box.open()
        return box

    def _larger_model(self, tokens: int) -> ModelInfo | None:
        fitting = [
            m for m in self.catalog.models if (self.catalog.context_window(m.id) or 0) >= tokens + REPLY_ROOM
        ]
        return min(fitting, key=lambda m: self.catalog.context_window(m.id) or 0, default=None)

    def _drop_oldest(self, window: int) -> None:
        measured = self.update_meter()
        payloads = list(measured.payloads)
        draft = [p for p in self._draft() if isinstance(p, TextPart)]
        if draft:
            payloads.append({"role": "user", "content": "\n\n".join(p.text for p in draft)})
        model = self.controller.conversation.model
        drop = fit_to_window(
            payloads, window, reserve=reply_room(window), count_text=lambda t: self.counter.count(t, model)[0]
        )
        if drop is None:
            self.notice.emit(
                "Even the newest message alone does not fit this model's window. "
                "Shorten it or switch to a model with a larger window."
            )
            return
        self.drop_oldest_chosen.emit(drop)

    # -- a summary to start over with -------------------------------------------------

    def start_summary(self) -> None:
        if self._summary_task is None or self._summary_task.done():
            self._summary_task = spawn(self._summarize(), name="summary")

    async def _summarize(self) -> None:
        client = self.controller.client()
        conversation = self.controller.conversation
        if client is None:
            return
        self.notice.emit("Writing a summary of this conversation…")
        try:
            answer = await self._ask_for_summary(client, conversation)
        except ApiError as error:
            self.notice.emit(f"The summary could not be written: {error.message}")
            return
        self.notice.emit("")
        fresh = Conversation(
            title=f"Summary: {conversation.title}" if conversation.title else "Summary",
            model=conversation.model,
            settings=dataclasses.replace(conversation.settings),
        )
        fresh.messages.append(
            Message.text(Role.SYSTEM, f"Summary of an earlier conversation:\n\n{answer.text.strip()}")
        )
        self.summary_ready.emit(fresh)

    async def _ask_for_summary(self, client: ChatClient, conversation: Conversation) -> ChatCompletion:
        """The summary over the API the turns use: Responses, or Chat Completions for a
        server without it (found out here first, it is remembered as for a turn)."""
        route = self.controller.route
        if route is not None and route.uses_responses():
            try:
                return await client.complete_response(
                    build_summary_responses_request(conversation, conversation.model)
                )
            except BadRequest as error:
                if not fall_back_to_chat(route, error):
                    raise
        return await client.complete_chat(
            build_summary_request(conversation, conversation.model, stream=False)
        )

    # -- the server's own verdict ---------------------------------------------------------

    def _on_api_error(self, error: ApiError) -> None:
        if isinstance(error, ContextTooLong) and error.limit:
            model = self.controller.conversation.model
            self.catalog.learn_limit(model, error.limit)
            self.schedule()
            self.offer_ways_out(error.requested or (error.limit + 1), error.limit)

    async def aclose(self) -> None:
        self._closed = True
        self._timer.stop()
        for signal in (self.counter.counted, self.catalog.models_changed):
            signal.disconnect(self.schedule)
        if self._summary_task is not None and not self._summary_task.done():
            self._summary_task.cancel()
            await asyncio.gather(self._summary_task, return_exceptions=True)
