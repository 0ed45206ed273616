"""Full-text search: snippets with the match marked, safe on anything a person types, on the FTS index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grokdesk.core.conversation import Conversation, Message, Role
from grokdesk.storage.query import fts_query
from grokdesk.storage.records import MATCH_END, MATCH_START
from grokdesk.storage.store import MESSAGE_SEARCH_SQL, TITLE_SEARCH_SQL, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path)
    trip = Conversation(title="Trip to Kyoto", model="grok-4")
    store.save_conversation(trip)
    store.save_message(
        trip.id, Message.text(Role.USER, "Which temples should I visit in Kyoto in autumn?"), 0
    )
    store.save_message(
        trip.id,
        Message.text(Role.ASSISTANT, "Visit Kiyomizu-dera early; the maples at Tōfuku-ji peak in November."),
        1,
    )
    code = Conversation(title="Regex help")
    store.save_conversation(code)
    store.save_message(
        code.id, Message.text(Role.USER, 'How do I match "quoted strings" AND stars * in regex?'), 0
    )
    yield store
    store.close()


def marked(snippet: str) -> list[str]:
    """The words a snippet marks as matches."""
    out = []
    while MATCH_START in snippet:
        start = snippet.index(MATCH_START)
        end = snippet.index(MATCH_END, start)
        out.append(snippet[start + 1 : end])
        snippet = snippet[end + 1 :]
    return out


def test_a_word_in_a_message_is_found_with_the_match_marked(store: Store) -> None:
    hits = store.search("maples")
    assert len(hits) == 1
    assert hits[0].title == "Trip to Kyoto" and hits[0].message_id is not None
    assert marked(hits[0].snippet) == ["maples"]
    conv = store.load_conversation(hits[0].conversation_id)
    assert conv.find(hits[0].message_id) is conv.messages[1]


def test_title_hits_come_first_and_have_no_message(store: Store) -> None:
    hits = store.search("kyoto")
    assert hits[0].message_id is None and marked(hits[0].snippet) == ["Kyoto"]
    assert [h.message_id is None for h in hits] == [True, False]


def test_search_as_you_type_prefix_matches_the_last_word(store: Store) -> None:
    assert [marked(h.snippet) for h in store.search("temp")] == [["temples"]]
    assert store.search("temp ") == []  # a finished word must match whole
    assert [marked(h.snippet) for h in store.search("visit autu")] == [["visit", "autumn"]]


def test_accents_are_ignored(store: Store) -> None:
    assert marked(store.search("tofuku")[0].snippet) == ["Tōfuku"]


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        '"quoted',
        "*",
        "stars *",
        "AND",
        "regex AND",
        "-",
        "-regex",
        "NOT",
        "OR (",
        "title:regex",
        "NEAR(a b)",
        "^",
        "'",
    ],
)
def test_odd_input_never_raises(store: Store, typed: str) -> None:
    store.search(typed)


def test_operators_typed_by_a_user_are_words(store: Store) -> None:
    hits = store.search('"quoted strings" AND')
    assert [h.title for h in hits] == ["Regex help"]
    assert marked(hits[0].snippet) == ["quoted", "strings", "AND"]
    assert store.search("   ") == [] and store.search('*-"') == []


def test_the_query_keeps_words_only() -> None:
    assert fts_query('say "hi" AND b') == '"say" "hi" "AND" "b"*'
    assert fts_query("done ") == '"done"'
    assert fts_query("--") is None


def test_searches_use_the_full_text_indexes(store: Store) -> None:
    params = {"query": '"kyoto"*', "start": MATCH_START, "end": MATCH_END, "limit": 50}
    for sql, table in ((TITLE_SEARCH_SQL, "conversations_fts"), (MESSAGE_SEARCH_SQL, "messages_fts")):
        plan = [r[3] for r in store._conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert plan[0].startswith(f"SCAN {table} VIRTUAL TABLE INDEX"), plan
        # Every joined table is looked up by key, never scanned, and no sort of all matches is needed.
        assert all(step.startswith("SEARCH") for step in plan[1:]), plan


def test_five_thousand_conversations_are_searchable(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "big")
    try:
        with store.transaction():
            for i in range(5000):
                conv = Conversation(title=f"Conversation {i}")
                store.save_conversation(conv)
                for j in range(2):
                    text = f"message {j} of chat {i} about topic{i % 97} and shared words"
                    store.save_message(conv.id, Message.text(Role.USER, text), j)
        hits = store.search("topic42", limit=50)
        assert len(hits) == 50 and all("topic42" in h.snippet for h in hits)
        assert len(store.list_conversations()) == 5000
    finally:
        store.close()


def test_renamed_and_edited_text_is_searched_as_it_is_now(store: Store) -> None:
    conv = store.load_conversation(store.search("regex")[0].conversation_id)
    store.rename(conv.id, "Pattern matching")
    assert store.search("pattern")[0].conversation_id == conv.id
    edited = conv.messages[0]
    edited.parts = Message.text(Role.USER, "nothing left").parts
    store.save_message(conv.id, edited, 0)
    assert store.search("quoted") == []
    store.delete_message(conv.id, edited.id)
    assert store.search("nothing") == []


def test_newest_matches_come_first(store: Store) -> None:
    for title in ("First bread", "Second bread", "Third bread"):
        conv = Conversation(title=title)
        store.save_conversation(conv)
    assert [h.title for h in store.search("bread")] == ["Third bread", "Second bread", "First bread"]
    assert [h.title for h in store.search("bread", limit=2)] == ["Third bread", "Second bread"]


def test_no_typed_text_makes_search_raise(tmp_path: Path) -> None:
    with Store.open(tmp_path / "fuzz") as store:
        conv = Conversation(title="Fuzzing the search box")
        store.save_conversation(conv)
        store.save_message(
            conv.id, Message.text(Role.USER, 'quotes " stars * minus - AND OR NOT NEAR ( ) ^ :'), 0
        )

        @settings(max_examples=200, deadline=None, database=None)
        @given(st.text(alphabet=st.sampled_from(list("ab \"*-^:()+{}[]'.,ANDORNT_é\u3042\t")), max_size=20))
        def search_anything(typed: str) -> None:
            for hit in store.search(typed):
                assert hit.conversation_id == conv.id

        search_anything()
