"""The real window against the fake xAI server: a message sent streams its whole reply."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState, Role
from tests.helpers.fake_xai import RESPONSES, TURNS, FakeXai
from tests.helpers.fake_xai_scripts import Reply, StallAfter
from tests.ui.conftest import MakeWindow


def test_sent_message_streams_the_whole_reply(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    tab = window.current_tab()
    assert tab is not None
    fake_xai.script_next(Reply(text="The capital of France is **Paris**.", chunk_delay=0.005))

    qtbot.keyClicks(tab.composer, "What is the capital of France?")
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(tab.stop_button.isEnabled, timeout=5000)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    shown = tab.transcript.plain_text()
    assert "What is the capital of France?" in shown
    assert "The capital of France is Paris." in shown
    assert not tab.stop_button.isEnabled()
    assert tab.composer.toPlainText() == ""
    request = fake_xai.requests_to(TURNS)[-1]
    sent = request.json
    assert request.path == RESPONSES  # the Responses API is the default
    assert sent["model"] == "grok-3"
    assert sent["stream"] is True and sent["store"] is False
    assert request.messages[-1] == {"role": "user", "content": "What is the capital of France?"}
    reply = tab.controller.conversation.messages[-1]
    assert reply.role is Role.ASSISTANT and reply.state is MessageState.COMPLETE
    assert reply.usage is not None and reply.usage.completion_tokens > 0


def test_stop_keeps_what_arrived(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = window.current_tab()
    assert tab is not None
    fake_xai.script_next(StallAfter(3))
    tab.composer.setPlainText("Tell me a long story")
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return)
    reply = None

    def some_text_arrived() -> bool:
        nonlocal reply
        reply = tab.controller.streaming_message
        return reply is not None and bool(reply.plain_text)

    qtbot.waitUntil(some_text_arrived, timeout=5000)
    assert tab.stop_button.isEnabled()
    qtbot.keyClick(tab.composer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    assert reply is not None and reply.state is MessageState.STOPPED
    assert reply.plain_text in tab.transcript.plain_text()
    assert "Stopped" in tab.transcript.plain_text()
    assert fake_xai.wait_for_client_close()
    assert not tab.stop_button.isEnabled() and tab.send_button.isEnabled()


def test_a_reply_streaming_in_a_background_tab_is_all_there_when_shown(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    first = window.current_tab()
    assert first is not None
    text = " ".join(f"word{i}" for i in range(600)) + "\n\nThe last paragraph."
    fake_xai.script_next(Reply(text=text, chunk_delay=0.001))
    first.composer.setPlainText("A long one, please")
    first.send()
    qtbot.waitUntil(lambda: "word1 " in first.transcript.document().toPlainText(), timeout=5000)
    second = window.new_conversation()  # the first tab goes to the background mid-reply
    assert window.current_tab() is second and not first.transcript.isVisible()
    qtbot.waitUntil(lambda: not first.controller.is_streaming, timeout=10_000)
    window.tabs.setCurrentWidget(first)
    qtbot.waitUntil(first.transcript.isVisible)
    # Rendered a slice at a time once shown, the whole reply arrives on screen.
    qtbot.waitUntil(lambda: "The last paragraph." in first.transcript.document().toPlainText(), timeout=5000)
    assert "word599" in first.transcript.document().toPlainText()


def test_a_long_reply_that_arrives_at_once_is_laid_out_a_slice_at_a_time(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    """A server that answers in one piece (or a reply faster than the first view update):
    the reply is laid out over several turns of the event loop, as a streamed one is,
    instead of in one render that froze the window (0.5 s for 127 KB)."""
    window = make_window()
    tab = window.current_tab()
    assert tab is not None
    text = "\n\n".join(f"Paragraph {i}: " + "plenty of words " * 20 for i in range(200))
    fake_xai.script_next(Reply(text=text, ignore_stream=True))
    shown_at_the_end: list[int] = []
    tab.streaming_changed.connect(
        lambda streaming: (
            streaming or shown_at_the_end.append(tab.transcript.toPlainText().count("Paragraph "))
        )
    )
    tab.composer.setPlainText("Write a lot")
    tab.send()
    qtbot.waitUntil(lambda: bool(shown_at_the_end), timeout=5000)
    assert 0 < shown_at_the_end[0] < 200  # the rest follows in later turns
    qtbot.waitUntil(lambda: tab.transcript.toPlainText().count("Paragraph ") == 200, timeout=10_000)
    assert "Paragraph 199: plenty of words" in tab.transcript.plain_text()
    assert tab.controller.conversation.messages[-1].plain_text == text
