"""ChatController and TranscriptView built on their own, with a scripted client and a
recording sink: no window, no server, no store thread."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import datetime

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from grokdesk.api.errors import ApiError
from grokdesk.api.events import ContentDelta, Finished, UsageUpdate
from grokdesk.core.conversation import Conversation, Message, MessageState, Role, TextPart, Usage
from grokdesk.ui.chat import controller as controller_module
from grokdesk.ui.chat.controller import ChatController
from grokdesk.ui.chat.transcript import TranscriptView
from tests.helpers.chatfakes import RecordingSink, ScriptedClient, Step
from tests.helpers.qtdoc import document_anchors
from tests.helpers.transcripts import shown_view, streaming_view

USAGE = Usage(prompt_tokens=12, completion_tokens=3, total_tokens=15)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def at(self, seconds: float) -> Step:
        """A script step that moves the clock to `seconds`."""
        return lambda: setattr(self, "now", seconds)

    def __call__(self) -> float:
        return self.now


def stamper(times: dict[str, float]) -> Callable[[str], Step]:
    """Script steps that note when the controller read on to them: `stamp(name)` records
    the time under `name` (the first time only)."""

    def stamp(name: str) -> Step:
        return lambda: times.setdefault(name, time.monotonic())

    return stamp


def make_controller(
    client: ScriptedClient, sink: RecordingSink, clock: FakeClock | None = None
) -> ChatController:
    return ChatController(
        Conversation(model="grok-3"),
        client_provider=lambda: client,
        sink=sink,
        model_info=lambda _model: None,
        clock=lambda: datetime(2026, 1, 2, 3, 4),
        monotonic=clock or FakeClock(),
    )


def send_and_finish(qtbot: QtBot, controller: ChatController, text: str) -> list[bool]:
    streaming: list[bool] = []
    controller.streaming_changed.connect(streaming.append)
    assert controller.send([TextPart(text)])
    qtbot.waitUntil(lambda: streaming == [True, False], timeout=5000)
    return streaming


def test_a_streamed_reply_is_appended_then_finalised_and_saved(qtbot: QtBot, qloop: object) -> None:
    client = ScriptedClient([[ContentDelta("Hel"), ContentDelta("lo"), UsageUpdate(USAGE), Finished("stop")]])
    sink = RecordingSink()
    controller = make_controller(client, sink)
    added: list[Message] = []
    controller.message_added.connect(added.append)

    send_and_finish(qtbot, controller, "Hi")

    user, reply = controller.conversation.messages
    assert added == [user, reply]
    assert (reply.role, reply.plain_text, reply.state) == (Role.ASSISTANT, "Hello", MessageState.COMPLETE)
    assert (reply.usage, reply.finish_reason, reply.model) == (USAGE, "stop", "grok-3")
    assert client.bodies[0]["messages"][-1] == {"role": "user", "content": "Hi"}
    assert [(m.text, m.position) for m in sink.saves_of(user.id)] == [("Hi", 0)]
    first, *_, last = sink.saves_of(reply.id)
    assert (first.state, first.text) == (MessageState.STREAMING, "")  # saved before any token
    assert (last.state, last.text, last.position) == (MessageState.COMPLETE, "Hello", 1)
    assert controller.conversation.title == "Hi" and sink.conversations[-1][1] == "Hi"


def test_stop_keeps_what_arrived_and_saves_it_as_stopped(qtbot: QtBot, qloop: object) -> None:
    stall = asyncio.Event()  # never set: the server goes quiet
    client = ScriptedClient([[ContentDelta("Half an "), stall]])
    sink = RecordingSink()
    controller = make_controller(client, sink)
    assert controller.send([TextPart("Tell me")])
    reply = controller.conversation.messages[-1]
    qtbot.waitUntil(lambda: reply.plain_text == "Half an ", timeout=5000)
    assert controller.is_streaming

    controller.stop()

    qtbot.waitUntil(lambda: not controller.is_streaming, timeout=5000)
    assert (reply.state, reply.plain_text) == (MessageState.STOPPED, "Half an ")
    last = sink.saves_of(reply.id)[-1]
    assert (last.state, last.text) == (MessageState.STOPPED, "Half an ")


def test_an_api_error_finalises_the_reply_with_the_error(qtbot: QtBot, qloop: object) -> None:
    failure = ApiError("xAI is at capacity right now. Try again in a minute.", status=503)
    client = ScriptedClient([[ContentDelta("The answer is"), failure]])
    sink = RecordingSink()
    controller = make_controller(client, sink)
    errors: list[ApiError] = []
    controller.api_error.connect(errors.append)

    send_and_finish(qtbot, controller, "Question")

    reply = controller.conversation.messages[-1]
    assert (reply.state, reply.plain_text, reply.error) == (
        MessageState.FAILED,
        "The answer is",
        failure.message,
    )
    assert errors == [failure]
    last = sink.saves_of(reply.id)[-1]
    assert (last.state, last.text, last.error) == (MessageState.FAILED, "The answer is", failure.message)


def test_a_streaming_reply_is_saved_once_per_flush_interval_by_the_clock(
    qtbot: QtBot, qloop: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long interval, so only the injected clock decides (the quiet-stream timer,
    # started with the interval's remainder, never fires during the test).
    monkeypatch.setattr(controller_module, "FLUSH_INTERVAL_S", 60.0)
    clock = FakeClock()
    script: list[Step] = [
        clock.at(1.0),
        ContentDelta("a"),
        clock.at(61.0),
        ContentDelta("b"),
        clock.at(62.0),
        ContentDelta("c"),
        Finished("stop"),
    ]
    sink = RecordingSink()
    controller = make_controller(ScriptedClient([script]), sink, clock)

    send_and_finish(qtbot, controller, "Count")

    reply = controller.conversation.messages[-1]
    assert [(m.text, m.state) for m in sink.saves_of(reply.id)] == [
        ("", MessageState.STREAMING),  # the reply exists on disk before its first token
        ("ab", MessageState.STREAMING),  # 60 s after the last save: what arrived is saved
        ("abc", MessageState.COMPLETE),
    ]


def test_words_before_a_stall_are_saved_while_the_stream_is_quiet(qtbot: QtBot, qloop: object) -> None:
    clock = FakeClock()
    stall = asyncio.Event()
    sink = RecordingSink()
    controller = make_controller(
        ScriptedClient([[clock.at(0.1), ContentDelta("before the stall"), stall]]), sink, clock
    )
    assert controller.send([TextPart("Go")])
    reply = controller.conversation.messages[-1]

    # No more events come, yet the words are saved within the flush interval.
    qtbot.waitUntil(lambda: any(m.text == "before the stall" for m in sink.saves_of(reply.id)), timeout=5000)
    assert controller.is_streaming
    controller.stop()
    qtbot.waitUntil(lambda: not controller.is_streaming, timeout=5000)


def test_the_first_words_show_at_once_and_later_ones_at_the_view_s_pace(qtbot: QtBot, qloop: object) -> None:
    """Time to the first words is what a person waits for: they are shown as they arrive,
    not a view interval later; the words after them wait for the next update as before."""
    first_chunk, second_chunk = asyncio.Event(), asyncio.Event()
    sent: dict[str, float] = {}
    stamp = stamper(sent)

    script: list[Step] = [
        UsageUpdate(USAGE),  # an event that shows nothing (as the Responses API's first ones)
        first_chunk,
        stamp("Hello"),
        ContentDelta("Hello"),
        second_chunk,
        stamp("world"),
        ContentDelta(" world"),
        Finished("stop"),
    ]
    controller = make_controller(ScriptedClient([script]), RecordingSink())
    seen: dict[str, float] = {}

    def note(message: Message) -> None:
        for word in ("Hello", "world"):
            if word in message.plain_text:
                seen.setdefault(word, time.monotonic())

    controller.message_changed.connect(note)
    assert controller.send([TextPart("Greet me")])
    qtbot.waitUntil(lambda: controller.conversation.messages[-1].usage is not None, timeout=5000)
    first_chunk.set()  # an update is due for the usage: the words must not wait for it
    qtbot.waitUntil(lambda: "Hello" in seen, timeout=5000)
    second_chunk.set()
    qtbot.waitUntil(lambda: "world" in seen, timeout=5000)

    interval = controller_module.VIEW_INTERVAL_MS / 1000
    assert seen["Hello"] - sent["Hello"] < interval / 2
    assert seen["world"] - sent["world"] >= interval / 2
    assert controller.conversation.messages[-1].plain_text == "Hello world"


def test_after_a_network_wait_the_stream_is_read_again_just_before_the_view_update(
    qtbot: QtBot, qloop: object
) -> None:
    """A trickling reply: the chunks of one view interval wait in the socket and come in one
    read, instead of a read (and its fixed CPU cost) each. A chunk that was already there
    when read is followed by the next read at once."""
    network = asyncio.Event()  # the wait for the server's next chunk
    pulled: dict[str, float] = {}
    stamp = stamper(pulled)

    script: list[Step] = [
        ContentDelta("a"),
        network,
        stamp("b sent"),
        ContentDelta("b"),
        stamp("after b"),  # runs when the controller reads on after "b"
        ContentDelta("c"),
        stamp("after c"),
        Finished("stop"),
    ]
    controller = make_controller(ScriptedClient([script]), RecordingSink())
    shown: list[str] = []
    controller.message_changed.connect(lambda message: shown.append(message.plain_text))
    streaming: list[bool] = []
    controller.streaming_changed.connect(streaming.append)
    assert controller.send([TextPart("Go")])
    reply = controller.conversation.messages[-1]
    qtbot.waitUntil(lambda: "a" in shown, timeout=5000)  # the first view update showed "a"

    network.set()  # "b" arrives after a wait: the next view update is a whole interval away
    qtbot.waitUntil(lambda: streaming == [True, False], timeout=5000)

    interval = controller_module.VIEW_INTERVAL_MS / 1000
    assert pulled["after b"] - pulled["b sent"] >= interval / 2  # read again near the update
    assert pulled["after c"] - pulled["after b"] < interval / 2  # "c" was waiting: read on at once
    assert (reply.plain_text, reply.state) == ("abc", MessageState.COMPLETE)


def test_a_reply_arriving_faster_than_a_model_writes_is_read_without_waiting(
    qtbot: QtBot, qloop: object
) -> None:
    """A server sending hundreds of events per view interval would fill the socket's buffer
    during the wait: such a reply is read as fast as it comes, even after catching up."""
    network = asyncio.Event()
    pulled: dict[str, float] = {}
    stamp = stamper(pulled)

    burst = [ContentDelta("x") for _ in range(controller_module.TRICKLE_EVENTS)]
    script: list[Step] = [
        *burst,
        network,
        stamp("b sent"),
        ContentDelta("b"),
        stamp("after b"),
        Finished("stop"),
    ]
    controller = make_controller(ScriptedClient([script]), RecordingSink())
    shown: list[str] = []
    controller.message_changed.connect(lambda message: shown.append(message.plain_text))
    streaming: list[bool] = []
    controller.streaming_changed.connect(streaming.append)
    assert controller.send([TextPart("Go")])
    qtbot.waitUntil(lambda: bool(shown) and shown[-1].endswith("x"), timeout=5000)  # the burst shown

    network.set()
    qtbot.waitUntil(lambda: streaming == [True, False], timeout=5000)

    interval = controller_module.VIEW_INTERVAL_MS / 1000
    assert pulled["after b"] - pulled["b sent"] < interval / 2
    assert controller.conversation.messages[-1].plain_text == "x" * len(burst) + "b"


# -- the transcript on its own -------------------------------------------------------


make_view = shown_view


def test_the_transcript_shows_a_streamed_reply_then_its_finished_form(qtbot: QtBot, qloop: object) -> None:
    user = Message.text(Role.USER, "Hi")
    reply = Message(Role.ASSISTANT, [], model="grok-3", state=MessageState.STREAMING)
    messages = [user]
    view = make_view(qtbot, messages)
    messages.append(reply)
    view.message_added(reply)

    reply.append_text("Hello **wor")
    view.message_changed(reply)
    qtbot.waitUntil(lambda: "Hello" in view.plain_text(), timeout=3000)
    reply.append_text("ld**, fine.\n\n```python\nprint(1)\n```\n")
    reply.state = MessageState.COMPLETE
    view.message_changed(reply)

    # Finished: formatted for good, the code block with its Copy link.
    qtbot.waitUntil(lambda: f"copy:{reply.id}:0" in anchors_of(view), timeout=3000)
    assert "Hello world, fine." in view.plain_text()
    assert "**" not in view.plain_text() and "```" not in view.plain_text()


def test_a_reply_streamed_in_pieces_ends_as_it_renders_at_once(qtbot: QtBot, qloop: object) -> None:
    # Headings after the header and after code blocks and tables, a list then a section,
    # words added to an open paragraph, emphasis closed by a later piece, and a burst
    # longer than one update renders (shown as plain text, then formatted in place).
    section = (
        "## Part {n}\n\nSome plain words arrive here one by one, then **bold** and `code`.\n\n"
        "- first item\n- second item\n\n```python\nprint({n})\n```\n\n| a | b |\n|---|---|\n| {n} | 2 |\n\n"
    )
    text = "Intro words for the reply.\n\n" + "".join(section.format(n=n) for n in range(40)) + "The end."
    words = re.compile(r"\s*\S+")
    pieces = [*words.findall(text[:600]), text[600:7000], *words.findall(text[7000:])]
    view, user, reply = streaming_view(qtbot)
    for piece in pieces:
        reply.append_text(piece)
        view.message_changed(reply)
    assert "".join(pieces) == text
    reply.state = MessageState.COMPLETE
    view.message_changed(reply)

    fresh = make_view(qtbot, [user, reply])
    # The same blocks in the same formats, once the slices left at the end are rendered.
    qtbot.waitUntil(lambda: view.toHtml() == fresh.toHtml(), timeout=5000)
    assert view.plain_text() == fresh.plain_text()


def test_the_transcript_shows_a_failed_reply_with_its_error_and_retry(qtbot: QtBot, qloop: object) -> None:
    reply = Message.text(Role.ASSISTANT, "Partial", model="grok-3")
    reply.state = MessageState.FAILED
    reply.error = "xAI is at capacity right now."
    view = make_view(qtbot, [Message.text(Role.USER, "Hi"), reply])
    asked: list[tuple[str, str]] = []
    view.action_requested.connect(lambda action, mid: asked.append((action, mid)))

    assert "xAI is at capacity right now." in view.plain_text()
    assert f"act:retry:{reply.id}" in anchors_of(view)
    view.anchorClicked.emit(QUrl(f"act:retry:{reply.id}"))
    assert asked == [("retry", reply.id)]


def anchors_of(view: TranscriptView) -> list[str]:
    """Every link target in the view's document."""
    return document_anchors(view.document())
