"""Window behaviour a user notices: reasoning, following the stream, find, composer keys,
restored sessions, a rejected key, settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QAbstractSlider, QApplication, QDialog
from pytestqt.qtbot import QtBot

from grokdesk.app import create_main_window
from grokdesk.core.conversation import MessageState
from tests.helpers.fake_xai import TURNS, FakeXai
from tests.helpers.fake_xai_scripts import Error, Reply, StallAfter, bad_key_body
from tests.ui.conftest import MakeWindow, shut_down
from tests.ui.test_conversation import current, send


def test_reasoning_is_collapsed_until_asked(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    tab = current(make_window(model="grok-3-mini"))
    fake_xai.script_next(Reply(text="Four.", reasoning="Adding two and two gives four."))
    send(qtbot, tab, "2+2?")
    reply = tab.controller.conversation.messages[-1]
    assert reply.reasoning == "Adding two and two gives four."
    shown = tab.transcript.plain_text()
    assert "Show reasoning (6 words)" in shown and "Adding two and two" not in shown
    tab.transcript.anchorClicked.emit(QUrl(f"reasoning:{reply.id}"))
    shown = tab.transcript.plain_text()
    assert "Adding two and two gives four." in shown and "Hide reasoning" in shown
    assert shown.index("Adding two") < shown.index("Four.")
    # The reasoning is never replayed to the API as content.
    send(qtbot, tab, "and 3+3?")
    assistant = [m for m in fake_xai.requests_to(TURNS)[-1].messages if m["role"] == "assistant"]
    assert assistant == [{"role": "assistant", "content": "Four."}]


def test_follows_the_stream_until_the_user_scrolls_up(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    tab = current(window)
    for i in range(6):
        fake_xai.script_next(Reply(text="\n\n".join(f"Paragraph {i}.{j}" for j in range(12))))
        send(qtbot, tab, f"question {i}")
    bar = tab.transcript.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    fake_xai.script_next(StallAfter(5))
    tab.composer.setPlainText("one more")
    tab.send()
    qtbot.waitUntil(
        lambda: bool(tab.controller.streaming_message and tab.controller.streaming_message.plain_text)
    )
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)  # the user scrolls up to read
    qtbot.waitUntil(tab.jump_button.isVisible, timeout=2000)
    fake_xai.release()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    assert bar.value() == 0  # not yanked back down
    qtbot.mouseClick(tab.jump_button, Qt.MouseButton.LeftButton)
    assert bar.value() == bar.maximum()
    qtbot.waitUntil(lambda: not tab.jump_button.isVisible(), timeout=2000)


def test_find_in_conversation(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = current(window)
    fake_xai.script_next(Reply(text="The needle is here."))
    send(qtbot, tab, "Where is it?")
    qtbot.keyClick(tab.composer, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert tab.find_bar.isVisible()
    qtbot.keyClicks(tab.find_bar, "needle")
    qtbot.keyClick(tab.find_bar, Qt.Key.Key_Return)
    assert tab.transcript.textCursor().selectedText() == "needle"


def test_composer_keys(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = current(window)
    qtbot.keyClicks(tab.composer, "line one")
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(tab.composer, "line two")
    assert tab.composer.toPlainText() == "line one\nline two"
    assert fake_xai.count(TURNS) == 0
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming and fake_xai.count(TURNS) == 1, timeout=5000)
    assert fake_xai.requests_to(TURNS)[-1].messages[-1]["content"] == "line one\nline two"
    assert tab.composer.toPlainText() == ""
    qtbot.keyClick(tab.composer, Qt.Key.Key_Up)
    assert tab.composer.toPlainText() == "line one\nline two"
    # With the ctrl+enter setting, Enter breaks the line.
    tab.composer.clear()
    tab.composer.set_send_key("ctrl+enter")
    qtbot.keyClicks(tab.composer, "a")
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return)
    assert tab.composer.toPlainText() == "a\n" and fake_xai.count(TURNS) == 1


def test_restart_restores_tabs_models_drafts_and_the_active_tab(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = make_window(data_dir=data)
    tab_a = current(first)
    send(qtbot, tab_a, "first conversation")
    first.new_conversation().select_model("grok-3-mini")
    tab_b = current(first)
    send(qtbot, tab_b, "second conversation")
    tab_b.composer.setPlainText("an unsent draft")
    first.new_conversation()
    current(first).composer.setPlainText("draft in an empty tab")
    first.tabs.setCurrentIndex(1)
    titles = [first.tab(i).controller.conversation.title for i in range(3)]
    shut_down(qtbot, first)

    second = make_window(data_dir=data)
    assert second.tabs.count() == 3
    assert [second.tab(i).controller.conversation.title for i in range(3)] == titles
    assert second.tabs.currentIndex() == 1
    restored_b = second.tab(1)
    assert restored_b.controller.conversation.model == "grok-3-mini"
    assert restored_b.composer.toPlainText() == "an unsent draft"
    assert "Echo: second conversation" in restored_b.transcript.plain_text()
    assert second.tab(2).composer.toPlainText() == "draft in an empty tab"


def test_tabs_in_the_back_show_their_titles_before_they_are_built(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = make_window(data_dir=data)
    send(qtbot, current(first), "first conversation")
    first.new_conversation()
    send(qtbot, current(first), "second conversation")
    first.tabs.setCurrentIndex(0)
    titles = [first.tab(i).controller.conversation.title for i in range(2)]
    shut_down(qtbot, first)

    second = create_main_window(data_dir=data, base_url=fake_xai.base_url, api_key=fake_xai.api_key)
    try:
        # Not shown yet: the tab in the back is read and built after the first paint.
        assert [second.tabs.tabText(i) for i in range(2)] == titles
        assert "Echo: second conversation" in second.tab(1).transcript.plain_text()
    finally:
        shut_down(qtbot, second)


def test_rejected_key_keeps_the_conversation_and_the_draft(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window(api_key="xai-this-key-was-revoked-000000000000")
    tab = current(window)
    send(qtbot, tab, "hello")
    failed = tab.controller.conversation.messages[-1]
    assert failed.state is MessageState.FAILED
    assert "rejected" in tab.transcript.plain_text().lower()
    assert window.key_notice.isVisible()
    assert "rejected" in window.key_notice.label.text().lower()
    tab.composer.setPlainText("my unsent message")
    qtbot.mouseClick(window.key_notice.replace_button, Qt.MouseButton.LeftButton)
    dialogs = [w for w in QApplication.topLevelWidgets() if w.objectName() == "settingsDialog"]
    assert dialogs and dialogs[0].isVisible()
    dialogs[0].reject()
    assert tab.composer.toPlainText() == "my unsent message"
    assert tab.controller.conversation.messages[0].plain_text == "hello"
    assert Error(400, bad_key_body("xai-x")).status == 400


def test_settings_open_with_ctrl_comma(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    assert any(w.objectName() == "settingsDialog" for w in dialogs)
    for dialog in dialogs:
        dialog.reject()


def test_long_conversation_opens_at_its_end_and_loads_earlier_on_demand(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    from grokdesk.core.conversation import Conversation, Message, Role

    window = make_window()
    messages = [
        Message.text(Role.USER if i % 2 == 0 else Role.ASSISTANT, f"Message number {i}.\n\n" + "text " * 30)
        for i in range(150)
    ]
    tab = window.open_conversation(Conversation(title="long", model="grok-3", messages=messages))
    transcript = tab.transcript
    bar = transcript.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    assert bar.value() == bar.maximum()  # the end is what shows first
    shown = transcript.plain_text()
    assert "Message number 149." in shown and "Message number 89." not in shown
    assert "Show 90 earlier messages" in shown
    transcript.anchorClicked.emit(QUrl("more:"))
    shown = transcript.plain_text()
    assert "Show 30 earlier messages" in shown
    assert (
        shown.index("Message number 30.")
        < shown.index("Message number 89.")
        < shown.index("Message number 149.")
    )
    assert "Message number 29." not in shown
    transcript.anchorClicked.emit(QUrl("more:"))
    shown = transcript.plain_text()
    assert "earlier messages" not in shown
    order = [shown.index(f"Message number {i}.") for i in range(150)]
    assert order == sorted(order)
