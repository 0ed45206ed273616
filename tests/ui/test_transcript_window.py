"""The transcript's window of rendered messages in a long conversation: bounded while it
follows the end, loaded again as the user scrolls up, and reachable by a search jump."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QAbstractSlider
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Message, Role
from grokdesk.ui.chat.transcript import FOLLOW_CAP, TranscriptView
from tests.helpers.transcripts import shown_view


def numbered(i: int) -> Message:
    role = Role.USER if i % 2 == 0 else Role.ASSISTANT
    return Message.text(role, f"Message number {i}.\n\n" + "words " * 40)


def make_view(qtbot: QtBot, messages: list[Message]) -> TranscriptView:
    view = shown_view(qtbot, messages)
    view.plain_text()  # the first window rendered whole
    return view


def rendered_frames(view: TranscriptView) -> int:
    return len(view.document().rootFrame().childFrames())


def add(view: TranscriptView, messages: list[Message], count: int) -> None:
    for _ in range(count):
        message = numbered(len(messages))
        messages.append(message)
        view.message_added(message)


def test_following_the_end_keeps_only_the_newest_messages_laid_out(qtbot: QtBot, qloop: object) -> None:
    messages: list[Message] = []
    view = make_view(qtbot, messages)
    add(view, messages, FOLLOW_CAP)
    assert rendered_frames(view) == FOLLOW_CAP and "Message number 0." in view.plain_text()
    add(view, messages, 2 * FOLLOW_CAP)
    assert rendered_frames(view) == FOLLOW_CAP
    shown = view.plain_text()
    assert f"Show {2 * FOLLOW_CAP} earlier messages" in shown
    assert f"Message number {3 * FOLLOW_CAP - 1}." in shown
    assert f"Message number {2 * FOLLOW_CAP - 1}." not in shown
    bar = view.verticalScrollBar()
    assert view.is_following() and bar.value() == bar.maximum()


def test_nothing_is_dropped_while_the_user_reads_above(qtbot: QtBot, qloop: object) -> None:
    messages = [numbered(i) for i in range(FOLLOW_CAP)]
    view = make_view(qtbot, messages)
    bar = view.verticalScrollBar()
    bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub)
    qtbot.waitUntil(lambda: not view.is_following())
    reading = bar.value()
    add(view, messages, FOLLOW_CAP)
    assert rendered_frames(view) == 2 * FOLLOW_CAP
    assert "Message number 0." in view.plain_text()
    assert bar.value() == reading


def test_scrolling_to_the_top_loads_earlier_messages_where_the_user_reads(
    qtbot: QtBot, qloop: object
) -> None:
    messages = [numbered(i) for i in range(150)]
    view = make_view(qtbot, messages)
    assert view.showing_earlier() == 90
    bar = view.verticalScrollBar()
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)
    oldest_shown = messages[90].id
    top = view.message_rect(oldest_shown)
    assert top is not None
    qtbot.waitUntil(lambda: view.showing_earlier() == 30)
    # The earlier messages are above; what the user was reading has not moved.
    after = view.message_rect(oldest_shown)
    assert after is not None and abs(after.top() - top.top()) <= 2
    assert bar.value() > 0
    shown = view.plain_text()
    assert "Show 30 earlier messages" in shown
    assert shown.index("Message number 30.") < shown.index("Message number 90.")


def test_a_search_jump_to_a_dropped_message_shows_a_window_around_it(qtbot: QtBot, qloop: object) -> None:
    messages: list[Message] = []
    view = make_view(qtbot, messages)
    add(view, messages, 60)
    assert "Message number 5." not in view.plain_text()
    assert view.scroll_to_message(messages[5].id)
    rect = view.message_rect(messages[5].id)
    assert rect is not None and view.viewport().rect().intersects(rect)
    shown = view.plain_text()
    assert "Message number 0." in shown and "Message number 25." in shown
    assert "Show 34 later messages" in shown and "Message number 26." not in shown
    add(view, messages, 1)  # arrives while the user reads: counted, not shown
    assert "Show 35 later messages" in view.plain_text()
    # Find goes on below the window, and wraps around to the top of the conversation.
    assert view.show_next_with("MESSAGE NUMBER 40.")
    assert view.find("Message number 40.")
    assert "Message number 0." not in view.plain_text()
    assert view.show_next_with("message number 0.")
    assert "Message number 0." in view.plain_text() and "Show 40 later messages" in view.plain_text()
    view.anchorClicked.emit(QUrl("later:"))  # the link below the window, for keyboard users
    shown = view.plain_text()
    assert "later messages" not in shown and "Message number 60." in shown
    view.scroll_to_end()
    shown = view.plain_text()
    assert "later messages" not in shown and "Message number 60." in shown
    assert view.is_following()
