""" "Show all" on a collapsed long message: laid out a slice per event-loop turn, the
user's place kept, the view usable meanwhile, and at the end the whole text there as
it is (plain text, a copied selection, the code block's Copy, Find)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QTimer, QUrl
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QAbstractSlider
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Message, Role
from grokdesk.ui.chat.transcript import TranscriptView
from tests.helpers.transcripts import shown_view

LINE = " ".join(f"word{i % 97} and more." if i % 7 == 0 else f"w{i:06d}" for i in range(60_000))
CODE = "\n".join(f"value_{i:05d} = compute({i})  # line {i}" for i in range(6_000))


def long_reply(text: str) -> list[Message]:
    return [Message.text(Role.USER, "Something big, please"), Message.text(Role.ASSISTANT, text)]


def expand(view: TranscriptView, message: Message) -> None:
    view.anchorClicked.emit(QUrl(f"expand:{message.id}"))


def finished(qtbot: QtBot, view: TranscriptView) -> None:
    qtbot.waitUntil(lambda: not view.is_expanding(), timeout=60_000)


def test_a_long_line_appears_a_slice_at_a_time_where_the_user_reads(qtbot: QtBot, qloop: object) -> None:
    messages = long_reply(LINE)
    view = shown_view(qtbot, messages)
    shown = view.plain_text()
    assert "Show all" in shown and len(shown) < len(LINE) // 10
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())  # the link on screen, as when the user clicks it
    reading = bar.value()
    top_line = view.cursorForPosition(view.viewport().rect().topLeft()).position()
    expand(view, messages[1])
    # Where the link was, the text continues; the rest is still to come.
    assert view.is_expanding()
    assert bar.value() == reading
    assert view.cursorForPosition(view.viewport().rect().topLeft()).position() == top_line
    seen_while_expanding: list[bool] = []

    def scroll_meanwhile() -> None:
        seen_while_expanding.append(view.is_expanding())
        bar.triggerAction(QAbstractSlider.SliderAction.SliderSingleStepAdd)

    QTimer.singleShot(0, scroll_meanwhile)
    qtbot.waitUntil(lambda: bool(seen_while_expanding))
    assert seen_while_expanding == [True]
    finished(qtbot, view)
    assert not view.is_following()
    assert bar.value() == reading + bar.singleStep()  # the user's scroll, nothing else
    # The whole line, as it is: no break where the display cut it into paragraphs.
    shown = view.plain_text()
    assert LINE in shown and "Show all" not in shown
    assert view.document().blockCount() > 10  # (it is laid out in pieces)


def test_a_copied_selection_and_find_read_the_line_not_its_pieces(qtbot: QtBot, qloop: object) -> None:
    messages = long_reply(LINE)
    view = shown_view(qtbot, messages)
    expand(view, messages[1])
    finished(qtbot, view)
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.document().find("w000001").selectionStart())
    cursor.setPosition(view.document().find("w059999").selectionEnd(), QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    assert view.createMimeDataFromSelection().text() == LINE[LINE.index("w000001") :]
    view.moveCursor(QTextCursor.MoveOperation.Start)
    assert view.find("w059999")


def test_find_sees_a_phrase_across_the_pieces_a_long_line_is_laid_out_in(qtbot: QtBot, qloop: object) -> None:
    messages = long_reply(LINE)
    view = shown_view(qtbot, messages)
    expand(view, messages[1])
    finished(qtbot, view)
    # Where the display cut the line: the end of one piece and the start of the next.
    block = view.document().findBlock(view.document().find("w030000").selectionStart())
    phrase = block.text()[-8:] + block.next().text()[:8]
    assert phrase in LINE  # one phrase of the text, as the user reads it
    assert view.document().find(phrase).isNull()  # Qt's find reads the pieces
    view.moveCursor(QTextCursor.MoveOperation.Start)
    assert view.find_phrase(phrase.upper())  # case ignored, as Ctrl+F does
    assert view.createMimeDataFromSelection().text() == phrase
    # Found once: the next search from there finds no other.
    assert not view.find_phrase(phrase)
    view.moveCursor(QTextCursor.MoveOperation.Start)
    assert view.find_phrase("w030000")  # and plain matches as before
    assert view.textCursor().selectedText() == "w030000"


def test_a_long_code_block_ends_whole_and_coloured(qtbot: QtBot, qloop: object) -> None:
    messages = long_reply(f"Here it is:\n\n```python\n{CODE}\n```\n\nThat is all.")
    view = shown_view(qtbot, messages)
    assert "line 5999" not in view.plain_text()
    expand(view, messages[1])
    assert view.is_expanding()
    finished(qtbot, view)
    shown = view.plain_text()
    assert CODE in shown and shown.index("Here it is:") < shown.index(CODE) < shown.index("That is all.")
    assert view.code_block(messages[1].id, 0) == CODE + "\n"
    # Coloured to its end: a comment there has the comments' colour, not the names'.
    name = view.document().find("value_05990").charFormat()
    comment = view.document().find("# line 5990").charFormat()
    assert comment.foreground().color() != name.foreground().color()
    assert comment.foreground() == view.document().find("# line 1").charFormat().foreground()


def test_closing_the_tab_while_expanding_stops_it(qtbot: QtBot, qloop: object) -> None:
    messages = long_reply(LINE)
    view = TranscriptView()
    view.resize(600, 400)
    view.show()
    view.set_messages(messages)
    expand(view, messages[1])
    assert view.is_expanding()
    qtbot.wait(10)  # a turn or two of it
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(view)
    qtbot.wait(50)  # no turn left to run on a deleted view (a stray error fails the test)


def test_a_new_reply_during_the_expansion_loses_nothing(qtbot: QtBot, qloop: object) -> None:
    messages = long_reply(LINE)
    view = shown_view(qtbot, messages)
    expand(view, messages[1])
    assert view.is_expanding()
    for text in ("And a question?", "And its answer."):
        message = Message.text(Role.USER if "?" in text else Role.ASSISTANT, text)
        messages.append(message)
        view.message_added(message)
    finished(qtbot, view)
    shown = view.plain_text()
    assert LINE in shown and shown.index(LINE) < shown.index("And a question?") < shown.index(
        "And its answer."
    )


def test_a_re_render_during_the_expansion_starts_it_again(qtbot: QtBot, qloop: object) -> None:
    messages = long_reply(LINE)
    view = shown_view(qtbot, messages)
    expand(view, messages[1])
    view.rebuild()  # as an edit or a deleted message elsewhere does
    assert view.is_expanding()
    finished(qtbot, view)
    assert view.plain_text().count(LINE) == 1


def test_hiding_the_view_meanwhile_as_a_tab_switch_does_loses_nothing(qtbot: QtBot, qloop: object) -> None:
    messages = long_reply(LINE)
    view = shown_view(qtbot, messages)
    expand(view, messages[1])
    view.hide()
    qtbot.wait(20)
    view.show()
    finished(qtbot, view)
    assert LINE in view.plain_text()
