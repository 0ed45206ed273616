"""Versions in the store: every version kept across a reopen, the shown branch restored,
all versions searchable, and older databases migrated to a single branch after a backup."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from grokdesk.core import versions
from grokdesk.core.conversation import Conversation, Message, Role
from grokdesk.storage import schema
from grokdesk.storage.schema import CURRENT_VERSION, V3_VERSIONS_UPGRADE
from grokdesk.storage.store import DB_NAME, Store

V1_FILE = Path(__file__).parents[1] / "data" / "grokdesk-v1.sqlite3"


def regenerated_twice(store: Store) -> Conversation:
    """A question and three versions of its answer, saved as the app saves them."""
    conv = Conversation(title="Haiku", model="grok-4")
    store.save_conversation(conv)
    question = Message.text(Role.USER, "Write a haiku about autumn")
    conv.messages.append(question)
    store.save_message(conv.id, question, 0, None)
    for text in ("Red leaves drift", "Crisp wind hums", "Golden hush falls"):
        answer = Message.text(Role.ASSISTANT, text)
        versions.add_version(conv, 1, answer)
        store.save_message(conv.id, answer, 1, question.id)
    return conv


def test_every_version_is_kept_and_the_shown_one_comes_back(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        conv = regenerated_twice(store)
    with Store.open(tmp_path) as store:
        loaded = store.load_conversation(conv.id)
        answer = loaded.messages[1]
        assert [m.plain_text for m in loaded.messages] == ["Write a haiku about autumn", "Golden hush falls"]
        assert versions.position(loaded, answer.id) == (3, 3)
        kept = [loaded.versions.hidden[i].plain_text for i in versions.siblings(loaded, answer.id)[:2]]
        assert kept == ["Red leaves drift", "Crisp wind hums"]
        # Switching is saved as the shown branch.
        versions.step(loaded, answer.id, -1)
        store.set_message_order(loaded.id, [m.id for m in loaded.messages])
    with Store.open(tmp_path) as store:
        again = store.load_conversation(conv.id)
        assert again.messages[1].plain_text == "Crisp wind hums"
        assert versions.position(again, again.messages[1].id) == (2, 3)
        # Every version is searchable, shown or not.
        hit = store.search("drift")
        assert [h.message_id for h in hit] == [versions.siblings(again, again.messages[1].id)[0]]


def test_an_edit_keeps_the_later_turns_of_the_old_branch(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        conv = Conversation(title="Trip")
        store.save_conversation(conv)
        for i, text in enumerate(["Paris or Rome?", "Rome.", "Why?", "The food."]):
            conv.messages.append(Message.text(Role.USER if i % 2 == 0 else Role.ASSISTANT, text))
            store.save_message(conv.id, conv.messages[-1], i)  # the parent follows from the position
        edited = Message.text(Role.USER, "Paris or Madrid?")
        versions.add_version(conv, 0, edited)
        store.save_message(conv.id, edited, 0, None)
        store.replace_conversation(conv)  # the whole tree written again changes nothing
    with Store.open(tmp_path) as store:
        loaded = store.load_conversation(conv.id)
        assert [m.plain_text for m in loaded.messages] == ["Paris or Madrid?"]
        versions.step(loaded, loaded.messages[0].id, -1)
        assert [m.plain_text for m in loaded.messages] == ["Paris or Rome?", "Rome.", "Why?", "The food."]
        # Deleting a version in the middle keeps what followed it.
        store.delete_message(conv.id, loaded.messages[1].id)
    with Store.open(tmp_path) as store:
        loaded = store.load_conversation(conv.id)
        versions.step(loaded, loaded.messages[0].id, -1)
        assert [m.plain_text for m in loaded.messages] == ["Paris or Rome?", "Why?", "The food."]


def test_a_database_from_before_versions_migrates_to_one_branch_after_a_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(V1_FILE, data / DB_NAME)
    # Bring the file to the schema just before versions, as an older GrokDesk left it.
    before = schema.MIGRATIONS.index(V3_VERSIONS_UPGRADE)
    conn = sqlite3.connect(data / DB_NAME, isolation_level=None)
    for step in range(schema.user_version(conn), before):
        for statement in schema._statements(schema.MIGRATIONS[step]):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {step + 1}")
    conn.close()
    with Store.open(data) as store:
        backup = store.migration_backup
        assert backup is not None and backup.name.startswith(f"grokdesk-backup-v{before}-")
        pasta = store.load_conversation("c1")
        assert len(pasta.messages) == 4
        assert all(versions.position(pasta, m.id) == (1, 1) for m in pasta.messages)
        assert [versions.parent_of(pasta, m.id) for m in pasta.messages] == [
            None,
            *(m.id for m in pasta.messages[:-1]),
        ]
    conn = sqlite3.connect(data / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone() == (CURRENT_VERSION,)
    conn.close()
