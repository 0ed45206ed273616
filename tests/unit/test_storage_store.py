"""The store keeps every field of every message, images once, and reports what a restart finds."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grokdesk.core.conversation import (
    Conversation,
    ConversationSettings,
    ImageDetail,
    Message,
    MessageState,
    Role,
    TextPart,
    Usage,
)
from grokdesk.storage.errors import NotFound
from grokdesk.storage.records import DraftPaste, SessionState, TabState
from grokdesk.storage.schema import CURRENT_VERSION
from grokdesk.storage.store import DB_NAME, Store
from tests.data.builders import image_part, rich_conversation


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "data")
    yield store
    store.close()


def reopen(store: Store) -> Store:
    store.close()
    return Store.open(store.data_dir)


def raw(store: Store, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Look at the file through a second connection, as another program would."""
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows


def assert_same_messages(got: list[Message], want: list[Message]) -> None:
    assert got == want
    for g, w in zip(got, want, strict=True):
        assert [getattr(p, "data", None) for p in g.parts] == [getattr(p, "data", None) for p in w.parts]


def test_every_field_survives_a_restart(store: Store) -> None:
    conv = rich_conversation()
    store.replace_conversation(conv)
    store = reopen(store)
    try:
        loaded = store.load_conversation(conv.id)
        assert (loaded.id, loaded.title, loaded.model, loaded.pinned) == (conv.id, conv.title, "grok-4", True)
        assert (loaded.created_at, loaded.updated_at) == (conv.created_at, conv.updated_at)
        assert loaded.settings == conv.settings
        assert_same_messages(loaded.messages, conv.messages)
        user = loaded.messages[1]
        assert [type(p).__name__ for p in user.parts] == ["TextPart", "ImagePart", "TextPart", "ImagePart"]
        assert user.images[0].detail is ImageDetail.HIGH and user.images[1].rejected == "Image too large"
        assert user.images[1].mime == "image/jpeg" and (user.images[1].width, user.images[1].height) == (
            40,
            40,
        )
        assert loaded.messages[2].usage == Usage(812, 12, 140, 5, 256, 964)
        assert loaded.messages[3].role is Role.NOTICE
        assert loaded.messages[4].state is MessageState.FAILED
    finally:
        store.close()


def test_an_image_used_twice_is_stored_once(store: Store) -> None:
    photo = image_part()
    conv = Conversation(title="dup")
    store.save_conversation(conv)
    store.save_message(conv.id, Message(Role.USER, [TextPart("first"), photo]), 0)
    store.save_message(conv.id, Message(Role.USER, [photo, TextPart("again")]), 1)
    other = Conversation(title="other")
    store.save_conversation(other)
    store.save_message(other.id, Message(Role.USER, [photo]), 0)
    assert raw(store, "SELECT count(*) FROM images") == [(1,)]
    assert [len(m.images) for m in store.load_conversation(conv.id).messages] == [1, 1]
    assert store.load_conversation(other.id).messages[0].images[0].data == photo.data


def test_streaming_reply_is_updated_in_place_and_marked_interrupted_after_a_crash(store: Store) -> None:
    conv = Conversation(title="stream", model="grok-4")
    store.save_conversation(conv)
    question = Message.text(Role.USER, "Tell me a story")
    store.save_message(conv.id, question, 0)
    reply = Message(Role.ASSISTANT, model="grok-4", state=MessageState.STREAMING)
    for chunk in ("Once ", "upon ", "a time"):
        reply.append_text(chunk)
        store.save_message(conv.id, reply, 1)
    assert raw(store, "SELECT count(*) FROM messages") == [(2,)]
    # Leave without finishing the reply, as a crash would.
    store = reopen(store)
    try:
        assert store.interrupted_count == 1
        messages = store.load_conversation(conv.id).messages
        assert messages[1].plain_text == "Once upon a time"
        assert messages[1].state is MessageState.INTERRUPTED
        assert messages[0].state is MessageState.COMPLETE
    finally:
        store.close()


def test_message_order_and_delete(store: Store) -> None:
    conv = Conversation(title="order")
    store.save_conversation(conv)
    a, b, c = (Message.text(Role.USER, t) for t in "abc")
    for i, m in enumerate((a, b, c)):
        store.save_message(conv.id, m, i)
    store.set_message_order(conv.id, [c.id, a.id, b.id])
    assert [m.plain_text for m in store.load_conversation(conv.id).messages] == ["c", "a", "b"]
    store.delete_message(conv.id, a.id)
    assert [m.plain_text for m in store.load_conversation(conv.id).messages] == ["c", "b"]
    assert [m.plain_text for m in store.load_messages_tail(conv.id, 1)] == ["b"]


