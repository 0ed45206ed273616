"""Window size on first start and after, the welcome of an empty tab, the composer's tool row."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Role
from tests.helpers.fake_xai import FakeXai
from tests.helpers.fake_xai_scripts import Reply
from tests.ui.conftest import MakeWindow, shut_down
from tests.ui.test_conversation import current, send


def test_first_start_takes_most_of_the_screen_centred_and_is_remembered(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    data = tmp_path / "remembered"
    window = make_window(data_dir=data)
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    area = screen.availableGeometry()
    size = window.size()
    assert abs(size.width() - min(area.width(), max(720, round(area.width() * 0.7)))) <= 2
    assert abs(size.height() - min(area.height(), max(540, round(area.height() * 0.7)))) <= 2
    frame = window.frameGeometry()
    assert abs(frame.center().x() - area.center().x()) <= 40
    window.resize(790, 530)
    # A narrow library: the restored tab's top row (model list loaded from the cache)
    # leaves the 800-pixel offscreen screen little room for a wide one.
    window.resizeDocks([window.library_dock], [120], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: window.library_dock.width() == 120)
    shut_down(qtbot, window)
    again = make_window(data_dir=data)
    assert again.size().width() == 790 and again.size().height() == 530
    qtbot.waitUntil(lambda: again.library_dock.width() == 120)


def test_an_empty_tab_welcomes_with_the_model_and_shortcuts(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window(model="grok-2-vision-1212")
    tab = current(window)
    welcome = tab.empty_state
    qtbot.waitUntil(lambda: "understands images" in welcome.text(), timeout=3000)
    assert welcome.isVisible() and "grok-2-vision-1212" in welcome.text()
    assert "Ctrl+T" in welcome.text() and "Esc" in welcome.text()
    tab.select_model("grok-3")
    assert "text only" in welcome.text()
    fake_xai.script_next(Reply(text="Hi."))
    send(qtbot, tab, "hello")
    assert not welcome.isVisible()


def test_tool_row_takes_extra_buttons_and_stop_replaces_send(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    tab = current(make_window())
    toggle = QToolButton()
    toggle.setObjectName("webSearchToggle")
    toggle.setCheckable(True)
    toggle.setText("Search")
    tab.add_tool_button(toggle)
    assert toggle.parent() is tab.composer_box
    qtbot.waitUntil(lambda: toggle.isVisible() and toggle.x() > tab.role_button.x())
    row = [tab.composer_box.tool_row.itemAt(i) for i in range(tab.composer_box.tool_row.count())]
    assert row  # leading tools, extra tools, stretch, send/stop
    assert toggle.x() > tab.role_button.x() and toggle.x() < tab.send_button.x()
    assert tab.send_button.isVisible() and not tab.stop_button.isVisible()
    fake_xai.script_next(Reply(text=" ".join(["word"] * 60), chunk_delay=0.01))
    tab.composer.setPlainText("go")
    tab.send()
    assert tab.stop_button.isVisible() and tab.stop_button.isEnabled() and not tab.send_button.isVisible()
    assert tab.stop_button.geometry() == tab.send_button.geometry() or tab.stop_button.x() >= toggle.x()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    assert tab.send_button.isVisible() and not tab.stop_button.isVisible() and not tab.stop_button.isEnabled()


def test_role_menu_picks_the_role_and_shows_it(qtbot: QtBot, make_window: MakeWindow) -> None:
    tab = current(make_window())
    assert tab.role_button.text() == ""  # the usual User role stays out of the way
    system = next(a for a in tab.role_menu.actions() if a.text() == "System")
    system.trigger()
    assert tab.role_picker.currentData() == Role.SYSTEM and "System" in tab.role_button.text()
    tab.composer.setPlainText("Answer in French.")
    tab.add_action.trigger()
    added = tab.controller.conversation.messages[-1]
    assert added.role is Role.SYSTEM and added.plain_text == "Answer in French."
    assert tab.role_picker.currentData() == Role.USER and tab.role_button.text() == ""
