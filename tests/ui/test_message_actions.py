"""Per-message actions: an icon bar on hover or keyboard choice, no link rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Conversation, Message, Role
from tests.helpers.safe_html import hrefs_of
from tests.ui.conftest import MakeWindow


def conversation() -> Conversation:
    return Conversation(
        title="actions",
        model="grok-3",
        messages=[
            Message.text(Role.USER, "What is **two** plus two?"),
            Message.text(Role.ASSISTANT, "It is *four*.", model="grok-3"),
            Message.text(Role.USER, "Thanks"),
        ],
    )


def test_no_link_rows_and_the_bar_follows_the_pointer(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    tab = window.open_conversation(conversation())
    transcript = tab.transcript
    qtbot.waitUntil(lambda: transcript.message_rect(tab.controller.conversation.messages[-1].id) is not None)
    hrefs = hrefs_of(transcript.toHtml())
    assert not [h for h in hrefs if h.startswith("act:")], hrefs  # no Copy/Edit/Delete links
    for word in ("Copy Markdown", "Regenerate", "Delete"):
        assert word not in transcript.plain_text()
    question, reply, _thanks = tab.controller.conversation.messages
    bar = transcript.action_bar
    for message, offered in ((question, {"copy", "edit", "delete"}), (reply, {"copy", "regenerate"})):
        rect = transcript.message_rect(message.id)
        assert rect is not None
        QTest.mouseMove(transcript.viewport(), rect.center())
        assert bar.isVisible() and bar.message_id == message.id
        for action in offered:
            button = bar.button(action)
            assert button is not None and button.toolTip() and button.accessibleName()
        # The bar sits below the message, over no text of it.
        assert bar.geometry().top() >= rect.bottom()
    assert bar.button("regenerate") is not None
    QTest.mouseMove(transcript.viewport(), transcript.message_rect(question.id).center())  # type: ignore[union-attr]
    assert bar.button("regenerate") is None  # only replies regenerate
    QTest.mouseClick(bar.button("copy"), Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    assert QGuiApplication.clipboard().text().strip() == "What is two plus two?"


def test_keyboard_reaches_every_action(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    tab = window.open_conversation(conversation())
    transcript = tab.transcript
    _question, reply, thanks = tab.controller.conversation.messages
    qtbot.waitUntil(lambda: transcript.message_rect(thanks.id) is not None)
    transcript.setFocus()
    qtbot.waitUntil(transcript.hasFocus)
    bar = transcript.action_bar
    QTest.keyClick(transcript, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert bar.message_id == thanks.id and bar.isVisible()
    focused = QApplication.focusWidget()
    assert focused is bar.button("copy")
    QTest.keyClick(focused, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)  # from the bar, on up
    assert bar.message_id == reply.id
    first = QApplication.focusWidget()
    assert first is bar.button("copy")
    QTest.keyClick(first, Qt.Key.Key_Right)
    assert QApplication.focusWidget() is bar.button("edit")
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    regenerate = QApplication.focusWidget()
    assert regenerate is bar.button("regenerate")
    QTest.keyClick(regenerate, Qt.Key.Key_Left)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)  # Copy, from the keyboard
    assert QGuiApplication.clipboard().text().strip() == "It is four."
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert transcript.hasFocus() and not bar.isVisible()


def test_delete_from_the_bar_and_the_context_menu_lists_actions(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    tab = window.open_conversation(conversation())
    transcript = tab.transcript
    messages = tab.controller.conversation.messages
    thanks = messages[-1]
    qtbot.waitUntil(lambda: transcript.message_rect(thanks.id) is not None)
    rect = transcript.message_rect(thanks.id)
    assert rect is not None
    QTest.mouseMove(transcript.viewport(), rect.center())
    QTest.mouseClick(transcript.action_bar.button("delete"), Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: thanks not in tab.controller.conversation.messages)
    assert "Thanks" not in transcript.plain_text()
    # The right-click menu offers the message's actions too.
    reply = tab.controller.conversation.messages[-1]
    rect = transcript.message_rect(reply.id)
    assert rect is not None
    seen: list[list[str]] = []

    def grab_menu() -> None:
        from PySide6.QtWidgets import QMenu

        menus = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]
        seen.extend([[a.text() for a in m.actions()] for m in menus])
        for m in menus:
            m.close()

    point = rect.center()
    viewport = transcript.viewport()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)  # what a right click on the message sends
    qtbot.waitUntil(lambda: bool(grab_menu() or seen))
    assert any("Regenerate" in texts and "Copy as Markdown" in texts for texts in seen)