def test_a_message_cannot_move_to_another_conversation(store: Store) -> None:
    one, two = Conversation(title="one"), Conversation(title="two")
    store.save_conversation(one)
    store.save_conversation(two)
    message = Message.text(Role.USER, "hi")
    store.save_message(one.id, message, 0)
    with pytest.raises(ValueError, match="another conversation"):
        store.save_message(two.id, message, 0)


def test_list_is_pinned_first_then_newest_with_counts(store: Store) -> None:
    for i, title in enumerate(["old", "pinned", "new"]):
        conv = Conversation(title=title, created_at=1000.0 + i, updated_at=1000.0 + i * 10)
        store.save_conversation(conv)
        store.save_message(conv.id, Message.text(Role.USER, "x", created_at=1000.0), 0)
    pinned = next(s for s in store.list_conversations() if s.title == "pinned")
    store.set_pinned(pinned.id, True)
    summaries = store.list_conversations()
    assert [s.title for s in summaries] == ["pinned", "new", "old"]
    assert [s.message_count for s in summaries] == [1, 1, 1]
    store.rename(pinned.id, "renamed")
    assert store.list_conversations()[0].title == "renamed"


def test_titles_label_restored_tabs_without_reading_their_messages(store: Store) -> None:
    named = Conversation(title="Trip to Lisbon")
    untitled = Conversation()
    for conv in (named, untitled):
        store.save_conversation(conv)
    assert store.titles([named.id, untitled.id, "gone"]) == {named.id: "Trip to Lisbon", untitled.id: ""}
    assert store.titles([]) == {}


def test_delete_can_be_undone_until_purged(store: Store) -> None:
    conv = rich_conversation()
    store.replace_conversation(conv)
    store.delete_conversation(conv.id)
    assert store.list_conversations() == []
    assert [s.id for s in store.list_conversations(deleted=True)] == [conv.id]
    assert store.search("tabby") == []
    store.undelete(conv.id)
    assert [s.id for s in store.list_conversations()] == [conv.id]
    assert store.search("tabby")
    store.delete_conversation(conv.id)
    assert store.purge_deleted() == 1
    with pytest.raises(NotFound):
        store.load_conversation(conv.id)
    assert raw(store, "SELECT count(*) FROM images") == [(0,)]
    assert raw(store, "SELECT count(*) FROM messages") == [(0,)]
    with pytest.raises(NotFound):
        store.rename(conv.id, "gone")


def test_session_restores_tabs_drafts_and_attachments(store: Store) -> None:
    conv = rich_conversation()
    store.replace_conversation(conv)
    draft_image = image_part((0, 200, 0), name="green.png", detail=ImageDetail.LOW)
    state = SessionState(
        tabs=[
            TabState(conv.id, "grok-4", "half-typed question", [draft_image]),
            TabState(None, "grok-3-mini", "", [], ConversationSettings(system_prompt="Be terse")),
        ],
        active_index=1,
    )
    store.save_session(state)
    store = reopen(store)
    try:
        restored = store.load_session()
        assert restored == state
        assert restored.tabs[0].draft_attachments[0].data == draft_image.data
        assert restored.tabs[0].draft_attachments[0].detail is ImageDetail.LOW
    finally:
        store.close()


def test_draft_images_outlive_purged_messages_and_go_when_unused(store: Store) -> None:
    photo = image_part()
    conv = Conversation(title="t")
    store.save_conversation(conv)
    store.save_message(conv.id, Message(Role.USER, [photo]), 0)
    store.save_session(SessionState([TabState(None, draft_attachments=[photo])]))
    store.delete_conversation(conv.id)
    store.purge_deleted()
    assert store.load_session().tabs[0].draft_attachments[0].data == photo.data
    store.save_session(SessionState([TabState(None)]))
    assert raw(store, "SELECT count(*) FROM images") == [(0,)]


def test_long_pastes_of_a_draft_are_kept_and_go_with_their_chip(store: Store) -> None:
    paste = DraftPaste("k1", "line\n" * 50_000)
    store.save_session(SessionState([TabState(None, draft_text="see below", draft_pastes=[paste])]))
    store = reopen(store)
    try:
        assert store.load_session().tabs[0].draft_pastes == [paste]
        # Saving again (about once a second while typing) leaves the paste's row as it is.
        store.save_session(SessionState([TabState(None, draft_text="see below!", draft_pastes=[paste])]))
        assert raw(store, "SELECT count(*) FROM session WHERE key LIKE 'paste:%'") == [(1,)]
        # The chip was removed or sent: its text goes too.
        store.save_session(SessionState([TabState(None)]))
        assert raw(store, "SELECT count(*) FROM session WHERE key LIKE 'paste:%'") == [(0,)]
        assert store.load_session().tabs[0].draft_pastes == []
    finally:
        store.close()


