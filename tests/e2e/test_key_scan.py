"""A whole session, then a search of every file the app wrote for the key's bytes.

The session: the key from the keyring, a streamed reply, a server that echoes the key
back in an error (and in an error inside a stream), exports as Markdown and JSON,
settings changed and the key replaced through the Settings dialog, another reply with
the new key, quit. Then the data folder (database, settings, logs, model cache), the
exports and the captured log records hold neither key, whole, without `xai-`, or as
UTF-16."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState
from grokdesk.storage.keystore import SERVICE, USERNAME
from grokdesk.ui.chat.tab import ConversationTab
from tests.e2e.conftest import Windows, current, files_containing, key_variants
from tests.helpers.fake_xai import FakeXai
from tests.helpers.fake_xai_scripts import Error, Reply, StreamError
from tests.helpers.memkeyring import MemoryKeyring

SECOND_KEY = "xai-SecondKey9876543210zyxwvutsrqponmlkjihgfedcb"


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def ask(qtbot: QtBot, tab: ConversationTab, text: str) -> None:
    tab.composer.setPlainText(text)
    tab.send()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=10_000)


def test_a_full_session_writes_the_key_nowhere(  # noqa: PLR0917 (fixtures)
    qtbot: QtBot,
    windows: Windows,
    fake_xai: FakeXai,
    memory: MemoryKeyring,
    app_log: Path,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_key = fake_xai.api_key
    memory.set_password(SERVICE, USERNAME, first_key)
    window = windows.open(api_key=None)  # no key for this run: the keyring's is used
    assert window.keystore.key == first_key
    tab = current(window)

    fake_xai.script_next(Reply(text="A streamed answer with several words in it.", chunk_delay=0.003))
    ask(qtbot, tab, "first question")
    assert tab.controller.conversation.messages[-1].state is MessageState.COMPLETE

    # A careless server repeats the key back, in an error answer and inside a stream.
    fake_xai.script_next(
        Error(401, {"code": "unauthenticated", "error": f"The key {first_key} is not valid here"}),
        StreamError(after_chunks=2, body={"error": f"Internal failure for Bearer {first_key}"}),
    )
    ask(qtbot, tab, "second question")
    ask(qtbot, tab, "third question")
    shown = tab.transcript.plain_text()
    assert "Bearer ***" in shown and first_key not in shown and "not accepted" in shown

    # Exports of everything, both formats, through the library's menu actions.
    for fmt, out in (("md", tmp_path / "export-md"), ("json", tmp_path / "export-json")):
        out.mkdir()
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *_a, out=out: str(out)))
        task = window.library.export_all(fmt)
        assert task is not None
        qtbot.waitUntil(task.done, timeout=10_000)
        assert any(out.iterdir())

    # Settings changed, and the key replaced, through the dialog.
    fake_xai.api_key = SECOND_KEY
    dialog = window.open_settings()
    dialog.system_prompt_edit.setPlainText("Answer briefly.")
    dialog.font_size_spin.setValue(13)
    dialog.replace_key_button.click()
    dialog.key_entry.field.setText(SECOND_KEY)
    with qtbot.waitSignal(dialog.key_changed, timeout=10_000):
        dialog.key_entry.check_button.click()
    dialog.ok_button.click()
    assert memory.get_password(SERVICE, USERNAME) == SECOND_KEY
    ask(qtbot, tab, "fourth question, with the new key")
    assert tab.controller.conversation.messages[-1].state is MessageState.COMPLETE
    assert fake_xai.requests[-1].headers["authorization"] == f"Bearer {SECOND_KEY}"

    windows.close(window)
    needles = key_variants(first_key) + key_variants(SECOND_KEY)
    written = [windows.data_dir, tmp_path / "export-md", tmp_path / "export-json"]
    assert (windows.data_dir / "settings.ini").is_file() and app_log.is_file()
    assert sum(1 for folder in written for p in folder.rglob("*") if p.is_file()) >= 5
    leaks = [leak for folder in written for leak in files_containing(folder, needles)]
    assert leaks == []
    for key in (first_key, SECOND_KEY):
        assert key not in caplog.text and key.removeprefix("xai-") not in caplog.text
