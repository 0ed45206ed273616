"""A full disk and a read-only data folder, in the real window: the user is told in
the status bar, the conversation stays whole in memory and can still be exported,
and once space is freed saving goes on.

The full disk is real where mounting is allowed (a 4 MB tmpfs filled to the last
byte); elsewhere the store's connection gets SQLite's own page limit, which fails
writes with the same SQLITE_FULL error. The read-only folder is a read-only bind
mount when running as root (root ignores file modes), else a folder without write
permission."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Conversation, Message, MessageState, Role
from grokdesk.storage.exporter import write_markdown
from grokdesk.storage.store import Store
from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.mainwindow import MainWindow
from tests.e2e.conftest import Windows, current
from tests.helpers.fake_xai import FakeXai


def mount(*args: str) -> bool:
    result = subprocess.run(["mount", *args], capture_output=True, check=False)
    return result.returncode == 0


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[bool]:
    """A tmpfs of `size` at `folder`; yields False when mounting is not allowed here."""
    folder.mkdir(parents=True)
    mounted = os.geteuid() == 0 and mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder))
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def fill_disk(folder: Path) -> None:
    # Unbuffered, and the error suppressed around the open too: a buffered file flushed
    # what it still held when closed, and that write failed outside the suppression.
    with contextlib.suppress(OSError), (folder / "filler").open("wb", buffering=0) as filler:
        while True:
            filler.write(b"\0" * 65536)


def limit_pages(window: MainWindow) -> None:
    """SQLite's page limit on the app's own connection: the next growth fails with SQLITE_FULL."""

    def cap(store: Store) -> None:
        conn: sqlite3.Connection = store._conn  # test-only: no public way to cap the file size
        count = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {count}")

    window._sink.worker.call(cap).result(timeout=5)


def send_and_wait(qtbot: QtBot, tab: ConversationTab, text: str) -> None:
    tab.composer.setPlainText(text)
    tab.send()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=10_000)


def assert_whole_in_memory(tab: ConversationTab, questions: list[str]) -> None:
    messages = tab.controller.conversation.messages
    expected = []
    for question in questions:
        expected += [(Role.USER, question), (Role.ASSISTANT, f"Echo: {question}")]
    assert [(m.role, m.plain_text) for m in messages] == expected
    assert all(m.state is MessageState.COMPLETE for m in messages)
    shown = tab.transcript.plain_text()
    # A message with a line too long to lay out at once shows its beginning and "Show all";
    # the whole text is in memory (above) and in the exports.
    assert all(question[:200] in shown for question in questions)


def assert_exports_from_memory(conversation: Conversation, out_dir: Path, questions: list[str]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    exported = write_markdown(conversation, out_dir).read_text(encoding="utf-8")
    for question in questions:
        assert question in exported and f"Echo: {question}" in exported


@pytest.mark.parametrize("how", ["tmpfs", "page-limit"])
def test_disk_full_is_explained_and_nothing_is_lost(
    how: str, qtbot: QtBot, windows: Windows, fake_xai: FakeXai, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "disk", "4m") as mounted:
        if how == "tmpfs" and not mounted:
            pytest.skip("mounting a tmpfs is not allowed here (the page-limit case covers disk full)")
        data_dir = tmp_path / "disk" / "data"
        window = windows.open(data_dir=data_dir)
        tab = current(window)
        send_and_wait(qtbot, tab, "saved before the disk filled")
        assert "Not saved" not in window.statusBar().currentMessage()

        if how == "tmpfs":
            fill_disk(tmp_path / "disk")
        else:
            limit_pages(window)
        lost_on_disk = "written while the disk was full" + " lorem ipsum" * 2000
        send_and_wait(qtbot, tab, lost_on_disk)
        qtbot.waitUntil(lambda: "Not saved" in window.statusBar().currentMessage(), timeout=5000)
        status = window.statusBar().currentMessage()
        assert "is full" in status and "Nothing is lost while GrokDesk stays open" in status
        questions = ["saved before the disk filled", lost_on_disk]
        assert_whole_in_memory(tab, questions)
        assert_exports_from_memory(tab.controller.conversation, tmp_path / "export", questions)
        # The composer and the stream still work while nothing can be saved.
        send_and_wait(qtbot, tab, "asked while still full")
        assert_whole_in_memory(tab, [*questions, "asked while still full"])

        if how == "tmpfs":
            (tmp_path / "disk" / "filler").unlink()
            send_and_wait(qtbot, tab, "asked after space was freed")
            cid = tab.controller.conversation.id
            windows.close(window)
            with Store.open(data_dir) as store:
                saved = [m.plain_text for m in store.load_conversation(cid).messages]
            assert saved[:2] == ["saved before the disk filled", "Echo: saved before the disk filled"]
            assert saved[-2:] == ["asked after space was freed", "Echo: asked after space was freed"]


def test_what_failed_to_save_is_saved_once_space_returns(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "disk", "4m") as mounted:
        if not mounted:
            pytest.skip("mounting a tmpfs is not allowed here")
        data_dir = tmp_path / "disk" / "data"
        window = windows.open(data_dir=data_dir)
        tab = current(window)
        fill_disk(tmp_path / "disk")
        send_and_wait(qtbot, tab, "typed while the disk was full")
        qtbot.waitUntil(lambda: "Not saved" in window.statusBar().currentMessage(), timeout=5000)
        (tmp_path / "disk" / "filler").unlink()
        qtbot.waitUntil(lambda: "saved now" in window.statusBar().currentMessage(), timeout=10_000)
        send_and_wait(qtbot, tab, "asked after space was freed")
        cid = tab.controller.conversation.id
        windows.close(window)
        with Store.open(data_dir) as store:
            saved = [m.plain_text for m in store.load_conversation(cid).messages]
    assert saved == [
        "typed while the disk was full",
        "Echo: typed while the disk was full",
        "asked after space was freed",
        "Echo: asked after space was freed",
    ]


@contextlib.contextmanager
def read_only(folder: Path, view: Path) -> Iterator[Path | None]:
    """`folder` seen read-only; yields where, or None when this machine cannot make it so."""
    if os.geteuid() != 0:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            yield folder
        finally:
            for path in [folder, *folder.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)
        return
    view.mkdir()
    if not mount("--bind", str(folder), str(view)):
        yield None
        return
    try:
        yield view if mount("-o", "remount,bind,ro", str(view)) else None
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


def test_read_only_data_folder_at_start_is_explained(fake_xai: FakeXai, tmp_path: Path) -> None:
    """The app refuses to start on a folder it cannot write, saying why (and touches nothing)."""
    source = tmp_path / "folder" / "data"
    with Store.open(source) as store:
        old = Conversation(model="grok-3", title="An older conversation")
        old.messages.append(Message.text(Role.USER, "from an earlier day"))
        store.replace_conversation(old)
    before = sorted((p.name, p.stat().st_size) for p in source.iterdir())
    with read_only(tmp_path / "folder", tmp_path / "view") as view:
        if view is None:
            pytest.skip("this machine cannot make a folder read-only for root (no bind mounts)")
        env = {**os.environ, "XAI_API_KEY": fake_xai.api_key, "QT_QPA_PLATFORM": "offscreen"}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "grokdesk",
                "--data-dir",
                str(view / "data"),
                "--base-url",
                fake_xai.base_url,
                "--smoke",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert "read-only" in result.stderr and "--data-dir" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted((p.name, p.stat().st_size) for p in source.iterdir()) == before


def test_folder_turning_read_only_while_open_is_explained(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai, tmp_path: Path
) -> None:
    """Writes refused with SQLite's read-only error (a folder remounted read-only, a
    permission changed underneath): told, nothing lost from memory, export works."""
    window = windows.open()
    tab = current(window)
    send_and_wait(qtbot, tab, "saved while writable")

    def refuse_writes(store: Store) -> None:
        store._conn.execute("PRAGMA query_only = ON")  # test-only: SQLITE_READONLY on every write

    window._sink.worker.call(refuse_writes).result(timeout=5)
    send_and_wait(qtbot, tab, "typed after the folder turned read-only")
    qtbot.waitUntil(lambda: "Not saved" in window.statusBar().currentMessage(), timeout=5000)
    assert "read-only" in window.statusBar().currentMessage()
    questions = ["saved while writable", "typed after the folder turned read-only"]
    assert_whole_in_memory(tab, questions)
    assert_exports_from_memory(tab.controller.conversation, tmp_path / "export", questions)


def test_a_read_only_data_folder_can_still_be_exported(tmp_path: Path) -> None:
    source = tmp_path / "folder" / "data"
    with Store.open(source) as store:
        old = Conversation(model="grok-3", title="Keep me")
        old.messages.append(Message.text(Role.USER, "from an earlier day"))
        store.replace_conversation(old)
    out = tmp_path / "out"
    with read_only(tmp_path / "folder", tmp_path / "view") as view:
        if view is None:
            pytest.skip("this machine cannot make a folder read-only for root (no bind mounts)")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "grokdesk",
                "--data-dir",
                str(view / "data"),
                "export",
                "--format",
                "md",
                "--out",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert any("from an earlier day" in p.read_text(encoding="utf-8") for p in out.glob("*.md"))
