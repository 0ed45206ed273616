"""The open tabs and drafts are written as they change, not only at a clean quit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Role
from grokdesk.storage.store import DB_NAME
from grokdesk.ui.chat.composer import OBJECT_CHAR
from tests.helpers.fake_xai import FakeXai
from tests.ui.conftest import MakeWindow
from tests.ui.test_attachments import IMAGE_MODEL, chips, drop, file_mime, image_bytes, wait_attached, write
from tests.ui.test_attachments_composer import long_paste, paste_with_keys


def session_on_disk(data_dir: Path) -> dict[str, Any]:
    """The saved session, read through a separate read-only connection (the app has it open)."""
    with sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro", uri=True, timeout=1) as conn:
        row = conn.execute("SELECT value FROM session WHERE key = 'session'").fetchone()
    conn.close()
    return json.loads(row[0]) if row else {}


def test_tabs_drafts_and_images_are_on_disk_within_a_second_without_a_quit(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    window = make_window(data_dir=data_dir, model=IMAGE_MODEL)
    first = window.current_tab()
    assert first is not None
    qtbot.keyClicks(first.composer, "before ")
    assert drop(first.composer.viewport(), file_mime(write(tmp_path / "cat.png", image_bytes("PNG"))))
    wait_attached(qtbot, first, 1)
    qtbot.keyClicks(first.composer, " after")
    second = window.new_conversation()
    second.select_model("grok-3")
    qtbot.keyClicks(second.composer, "second draft")
    window.tabs.setCurrentIndex(0)

    def written() -> bool:
        session = session_on_disk(data_dir)
        tabs = session.get("tabs", [])
        return (
            session.get("active_index") == 0
            and [t["draft_text"] for t in tabs] == [f"before {OBJECT_CHAR} after", "second draft"]
            and [len(t["draft_attachments"]) for t in tabs] == [1, 0]
            and [t["model"] for t in tabs] == [IMAGE_MODEL, "grok-3"]
        )

    qtbot.waitUntil(written, timeout=1500)

    # The app ends without its quit (as in a crash): the store closes, nothing more is written.
    window.session_saver.stop()
    window._sink.worker.close()

    again = make_window(data_dir=data_dir)
    tabs = again.open_tabs()
    assert again.tabs.currentIndex() == 0
    assert [t.draft_text() for t in tabs] == [f"before {OBJECT_CHAR} after", "second draft"]
    qtbot.waitUntil(lambda: len(chips(tabs[0])) == 1 and tabs[0].attachments.pending == 0)
    assert chips(tabs[0])[0].part.name == "cat.png"


def test_typing_writes_about_once_a_second_not_once_a_key(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    tab = window.current_tab()
    assert tab is not None
    before = window.session_saver.saves
    qtbot.keyClicks(tab.composer, "twenty-six letters typed.")
    qtbot.waitUntil(lambda: window.session_saver.saves > before, timeout=1500)
    assert window.session_saver.saves - before == 1


def test_a_long_paste_chip_and_the_drafts_role_outlive_a_crash_in_a_tab_in_the_back(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    window = make_window(data_dir=data_dir)
    first = window.current_tab()
    assert first is not None
    pasted = long_paste()
    qtbot.keyClicks(first.composer, "Summarise: ")
    paste_with_keys(qtbot, first, pasted)
    assert len(first.pasted.chips()) == 1
    first.role_picker.setCurrentIndex(first.role_picker.findData(Role.SYSTEM))  # "send as System"
    window.new_conversation()  # the tab with the paste is no longer the current one

    def written() -> bool:
        tabs = session_on_disk(data_dir).get("tabs", [])
        return (
            len(tabs) == 2 and len(tabs[0].get("draft_pastes", [])) == 1 and tabs[0]["draft_role"] == "system"
        )

    qtbot.waitUntil(written, timeout=1500)
    window.session_saver.stop()
    window._sink.worker.close()

    again = make_window(data_dir=data_dir)
    again.tabs.setCurrentIndex(0)
    restored = again.open_tabs()[0]
    assert restored.draft_text() == "Summarise: "
    [chip] = restored.pasted.chips()
    assert "2,500 lines" in chip.text()
    assert restored.pasted.texts() == [pasted]
    assert restored.draft_role() is Role.SYSTEM
    assert again.open_tabs()[1].draft_role() is Role.USER
