"""Opening the store: migration with a backup, damaged files set aside, a second instance refused, full disks."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from grokdesk.core.conversation import Conversation, ImagePart, Message, MessageState, Role, TextPart
from grokdesk.storage.errors import DatabaseCorrupt, DataDirLocked, DiskFull, EnvironmentProblem, ReadOnly
from grokdesk.storage.schema import CURRENT_VERSION
from grokdesk.storage.store import DB_NAME, Store

V1_FILE = Path(__file__).parents[1] / "data" / "grokdesk-v1.sqlite3"


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_a_version_1_file_is_migrated_after_a_backup_copy(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(V1_FILE, data / DB_NAME)
    store = Store.open(data)
    try:
        backup = store.migration_backup
        assert backup is not None and backup.parent == data
        assert backup.name.startswith("grokdesk-backup-v1-") and backup.suffix == ".sqlite3"
        assert backup.read_bytes() == V1_FILE.read_bytes()
        summaries = store.list_conversations()
        assert [s.title for s in summaries] == ["Fixing a bike chain", "Pasta for four"]
        assert [s.message_count for s in summaries] == [2, 4]
        pasta = store.load_conversation("c1")
        assert pasta.settings.system_prompt == "You are a chef."
        assert [m.plain_text for m in pasta.messages][:2] == [
            "How much spaghetti for four people?",
            "About 400 g of dry spaghetti.",
        ]
        assert pasta.messages[1].model == "grok-3" and pasta.messages[1].role is Role.ASSISTANT
        # v1 left a reply streaming: it comes back interrupted, with its text.
        assert pasta.messages[3].state is MessageState.INTERRUPTED
        assert pasta.messages[3].plain_text == "Roughly 500 g of tomato sau"
        hit = store.search("derailleur")
        assert [(h.conversation_id, h.message_id) for h in hit] == [("c2", "m5")]
        assert store.search("pasta")[0].message_id is None
    finally:
        store.close()
    assert integrity(data / DB_NAME) == "ok"
    conn = sqlite3.connect(data / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone() == (CURRENT_VERSION,)
    conn.close()
    # Opening again migrates nothing and copies nothing.
    store = Store.open(data)
    assert store.migration_backup is None
    store.close()
    assert len(list(data.glob("grokdesk-backup-*"))) == 1


def test_a_fresh_folder_needs_no_backup(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "new" / "nested")
    assert store.migration_backup is None and store.recovered_from is None
    store.close()
    assert list((tmp_path / "new" / "nested").glob("grokdesk-backup-*")) == []


@pytest.mark.parametrize("garbage", [b"not a database at all", os.urandom(8192)], ids=["text", "random"])
def test_a_damaged_file_is_moved_aside_never_deleted(tmp_path: Path, garbage: bytes) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes(garbage)
    (data / (DB_NAME + "-wal")).write_bytes(b"wal leftovers")
    store = Store.open(data)
    try:
        moved = store.recovered_from
        assert moved is not None and moved.parent == data
        assert moved.name.startswith("grokdesk-corrupt-") and moved.name.endswith(".sqlite3")
        assert moved.read_bytes() == garbage
        assert moved.with_name(moved.name + "-wal").read_bytes() == b"wal leftovers"
        # The fresh store works.
        conv = Conversation(title="after recovery")
        store.save_conversation(conv)
        assert [s.title for s in store.list_conversations()] == ["after recovery"]
    finally:
        store.close()


def test_a_damaged_page_inside_a_real_database_is_detected(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    conv = Conversation(title="will be damaged")
    store.save_conversation(conv)
    with store.transaction():
        for i in range(200):
            store.save_message(conv.id, Message.text(Role.USER, f"message number {i} " * 20), i)
    store.close()
    path = data / DB_NAME
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[3 * page : 6 * page] = b"\xff" * (3 * page)  # stomp over b-tree pages
    path.write_bytes(bytes(raw))
    store = Store.open(data)
    try:
        assert store.recovered_from is not None
        assert store.recovered_from.read_bytes() == bytes(raw)
        assert store.list_conversations() == []
    finally:
        store.close()


def test_a_second_store_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    first = Store.open(tmp_path)
    try:
        with pytest.raises(DataDirLocked) as caught:
            Store.open(tmp_path)
        assert "Another GrokDesk is already using the data folder" in str(caught.value)
        assert str(tmp_path) in str(caught.value)
        assert isinstance(caught.value, EnvironmentProblem)
    finally:
        first.close()
    Store.open(tmp_path).close()  # released on close


def test_a_second_process_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    first = Store.open(tmp_path)
    try:
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path\n"
                "from grokdesk.storage.store import Store\n"
                "from grokdesk.storage.errors import DataDirLocked\n"
                "try:\n    Store.open(Path(sys.argv[1]))\n"
                "except DataDirLocked as e:\n    print(e); sys.exit(3)\n",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert child.returncode == 3, child.stderr
        assert "Another GrokDesk" in child.stdout
    finally:
        first.close()


def test_a_full_disk_is_an_environment_problem_and_nothing_is_lost(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        conv = Conversation(title="big")
        store.save_conversation(conv)
        store.save_message(conv.id, Message.text(Role.USER, "kept"), 0)
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        # SQLite's own way to make a database "full": it then fails with SQLITE_FULL.
        store._conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        huge = Message.text(Role.ASSISTANT, "lorem ipsum " * 100_000)
        with pytest.raises(DiskFull) as caught:
            store.save_message(conv.id, huge, 1)
        assert "is full" in str(caught.value) and "export" in str(caught.value)
        assert [m.plain_text for m in store.load_conversation(conv.id).messages] == ["kept"]
        # Once there is room again, the same message saves.
        store._conn.execute("PRAGMA max_page_count = 1073741823")
        store.save_message(conv.id, huge, 1)
        assert len(store.load_conversation(conv.id).messages) == 2
    finally:
        store.close()


def test_a_database_that_refuses_writes_is_read_only(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        store._conn.execute(
            "PRAGMA query_only = ON"
        )  # SQLite answers SQLITE_READONLY, as for a read-only file
        with pytest.raises(ReadOnly, match="read-only"):
            store.save_conversation(Conversation(title="x"))
    finally:
        store.close()


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions as a non-root user"
)
def test_a_read_only_folder_is_reported(tmp_path: Path) -> None:
    locked_dir = tmp_path / "ro"
    locked_dir.mkdir()
    locked_dir.chmod(0o500)
    try:
        with pytest.raises(ReadOnly, match="read-only"):
            Store.open(locked_dir)
    finally:
        locked_dir.chmod(0o700)


def test_a_newer_database_is_left_alone(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = (tmp_path / DB_NAME).read_bytes()
    with pytest.raises(EnvironmentProblem, match="newer GrokDesk"):
        Store.open(tmp_path)
    assert (tmp_path / DB_NAME).read_bytes() == before
    Store.open(tmp_path / "other").close()  # and the lock of the failed open was released
    with pytest.raises(EnvironmentProblem):
        Store.open(tmp_path)


def test_a_failing_migration_leaves_the_old_file_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grokdesk.storage import schema

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(V1_FILE, data / DB_NAME)
    broken = schema.V2_UPGRADE + "\nSELECT no_such_function();\n"
    monkeypatch.setattr(schema, "MIGRATIONS", (schema.V1_SCHEMA, broken))
    with pytest.raises(sqlite3.OperationalError, match="no_such_function"):
        Store.open(data)
    conn = sqlite3.connect(data / DB_NAME)
    try:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (6,)
        assert conn.execute("SELECT content FROM messages WHERE id = 'm2'").fetchone() == (
            "About 400 g of dry spaghetti.",
        )
    finally:
        conn.close()
    assert len(list(data.glob("grokdesk-backup-v1-*.sqlite3"))) == 1
    monkeypatch.undo()
    with Store.open(data) as store:  # the fixed release migrates it
        assert len(store.list_conversations()) == 2


def test_another_program_holding_the_database_is_reported(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store._conn.execute("PRAGMA busy_timeout = 0")
        viewer = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
        viewer.execute("BEGIN IMMEDIATE")  # a database viewer in the middle of an edit
        try:
            with pytest.raises(DataDirLocked, match="Another program"):
                store.save_conversation(Conversation(title="waits"))
        finally:
            viewer.execute("ROLLBACK")
            viewer.close()
        store.save_conversation(Conversation(title="goes through"))
        assert [s.title for s in store.list_conversations()] == ["goes through"]


def test_a_data_folder_that_is_a_file_is_explained(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("mine", encoding="utf-8")
    for data_dir in (not_a_folder, not_a_folder / "inside"):
        with pytest.raises(EnvironmentProblem, match="is a file, or inside one"):
            Store.open(data_dir)
    assert not_a_folder.read_text(encoding="utf-8") == "mine"


def damage_image_pages(path: Path) -> None:
    """Break the chain of an image's overflow pages, leaving every other table intact."""
    conn = sqlite3.connect(path)
    pages = [
        r[0]
        for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'images' AND pagetype = 'overflow'")
    ]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert pages
    raw = bytearray(path.read_bytes())
    for page in pages[:3]:
        offset = (page - 1) * page_size
        raw[offset : offset + 4] = (7_000_000).to_bytes(4, "big")  # "next overflow page" far past the end
    path.write_bytes(bytes(raw))


def test_a_big_library_defers_checking_image_bytes_to_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grokdesk.storage import dbfile
    from tests.data.builders import image_part

    monkeypatch.setattr(dbfile, "FULL_CHECK_BYTES", 0)  # every file counts as big
    photo = image_part(size=(400, 400))
    heavy = ImagePart(photo.sha256, photo.mime, photo.name, 400, 400, os.urandom(300_000))
    with Store.open(tmp_path) as store:
        conv = Conversation(title="photos")
        store.save_conversation(conv)
        store.save_message(conv.id, Message(Role.USER, [TextPart("look"), heavy]), 0)
    damage_image_pages(tmp_path / DB_NAME)

    with Store.open(tmp_path) as store:  # the start stays fast: image pages are not read
        assert store.recovered_from is None
        assert [s.title for s in store.list_conversations()] == ["photos"]
        with pytest.raises(DatabaseCorrupt, match="restart GrokDesk"):
            store.verify()
    with Store.open(tmp_path) as store:  # the damage found while running is acted on at the next start
        assert store.recovered_from is not None and store.recovered_from.exists()
        assert store.list_conversations() == []
    with Store.open(tmp_path) as store:
        assert store.recovered_from is None  # the fresh file is not set aside again
