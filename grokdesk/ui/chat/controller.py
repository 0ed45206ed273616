"""The chat controller of one conversation: owns its streaming task.

Data flow of one turn (docs/ARCHITECTURE.md): the controller builds the request from the
conversation (core), streams events from the API client, appends them to the
reply, tells the view at a throttled rate, and saves the partial reply at least
once a second, also when the stream stalls; at the end the reply is finalised and
saved with its usage, finish reason and any error. Stopping is `task.cancel()`; the client closes the HTTP
stream in its own `finally`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from grokdesk.api.errors import ApiError, BadRequest, ImageRejected
from grokdesk.core import versions
from grokdesk.core.conversation import (
    Conversation,
    ConversationSettings,
    ImagePart,
    Message,
    MessageState,
    Part,
    Role,
    TextPart,
    title_from_text,
)
from grokdesk.core.imagetool import ToolImage, tool_image_parts
from grokdesk.core.models import ModelInfo
from grokdesk.core.request import build_chat_request, build_responses_request
from grokdesk.core.sources import add_source
from grokdesk.core.tools import ToolCall
from grokdesk.ui.asynctasks import spawn

if TYPE_CHECKING:
    from grokdesk.api.chunks import ChatCompletion
    from grokdesk.api.events import StreamEvent

log = logging.getLogger("grokdesk.ui.chat.controller")

# What a reply that failed for an unexpected reason says; the details are in the log file.
UNEXPECTED_FAILURE = (
    "GrokDesk ran into an unexpected problem ({kind}) and this reply stopped. "
    "The details are in the log file (the logs folder in the data folder). Retry may work."
)

# View updates while streaming: at most 10 a second. Each one renders what arrived,
# lays it out and paints the changed lines; at a model's pace (200 chunks a second)
# that is most of the app's CPU time over a plain client: 16 a second cost 5.1-5.2
# CPU-s against the plain client's 3.1 for one 25 s reply, 10 a second 4.6 (measured
# 2026-12-02). At 10 a second a fast reply grows about a line at a time, which still
# reads as a stream. An expensive update spaces the next ones further (RenderBudget).
VIEW_INTERVAL_MS = 100
# While streaming, control goes back to the event loop at least this often, shared by
# the replies streaming at once: every due timer runs in the same turn of the loop, so
# each reply's slice would add up in one turn (three tabs' 8 ms slices stalled the
# window ~100 ms; 4 ms each, ~30 ms with the visible tab's update).
YIELD_AFTER_S = 0.004
# A gap this long between two events means the read waited for the network (a buffered
# event is parsed in well under a millisecond).
WAITED_S = 0.002
# A streaming reply is saved at least this often (crash loses at most this much).
FLUSH_INTERVAL_S = 0.5
# A reply that trickles in (each read waited for the network) is read again this long
# before its next view update is due, not as each chunk arrives: the chunks of the
# interval wait in the socket's buffer and come in one read. Each read costs the same
# whatever it brings (httpx, anyio and qasync's socket notifier: ~0.2 ms), and at a
# model's pace (200 chunks a second) reading every chunk alone was more CPU time than
# showing them. The margin lets what the read brings reach the update it is read for.
READ_AHEAD_MS = 8
# ...but only while the last view interval brought fewer events than this (a model
# writes ~20 in one): a server sending faster fills the socket's buffer within the wait,
# and pausing each time the reader caught up with it made a 20,000-token reply sent at
# full speed take four times as long to arrive.
TRICKLE_EVENTS = 200


class ChatClient(Protocol):
    """What the chat UI needs of the API client (XaiClient, or a fake in tests)."""

    def stream_chat_batches(self, body: dict[str, Any]) -> AsyncIterator[list[StreamEvent]]: ...

    async def complete_chat(self, body: Mapping[str, object]) -> ChatCompletion: ...

    async def complete_response(self, body: Mapping[str, object]) -> ChatCompletion: ...

    def stream_responses_batches(self, body: dict[str, Any]) -> AsyncIterator[list[StreamEvent]]: ...


class ApiRoute(Protocol):
    """Which chat API the server gets (the connection, from the per-server setting)."""

    def uses_responses(self) -> bool: ...

    def may_fall_back(self) -> bool: ...

    def responses_missing(self) -> None: ...


def fall_back_to_chat(route: ApiRoute, error: BadRequest) -> bool:
    """Whether a Responses request refused with `error` goes to Chat Completions instead:
    a server without /responses (404 or 405 on the route) with the setting on Automatic,
    which is then remembered for that server."""
    if error.status not in (404, 405) or not route.may_fall_back():
        return False
    route.responses_missing()
    return True


class PreparedTurn(Protocol):
    """A turn that is not a streamed chat reply (images made by an image model)."""

    # What the reply shows while the turn runs (saved with it; replaced at the end).
    placeholder: list[Part]

    async def run(self, client: object, reply: Message) -> None:
        """Fill `reply` (parts, usage); raise ApiError on failure. Cancelled by Stop."""
        ...


class TurnRunner(Protocol):
    def prepare(self, model: str, conversation: Conversation) -> PreparedTurn | None:
        """The turn for `model`, or None when it is an ordinary chat reply."""
        ...


class ConversationSink(Protocol):
    """Where the controller saves what happens (the store, off the UI thread)."""

    def save_conversation(self, conversation: Conversation) -> None: ...

    def save_message(self, conversation: Conversation, message: Message) -> None: ...

    def delete_message(self, conversation: Conversation, message_id: str) -> None: ...

    def save_order(self, conversation: Conversation) -> None: ...


class ChatController(QObject):
    """Signals:
    message_added(object): a Message appended at the end.
    message_changed(object): a Message whose content or state changed (throttled while streaming).
    structure_changed(): messages were inserted, removed or replaced; re-render all.
    streaming_changed(bool): a reply started or ended.
    api_error(object): an ApiError that the window may act on (a rejected key).
    title_changed(str): the conversation got its automatic title.
    """

    message_added = Signal(object)
    message_changed = Signal(object)
    # Replies reading their stream now, in every tab (all on the UI thread).
    _streams_now = 0
    structure_changed = Signal()
    streaming_changed = Signal(bool)
    api_error = Signal(object)
    title_changed = Signal(str)

    def __init__(
        self,
        conversation: Conversation,
        *,
        client_provider: Callable[[], ChatClient | None],
        sink: ConversationSink,
        model_info: Callable[[str], ModelInfo | None],
        clock: Callable[[], datetime] = datetime.now,
        route: ApiRoute | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # Without a route (tests of the controller alone) turns use Chat Completions.
        self._route = route
        self._told_no_tools = False
        self.conversation = conversation
        versions.sync(conversation)
        self._client_provider = client_provider
        self._sink = sink
        self._model_info = model_info
        self._clock = clock
        self._monotonic = monotonic  # when the streaming reply was last saved (tests inject it)
        self._task: asyncio.Task[None] | None = None
        self._streaming: Message | None = None
        self._view_updates = 0  # of the reply streaming now
        # Events of the reply read since its last view update, and in the interval before
        # that (None before the first update): how fast it arrives (see TRICKLE_EVENTS).
        self._events_now = 0
        self._events_last: int | None = None
        self._words_shown = False  # the view has shown some of the reply (text, reasoning, a tool)
        self._pending: list[str] = []
        self._dirty = False
        self._last_flush = 0.0
        self._view_timer = QTimer(self)
        self._view_timer.setSingleShot(True)
        self._view_timer.timeout.connect(self._push_view_update)
        # Saves what arrived when the stream goes quiet before the next save was due:
        # a crash during a stall must not lose the words that came just before it.
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush_streaming)
        # Roll-up of request-wide options the tab may set (drop oldest turns to fit).
        self.drop_oldest = 0
        # Runs the turns of models that do not chat (image generation); set by the tab.
        self.turn_runner: TurnRunner | None = None

    def client(self) -> ChatClient | None:
        return self._client_provider()

    @property
    def route(self) -> ApiRoute | None:
        """Which chat API this server gets; None: Chat Completions."""
        return self._route

    # -- state ------------------------------------------------------------------

    @property
    def is_streaming(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def streaming_message(self) -> Message | None:
        return self._streaming

    # -- commands -------------------------------------------------------------

    def add_message(self, role: Role, parts: list[Part]) -> Message:
        """Append a message of any role without sending (a system note, an example reply)."""
        message = Message(role, list(parts))
        self._append(message)
        self._auto_title(message)
        self._sink.save_message(self.conversation, message)
        self.message_added.emit(message)
        return message

    def send(self, parts: list[Part], role: Role = Role.USER) -> bool:
        """Add the composed message (if any) and ask for a reply. Returns False when
        nothing was started (already streaming or nothing to send)."""
        if self.is_streaming:
            return False
        if _has_content(parts):
            self.add_message(role, parts)
        if not any(m.role is not Role.NOTICE and _has_content(m.parts) for m in self.conversation.messages):
            return False
        self._start_reply()
        return True

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def regenerate(self, message_id: str) -> None:
        """Ask for a new version of a reply, built from what precedes it; the old version
        and the turns after it stay, as another branch."""
        if self.is_streaming:
            return
        index = self._index(message_id)
        if index is None:
            return
        versions.cut(self.conversation, index)
        self.structure_changed.emit()
        self._start_reply()

    def continue_reply(self, message_id: str) -> None:
        """Continue a reply cut off at the length limit: the API takes the partial
        assistant message as the last message and continues it."""
        message = self.conversation.find(message_id)
        if message is None or self.is_streaming:
            return
        self._start_reply(continuing=message)

    def retry(self, message_id: str) -> None:
        """Retry a failed or interrupted reply (or the request behind a notice)."""
        if self.is_streaming:
            return
        index = self._index(message_id)
        if index is None:
            return
        message = self.conversation.messages[index]
        if message.role is Role.ASSISTANT and not message.plain_text.strip():
            # An empty failed reply is not worth keeping as a version.
            self.regenerate(message_id)
            versions.remove(self.conversation, message_id)
            self._sink.delete_message(self.conversation, message_id)
            return
        if message.role is Role.NOTICE:
            # The new reply takes the notice's place: the branch must not go on into
            # another version there first.
            versions.remove(self.conversation, message_id, extend=False)
            self._sink.delete_message(self.conversation, message_id)
            self.structure_changed.emit()
            self._start_reply()
            return
        self.regenerate(message_id)

    def delete(self, message_id: str) -> None:
        """Delete one version of a message; the turns after it move up to its place."""
        index = self._index(message_id)
        if index is None or self.conversation.messages[index] is self._streaming:
            return
        versions.remove(self.conversation, message_id)
        self._sink.delete_message(self.conversation, message_id)
        self.structure_changed.emit()

    def edit(self, message_id: str, text: str) -> Message | None:
        """Make an edited version of a message (images stay in place) and show it; the old
        version and the turns after it stay, as another branch. An edited question is
        sent at once, as sending it again is why one edits it."""
        index = self._index(message_id)
        if index is None or self.is_streaming:
            return None
        message = self.conversation.messages[index]
        parts: list[Part] = [p for p in message.parts if isinstance(p, ImagePart)]
        if text:
            parts.append(TextPart(text))
        # Usage and reasoning belong to the version the model wrote, not to an edit.
        edited = Message(message.role, parts, model=message.model)
        versions.add_version(self.conversation, index, edited)
        self._sink.save_message(self.conversation, edited)
        self.structure_changed.emit()
        if edited.role is Role.USER and _has_content(edited.parts):
            self._start_reply()
        return edited

    def switch_version(self, message_id: str, step: int) -> bool:
        """Show the previous (-1) or next (+1) version of a shown message, with the turns
        that follow it; remembered as the shown branch. Not while a reply streams."""
        if self.is_streaming or not versions.step(self.conversation, message_id, step):
            return False
        self._sink.save_order(self.conversation)
        self.structure_changed.emit()
        return True

    def reveal(self, message_id: str) -> None:
        """Show the branch holding a message that is in another version (a search hit)."""
        if not self.is_streaming and versions.reveal(self.conversation, message_id):
            self._sink.save_order(self.conversation)
            self.structure_changed.emit()

    def version_of(self, message_id: str) -> tuple[int, int]:
        """(n, count): the shown message is version n of count."""
        return versions.position(self.conversation, message_id)

    def add_notice(self, text: str) -> Message:
        notice = Message.text(Role.NOTICE, text)
        self._append(notice)
        self._sink.save_message(self.conversation, notice)
        self.message_added.emit(notice)
        return notice

    async def shutdown(self) -> None:
        """Stop a streaming reply and wait until its partial text is saved."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- the conversation's own fields: changed and saved here only ----------------

    def set_model(self, model_id: str) -> None:
        """The model the next replies come from."""
        self.conversation.model = model_id
        self._sink.save_conversation(self.conversation)

    def set_settings(self, settings: ConversationSettings) -> None:
        """System prompt, temperature, reasoning effort... for the next requests."""
        self.conversation.settings = settings
        self._sink.save_conversation(self.conversation)

    def rename(self, title: str) -> None:
        """A title the user gave (the automatic one is `title_changed`'s)."""
        self.conversation.title = title
        self._sink.save_conversation(self.conversation)

    def save_all(self) -> None:
        """Save the conversation and every message (one made elsewhere, e.g. from a summary)."""
        self._sink.save_conversation(self.conversation)
        for message in self.conversation.messages:
            self._sink.save_message(self.conversation, message)

    # -- streaming --------------------------------------------------------------

    def _start_reply(self, continuing: Message | None = None) -> None:
        try:
            client = self._client_provider()
        except ApiError as error:
            # Refused before any request, e.g. a plain-http --base-url to another machine.
            self.add_notice(error.message)
            return
        if client is None:
            self.add_notice("No API key is set. Open Settings (Ctrl+,) to add your xAI API key.")
            return
        self._tell_if_tools_unavailable()
        model = self.conversation.model
        # What is sent is what the conversation holds now; the body itself (base64 of
        # every image) is built off the UI thread.
        snapshot = dataclasses.replace(self.conversation, messages=list(self.conversation.messages))
        options: dict[str, Any] = {
            "model": model,
            "model_info": self._model_info(model),
            "now": self._clock(),
            "drop_oldest": self.drop_oldest,
        }
        chat = functools.partial(build_chat_request, snapshot, **options)
        responses = functools.partial(build_responses_request, snapshot, **options)
        turn = self.turn_runner.prepare(model, snapshot) if self.turn_runner is not None else None
        if turn is not None:
            continuing = None  # an image turn always makes a new reply
        if continuing is None:
            placeholder = list(turn.placeholder) if turn is not None else []
            reply = Message(Role.ASSISTANT, placeholder, model=model, state=MessageState.STREAMING)
            self._append(reply)
            self.message_added.emit(reply)
        else:
            reply = continuing
            reply.state = MessageState.STREAMING
            reply.finish_reason = None
            self.message_changed.emit(reply)
        self._streaming = reply
        self._view_updates = 0
        self._events_now = 0
        self._events_last = None
        self._words_shown = False
        self._sink.save_message(self.conversation, reply)
        self._last_flush = self._monotonic()
        work = (
            self._stream(client, chat, responses, reply)
            if turn is None
            else self._run_turn(turn, client, reply)
        )
        self._task = spawn(work, name=f"reply-{reply.id}")
        self.streaming_changed.emit(True)

    async def _stream(
        self,
        client: ChatClient,
        chat: Callable[[], dict[str, Any]],
        responses: Callable[[], dict[str, Any]],
        reply: Message,
    ) -> None:
        await self._ended(self._talk(client, chat, responses, reply), reply)

    async def _talk(
        self,
        client: ChatClient,
        chat: Callable[[], dict[str, Any]],
        responses: Callable[[], dict[str, Any]],
        reply: Message,
    ) -> None:
        """One turn over the API this server gets (Responses, or Chat Completions)."""
        route = self._route
        if route is not None and route.uses_responses():
            body = await asyncio.to_thread(responses)
            try:
                await self._consume(client.stream_responses_batches(body), reply)
            except BadRequest as error:
                if self._started(reply) or not fall_back_to_chat(route, error):
                    raise
                body = await asyncio.to_thread(chat)
                await self._consume(client.stream_chat_batches(body), reply)
        else:
            body = await asyncio.to_thread(chat)
            await self._consume(client.stream_chat_batches(body), reply)

    async def _run_turn(self, turn: PreparedTurn, client: ChatClient, reply: Message) -> None:
        await self._ended(turn.run(client, reply), reply)

    async def _ended(self, work: Coroutine[Any, Any, None], reply: Message) -> None:
        """Run a turn's work and end its reply whatever happens: complete, stopped, failed
        with the API's reason, or failed by a bug (with Retry, never left "streaming")."""
        try:
            await work
            if self._dirty and not self._view_updates:
                # All of it arrived before the first view update (a fast or unstreamed
                # answer): shown as a streaming update first, so the view lays a long
                # reply out a slice per turn; rendered whole at its end, 127 KB froze the
                # window for half a second.
                self._push_view_update()
            reply.state = MessageState.COMPLETE
        except asyncio.CancelledError:
            reply.state = MessageState.STOPPED
            raise
        except ApiError as error:
            reply.state = MessageState.FAILED
            reply.error = error.message
            self._handle_api_error(error)
        except Exception as error:
            # A bug here or in a library: the reply must still end, with Retry, instead of
            # showing "streaming" until the next start. The traceback goes to the log.
            log.error("reply %s failed unexpectedly", reply.id, exc_info=error)
            reply.state = MessageState.FAILED
            reply.error = UNEXPECTED_FAILURE.format(kind=type(error).__name__)
        finally:
            self._finish(reply)

    def _tell_if_tools_unavailable(self) -> None:
        """Live tools exist only on the Responses API: say so once when this server gets
        Chat Completions, instead of leaving the toggles silently without effect."""
        settings = self.conversation.settings
        wanted = (
            settings.web_search or settings.x_search or settings.code_execution or settings.image_generation
        )
        if not wanted or self._told_no_tools or self._route is None or self._route.uses_responses():
            return
        self._told_no_tools = True
        self.add_notice(
            "Web search, X search, code execution and images in chat need the Responses API, which this server "
            "is not using (Settings → API). Replies here come without them."
        )

    async def _consume(self, batches: AsyncIterator[list[StreamEvent]], reply: Message) -> None:
        """Apply the events of each network read to the reply; the view and the save hear
        of them once per read."""
        ChatController._streams_now += 1
        try:
            await self._apply_batches(batches, reply)
        finally:
            ChatController._streams_now -= 1
            # Stopped between two reads (while waiting for the next view update, say): the
            # stream's response is closed now, not when the garbage collector finds it.
            aclose = getattr(batches, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception as error:  # the reply's own outcome is what the user is told
                    log.info("closing the reply's stream failed: %s", type(error).__name__)

    async def _apply_batches(self, batches: AsyncIterator[list[StreamEvent]], reply: Message) -> None:
        # Imported by the first reply, not before the window's first paint (~6 ms there).
        from grokdesk.api.events import (
            ContentDelta,
            Finished,
            ImageMade,
            ProviderItem,
            ReasoningDelta,
            SourceCited,
            ToolCallFinished,
            ToolCallStarted,
            UsageUpdate,
        )

        slice_started = handled = time.monotonic()
        pending = self._pending
        async for batch in batches:
            now = time.monotonic()
            waited = now - handled > WAITED_S
            if waited:
                # The read waited for the network, so the event loop ran meanwhile: a new
                # slice starts. (Counting the wait as part of the slice made a paced stream
                # yield after nearly every event: a Qt timer each, ~3 % of its CPU time.)
                slice_started = now
            for event in batch:
                if type(event) is ContentDelta:
                    # Collected and joined once per view update: appending each token
                    # to the text copied the whole reply per token.
                    pending.append(event.text)
                elif isinstance(event, ReasoningDelta):
                    reply.reasoning += event.text
                elif isinstance(event, UsageUpdate):
                    reply.usage = event.usage
                elif isinstance(event, Finished):
                    reply.finish_reason = event.reason
                elif isinstance(event, ToolCallStarted | ToolCallFinished):
                    _put_call(reply.tools, event.call)
                elif isinstance(event, SourceCited):
                    add_source(reply.sources, event.source.url, event.source.title)
                elif isinstance(event, ProviderItem):
                    reply.provider_items.append(event.item)
                elif isinstance(event, ImageMade):
                    await self._add_tool_image(reply, event.image)
            self._mark_dirty(reply)
            self._events_now += len(batch)
            if waited and self._events_last is not None and self._events_last < TRICKLE_EVENTS:
                # Caught up with a server that writes at a model's pace: the next read
                # waits until shortly before the view update that will show what it brings
                # (see READ_AHEAD_MS). A read that found events waiting (a backlog, a fast
                # server) is followed at once.
                pause_ms = self._view_timer.remainingTime() - READ_AHEAD_MS
                if pause_ms > 0:
                    await asyncio.sleep(pause_ms / 1000)
                    slice_started = time.monotonic()
            handled = time.monotonic()
            if handled - slice_started > YIELD_AFTER_S / ChatController._streams_now:
                # A network read can hold hundreds of buffered events: let the
                # window paint and react between slices of them.
                await asyncio.sleep(0)
                slice_started = time.monotonic()

    async def _add_tool_image(self, reply: Message, image: ToolImage) -> None:
        """An image the model made mid-reply: kept in the reply like a generated image
        (checked off the UI thread), before the text that follows it."""
        self._apply_pending(reply)
        made = len(reply.images)
        parts = await asyncio.to_thread(tool_image_parts, [image], made)
        reply.parts.extend(parts)

    def _started(self, reply: Message) -> bool:
        return bool(self._pending or reply.plain_text or reply.reasoning or reply.tools)

    def _handle_api_error(self, error: ApiError) -> None:
        log.info("reply failed: %s", type(error).__name__)
        if isinstance(error, ImageRejected):
            # Leave the rejected images out of later requests: the whole history is resent each
            # turn, so an image the server refused would make every later turn fail too.
            self._mark_images_rejected(error.message)
        self.api_error.emit(error)

    def _mark_images_rejected(self, reason: str) -> None:
        for message in reversed(self.conversation.messages):
            if message.role is Role.USER and message.images:
                message.parts = [
                    ImagePart(p.sha256, p.mime, p.name, p.width, p.height, p.data, p.detail, rejected=reason)
                    if isinstance(p, ImagePart) and p.rejected is None
                    else p
                    for p in message.parts
                ]
                self._sink.save_message(self.conversation, message)
                self.message_changed.emit(message)
                return

    def _apply_pending(self, reply: Message) -> None:
        if self._pending:
            reply.append_text("".join(self._pending))
            self._pending.clear()

    def _finish(self, reply: Message) -> None:
        self._apply_pending(reply)
        self._view_timer.stop()
        self._flush_timer.stop()
        self._dirty = False
        self._streaming = None
        self._sink.save_message(self.conversation, reply)
        self.message_changed.emit(reply)
        self.streaming_changed.emit(False)

    def _mark_dirty(self, reply: Message) -> None:
        self._dirty = True
        if not self._words_shown and self._started(reply):
            # The reply's first words are shown at once (waiting for them was the model's
            # time, not ours), even when an update was due later for events before them
            # (the Responses API's lifecycle events); after them, every VIEW_INTERVAL_MS.
            self._view_timer.start(0)
        elif not self._view_timer.isActive():
            self._view_timer.start(VIEW_INTERVAL_MS)
        now = self._monotonic()
        since = now - self._last_flush
        if since >= FLUSH_INTERVAL_S:
            self._last_flush = now
            self._flush_timer.stop()
            self._apply_pending(reply)
            self._sink.save_message(self.conversation, reply)
        elif not self._flush_timer.isActive():
            self._flush_timer.start(max(1, round((FLUSH_INTERVAL_S - since) * 1000)))

    def _flush_streaming(self) -> None:
        if self._streaming is not None:
            self._last_flush = self._monotonic()
            self._apply_pending(self._streaming)
            self._sink.save_message(self.conversation, self._streaming)

    def _push_view_update(self) -> None:
        if self._dirty and self._streaming is not None:
            self._dirty = False
            self._apply_pending(self._streaming)
            self._view_updates += 1
            self._events_last, self._events_now = self._events_now, 0
            self._words_shown = self._started(self._streaming)
            self.message_changed.emit(self._streaming)

    # -- helpers ------------------------------------------------------------------

    def _append(self, message: Message) -> None:
        self.conversation.messages.append(message)
        versions.sync(self.conversation)

    def _index(self, message_id: str) -> int | None:
        for index, message in enumerate(self.conversation.messages):
            if message.id == message_id:
                return index
        return None

    def _auto_title(self, message: Message) -> None:
        if not self.conversation.title and message.role is Role.USER and message.plain_text.strip():
            # Text parts around images are joined with a space, not glued together.
            text = " ".join(p.text for p in message.parts if isinstance(p, TextPart))
            self.conversation.title = title_from_text(text)
            self._sink.save_conversation(self.conversation)
            self.title_changed.emit(self.conversation.title)


def _put_call(calls: list[ToolCall], call: ToolCall) -> None:
    """Replace the record of the same call, or add it at the end."""
    for index, known in enumerate(calls):
        if known.id == call.id:
            calls[index] = call
            return
    calls.append(call)


def _has_content(parts: list[Part]) -> bool:
    return any(isinstance(p, ImagePart) or (isinstance(p, TextPart) and p.text.strip()) for p in parts)