def test_the_role_of_a_draft_is_kept_and_older_sessions_read_as_user(store: Store) -> None:
    store.save_session(SessionState([TabState(None, draft_text="be brief", draft_role=Role.SYSTEM)]))
    assert store.load_session().tabs[0].draft_role is Role.SYSTEM
    # A session written before roles were kept: no field, so the draft is the user's.
    older = '{"tabs": [{"conversation_id": null, "draft_text": "hi"}], "active_index": 0}'
    raw(store, "UPDATE session SET value = ? WHERE key = 'session'", older)
    assert store.load_session().tabs[0].draft_role is Role.USER


def test_empty_store_has_an_empty_session(store: Store) -> None:
    assert store.load_session() == SessionState()


def test_usage_totals_per_model(store: Store) -> None:
    conv = Conversation(title="u")
    store.save_conversation(conv)
    replies = [
        ("grok-4", Usage(100, 10, 5, 0, 0, 115), 1000.0),
        ("grok-4", Usage(200, 20, 0, 50, 0, 220), 2000.0),
        ("grok-3-mini", Usage(10, 1, 0, 0, 0, 11), 2000.0),
    ]
    for i, (model, usage, created) in enumerate(replies):
        store.save_message(
            conv.id, Message.text(Role.ASSISTANT, "r", model=model, usage=usage, created_at=created), i
        )
    store.save_message(conv.id, Message.text(Role.USER, "q"), 9)
    totals = store.usage_totals()
    assert totals["grok-4"].replies == 2
    assert (
        totals["grok-4"].prompt_tokens,
        totals["grok-4"].cached_tokens,
        totals["grok-4"].total_tokens,
    ) == (
        300,
        50,
        335,
    )
    assert totals["grok-3-mini"].completion_tokens == 1
    assert store.usage_totals(since=1500.0)["grok-4"].total_tokens == 220


def test_usage_by_day_and_model(store: Store) -> None:
    conv = Conversation(title="d")
    store.save_conversation(conv)
    day1 = time.mktime((2026, 3, 1, 10, 0, 0, 0, 0, -1))
    day2 = time.mktime((2026, 3, 2, 23, 30, 0, 0, 0, -1))
    replies = [
        ("grok-4", Usage(100, 10, 0, 0, 0, 110), day1),
        ("grok-4", Usage(50, 5, 0, 0, 0, 55), day1 + 60),
        ("grok-3", Usage(1, 1, 0, 0, 0, 2), day1),
        ("grok-4", Usage(7, 3, 0, 0, 0, 10), day2),
    ]
    for i, (model, usage, created) in enumerate(replies):
        store.save_message(
            conv.id, Message.text(Role.ASSISTANT, "r", model=model, usage=usage, created_at=created), i
        )
    rows = store.usage_by_day(day1 - 1)
    assert [(day, t.model, t.replies, t.total_tokens) for day, t in rows] == [
        ("2026-03-01", "grok-3", 1, 2),
        ("2026-03-01", "grok-4", 2, 165),
        ("2026-03-02", "grok-4", 1, 10),
    ]
    assert [day for day, _t in store.usage_by_day(day2)] == ["2026-03-02"]


def test_saved_conversations_keep_their_settings_after_an_update(store: Store) -> None:
    conv = Conversation(title="s", settings=ConversationSettings(system_prompt="one"))
    store.save_conversation(conv)
    conv.settings = ConversationSettings(system_prompt="two", temperature=1.2)
    conv.model = "grok-4-fast"
    store.save_conversation(conv)
    loaded = store.load_conversation(conv.id)
    assert (loaded.settings.system_prompt, loaded.settings.temperature, loaded.model) == (
        "two",
        1.2,
        "grok-4-fast",
    )


def test_the_database_is_wal_with_foreign_keys_and_current_schema(store: Store) -> None:
    assert raw(store, "PRAGMA journal_mode") == [("wal",)]
    assert raw(store, "PRAGMA user_version") == [(CURRENT_VERSION,)]
    assert (store.data_dir / DB_NAME).exists()
