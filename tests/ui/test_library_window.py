"""The library inside the real main window: found by its object names, opening and deleting tabs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QListView
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Conversation, Message, Role, TextPart
from grokdesk.storage.store import Store
from grokdesk.ui.mainwindow import MainWindow
from tests.ui.conftest import MakeWindow


def saved_conversation(data_dir: Path) -> Conversation:
    conv = Conversation(
        title="Cats and towers",
        model="grok-3",
        messages=[
            Message(Role.USER, [TextPart("Where was the photo taken?")]),
            Message(Role.ASSISTANT, [TextPart("A tabby cat near the Eiffel tower.")], model="grok-3"),
        ],
    )
    store = Store.open(data_dir)
    try:
        store.replace_conversation(conv)
    finally:
        store.close()
    return conv


def open_ids(window: MainWindow) -> list[str]:
    return [tab.controller.conversation.id for tab in window.open_tabs()]


def test_search_result_opens_its_conversation_in_a_tab(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    conv = saved_conversation(data_dir)
    window = make_window(data_dir=data_dir)
    with qtbot.waitSignal(window.library.list_refreshed):
        window.library.refresh()
    search_box = window.findChild(QLineEdit, "searchBox")
    results = window.findChild(QListView, "conversationList")
    assert search_box is not None and results is not None

    with qtbot.waitSignal(window.library.search_results_shown):
        qtbot.keyClicks(search_box, "tabby")
    results.setFocus()
    qtbot.keyClick(results, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: conv.id in open_ids(window), timeout=5000)
    tab = window.current_tab()
    assert tab is not None and tab.controller.conversation.id == conv.id
    assert "A tabby cat near the Eiffel tower." in tab.transcript.plain_text()

    # Opening it again focuses the same tab instead of a second one.
    again = window.open_saved(conv.id, None)
    qtbot.waitUntil(again.done)
    assert open_ids(window).count(conv.id) == 1

    # Deleting it in the library closes its tab.
    with qtbot.waitSignal(window.library.conversation_deleted):
        qtbot.keyClick(results, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: conv.id not in open_ids(window), timeout=5000)
