"""Conversation window behaviour through the real widgets against the fake xAI server:
tabs, concurrent streams, regenerate, edit, continue, roles in any order, inline errors,
and model output that is shown but never obeyed."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState, Role
from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.mainwindow import MainWindow
from tests.helpers.fake_xai import TURNS, FakeXai
from tests.helpers.fake_xai_scripts import Error, Reply, StallAfter
from tests.ui.conftest import MakeWindow


def send(qtbot: QtBot, tab: ConversationTab, text: str) -> None:
    tab.composer.setPlainText(text)
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)


INLINE_ACTIONS = ("retry", "continue")  # links inside a failure or cut-off note


def click_action(tab: ConversationTab, action: str, message_id: str) -> None:
    """Use a per-message action as the user does: hover the message, then click its icon
    button in the action bar (or the entry of its "More" menu); Retry and Continue are
    links in the note under the message."""
    transcript = tab.transcript
    if action in INLINE_ACTIONS:
        transcript.anchorClicked.emit(QUrl(f"act:{action}:{message_id}"))
        return
    transcript.scroll_to_message(message_id)
    rect = transcript.message_rect(message_id)
    assert rect is not None
    # Two steps: a move to where the pointer already is sends no event.
    QTest.mouseMove(transcript.viewport(), rect.topLeft() + QPoint(2, 2))
    QTest.mouseMove(transcript.viewport(), rect.center())
    bar = transcript.action_bar
    assert bar.isVisible() and bar.message_id == message_id
    button = bar.button(action)
    if button is not None:
        assert button.toolTip() and button.accessibleName()
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        return
    entry = bar.menu_action(action)
    assert entry is not None, f"no {action} action for this message"
    entry.trigger()


def current(window: MainWindow) -> ConversationTab:
    tab = window.current_tab()
    assert tab is not None
    return tab


def test_two_tabs_stream_at_once_without_mixing(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    first = current(window)
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    second = current(window)
    assert second is not first and window.tabs.count() == 2
    second.select_model("grok-3")
    fake_xai.script_next(
        Reply(text=" ".join(["alpha"] * 40), chunk_delay=0.004),
        Reply(text=" ".join(["omega"] * 40), chunk_delay=0.004),
    )
    first.composer.setPlainText("first question")
    first.send()
    second.composer.setPlainText("second question")
    second.send()
    assert first.controller.is_streaming and second.controller.is_streaming
    assert window.tabs.tabText(0).startswith("●") and window.tabs.tabText(1).startswith("●")
    qtbot.waitUntil(
        lambda: not first.controller.is_streaming and not second.controller.is_streaming, timeout=5000
    )
    a = first.controller.conversation.messages[-1].plain_text
    b = second.controller.conversation.messages[-1].plain_text
    assert {a, b} == {" ".join(["alpha"] * 40), " ".join(["omega"] * 40)}
    assert not window.tabs.tabText(0).startswith("●")
    assert window.tabs.tabText(0) == "first question"


def test_tab_shortcuts_cycle_and_close_keeps_partial_reply(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 2
    qtbot.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    qtbot.keyClick(window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 2

    tab = current(window)
    tab.select_model("grok-3")
    fake_xai.script_next(StallAfter(3))
    tab.composer.setPlainText("stream then close")
    tab.send()
    qtbot.waitUntil(
        lambda: bool(tab.controller.streaming_message and tab.controller.streaming_message.plain_text)
    )
    reply = tab.controller.streaming_message
    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.count() == 2
    qtbot.waitUntil(lambda: reply is not None and reply.state is MessageState.STOPPED, timeout=5000)
    assert fake_xai.wait_for_client_close()
    assert reply is not None and reply.plain_text


def test_regenerate_shows_the_new_reply(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    tab = current(make_window())
    fake_xai.script_next(Reply(text="First answer."), Reply(text="Second answer."))
    send(qtbot, tab, "Question")
    reply = tab.controller.conversation.messages[-1]
    assert "First answer." in tab.transcript.plain_text()
    click_action(tab, "regenerate", reply.id)
    qtbot.waitUntil(
        lambda: not tab.controller.is_streaming and "Second answer." in tab.transcript.plain_text()
    )
    assert "First answer." not in tab.transcript.plain_text()
    roles = [m.role for m in tab.controller.conversation.messages]
    assert roles == [Role.USER, Role.ASSISTANT]
    assert fake_xai.requests_to(TURNS)[-1].messages[-1] == {"role": "user", "content": "Question"}


def test_an_edited_question_is_sent_again(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    tab = current(make_window())
    send(qtbot, tab, "What is 2+2?")
    question, _answer = tab.controller.conversation.messages
    click_action(tab, "edit", question.id)
    dialog = tab.findChild(QInputDialog, "editMessageDialog")
    assert dialog is not None and dialog.textValue() == "What is 2+2?"
    dialog.setTextValue("What is 3+3?")
    dialog.accept()
    assert "What is 3+3?" in tab.transcript.plain_text()
    qtbot.waitUntil(
        lambda: not tab.controller.is_streaming and len(tab.controller.conversation.messages) == 2
    )
    assert fake_xai.requests_to(TURNS)[-1].messages[-1]["content"] == "What is 3+3?"
    assert "Echo: What is 3+3?" in tab.transcript.plain_text()


def test_continue_after_length_limit(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    tab = current(make_window())
    fake_xai.script_next(Reply(text="Once upon a time", finish_reason="length"), Reply(text=", the end."))
    send(qtbot, tab, "Tell a story")
    reply = tab.controller.conversation.messages[-1]
    assert reply.finish_reason == "length"
    assert "length limit" in tab.transcript.plain_text()
    click_action(tab, "continue", reply.id)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming and reply.finish_reason == "stop", timeout=5000)
    assert reply.plain_text == "Once upon a time, the end."
    sent = fake_xai.requests_to(TURNS)[-1].messages
    assert sent[-1] == {"role": "assistant", "content": "Once upon a time"}
    assert "length limit" not in tab.transcript.plain_text()


def test_roles_in_any_order_are_sent_as_shown(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    tab = current(make_window())
    tab.controller.conversation.settings.add_datetime = False
    send(qtbot, tab, "Hello")
    tab.role_picker.setCurrentIndex(tab.role_picker.findData(Role.SYSTEM))
    tab.composer.setPlainText("From now on answer in French.")
    tab.add_without_sending()
    tab.role_picker.setCurrentIndex(tab.role_picker.findData(Role.ASSISTANT))
    tab.composer.setPlainText("Example: Bonjour!")
    tab.add_without_sending()
    send(qtbot, tab, "How are you?")
    sent = fake_xai.requests_to(TURNS)[-1].messages
    assert [(m["role"], m["content"]) for m in sent] == [
        ("user", "Hello"),
        ("assistant", "Echo: Hello"),
        ("system", "From now on answer in French."),
        ("assistant", "Example: Bonjour!"),
        ("user", "How are you?"),
    ]
    shown = tab.transcript.plain_text()
    assert (
        shown.index("From now on answer in French.")
        < shown.index("Example: Bonjour!")
        < shown.index("How are you?")
    )


def test_inline_error_then_retry_succeeds(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    tab = current(make_window())
    fake_xai.script_next(
        Error(400, {"code": "Client specified an invalid argument", "error": "Something odd happened."}),
        Reply(text="Recovered answer."),
    )
    send(qtbot, tab, "Question")
    failed = tab.controller.conversation.messages[-1]
    assert failed.state is MessageState.FAILED
    assert "Something odd happened" in tab.transcript.plain_text()
    assert "Retry" in tab.transcript.plain_text()
    assert tab.send_button.isEnabled()
    click_action(tab, "retry", failed.id)
    qtbot.waitUntil(lambda: "Recovered answer." in tab.transcript.plain_text(), timeout=5000)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming)
    assert [m.state for m in tab.controller.conversation.messages] == [MessageState.COMPLETE] * 2
    # The error was shown, never sent: the retried request carries the question only.
    assert fake_xai.requests_to(TURNS)[-1].messages == [
        m for m in fake_xai.requests_to(TURNS)[-1].messages if m["role"] != "notice"
    ]
    assert fake_xai.requests_to(TURNS)[-1].messages[-1] == {"role": "user", "content": "Question"}


def test_model_output_is_shown_never_obeyed(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    root = fake_xai.root_url
    hostile = (
        f'<img src="{root}/tracker.png"> <script>alert(1)</script> <iframe src="{root}/frame"></iframe>\n\n'
        f"![remote]({root}/markdown.png) [click](javascript:alert(1)) [file](file:///etc/passwd) "
        f"[safe]({root}/page)"
    )
    tab = current(make_window())
    fake_xai.script_next(Reply(text=hostile))
    send(qtbot, tab, "Show me something")
    qtbot.wait(50)  # give a resource load, if one were attempted, the chance to happen
    assert not fake_xai.any_request_to("/tracker.png")
    assert not fake_xai.any_request_to("/markdown.png")
    assert not fake_xai.any_request_to("/frame")
    html = tab.transcript.toHtml()
    assert "<script" not in html and "<iframe" not in html
    assert 'href="javascript' not in html and 'href="file' not in html
    assert f'href="{root}/page"' in html
    shown = tab.transcript.plain_text()
    assert "<script>alert(1)</script>" in shown  # displayed as text
