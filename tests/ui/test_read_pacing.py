"""A reply that trickles in is read in step with the view (see READ_AHEAD_MS in the
controller): against the real window and a server writing a chunk every 5 ms, nothing is
lost, the reply still shows as it comes, and Stop during the wait closes the stream."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState
from tests.helpers.fake_xai import FakeXai
from tests.helpers.fake_xai_scripts import Reply
from tests.ui.conftest import MakeWindow

ANSWER = " ".join(f"word{n}" for n in range(150)) + "."
# The pace of a model writing quickly: a chunk every 5 ms (200 a second).
PACE_S = 0.005


def test_a_trickling_reply_arrives_whole_and_shows_as_it_comes(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    tab = window.current_tab()
    assert tab is not None
    fake_xai.script_next(Reply(text=ANSWER, chunk_delay=PACE_S))
    updates: list[str] = []
    tab.controller.message_changed.connect(lambda message: updates.append(message.plain_text))

    tab.composer.setPlainText("Count for me")
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=15000)

    reply = tab.controller.conversation.messages[-1]
    assert (reply.state, reply.plain_text) == (MessageState.COMPLETE, ANSWER)
    assert ANSWER in tab.transcript.plain_text()
    # Shown as it came (~0.75 s of chunks: several updates, each with more of the text).
    growing = [text for text in updates[:-1] if text]
    assert len(growing) >= 3 and all(ANSWER.startswith(text) for text in growing)
    assert growing == sorted(growing, key=len) and len(set(growing)) == len(growing)


def test_stop_between_two_reads_keeps_the_text_and_closes_the_stream(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    tab = window.current_tab()
    assert tab is not None
    fake_xai.script_next(Reply(text=ANSWER * 4, chunk_delay=PACE_S))
    tab.composer.setPlainText("Count for me")
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return)
    reply = None

    def shown() -> bool:
        nonlocal reply
        reply = tab.controller.streaming_message
        return reply is not None and "word3" in tab.transcript.plain_text()

    qtbot.waitUntil(shown, timeout=5000)
    # Most of a trickling reply's time is spent waiting for the next view update, not in a read.
    qtbot.keyClick(tab.composer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)

    assert reply is not None and reply.state is MessageState.STOPPED
    assert reply.plain_text and (ANSWER * 4).startswith(reply.plain_text)
    assert fake_xai.wait_for_client_close()
