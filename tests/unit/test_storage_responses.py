"""What a reply did on the Responses API is kept: tool calls, sources and encrypted
reasoning survive a restart, an upgrade from the previous schema, search, and the
Markdown and JSON exports (read back by the import)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from grokdesk.core.conversation import Conversation, Message, Role, Usage
from grokdesk.core.sources import Source
from grokdesk.core.tools import ToolCall, ToolKind, ToolStatus
from grokdesk.storage.exporter import export_conversations
from grokdesk.storage.importer import import_file
from grokdesk.storage.schema import CURRENT_VERSION, MIGRATIONS, V4_RESPONSES_UPGRADE
from grokdesk.storage.store import DB_NAME, Store

REASONING = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "c2VhbGVk"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "data")
    yield store
    store.close()


def searched_conversation() -> Conversation:
    reply = Message.text(Role.ASSISTANT, "xAI is a company [[1]](https://x.ai/company).", model="grok-4.3")
    reply.tools = [
        ToolCall("fc_1", ToolKind.WEB, "web_search", query="what is xAI", status=ToolStatus.COMPLETED),
        ToolCall(
            "ci_1",
            ToolKind.CODE,
            "code_execution",
            code="print(55)",
            output="55",
            status=ToolStatus.COMPLETED,
        ),
    ]
    reply.sources = [Source("https://x.ai/company"), Source("https://x.com/i/status/1990530503129391571")]
    reply.provider_items = [REASONING]
    reply.usage = Usage(
        prompt_tokens=10, completion_tokens=5, cost_in_usd_ticks=123_456_789, web_search_calls=1
    )
    conversation = Conversation(title="Live search", model="grok-4.3")
    conversation.messages = [Message.text(Role.USER, "what is xAI"), reply]
    return conversation


def test_tools_sources_and_encrypted_reasoning_survive_a_restart(store: Store, tmp_path: Path) -> None:
    conversation = searched_conversation()
    store.replace_conversation(conversation)
    store.close()
    with Store.open(tmp_path / "data") as again:
        reply = again.load_conversation(conversation.id).messages[-1]
    want = conversation.messages[-1]
    assert reply.tools == want.tools and reply.sources == want.sources
    assert reply.provider_items == [REASONING]
    assert reply.usage == want.usage


def test_queries_and_cited_urls_are_searchable(store: Store) -> None:
    conversation = searched_conversation()
    store.replace_conversation(conversation)
    assert [h.conversation_id for h in store.search("x.ai/company")] == [conversation.id]
    assert store.search("what is xAI")
    assert store.search("1990530503129391571")


def test_the_upgrade_adds_the_columns_and_keeps_what_was_there(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / DB_NAME
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[: MIGRATIONS.index(V4_RESPONSES_UPGRADE)]:
        conn.executescript(script)
    version = MIGRATIONS.index(V4_RESPONSES_UPGRADE)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO conversations (id, title, created, updated) VALUES ('c1', 'Old', 1, 1)")
    conn.execute(
        "INSERT INTO messages (id, conversation_id, position, role, parts, text, created) "
        """VALUES ('m1', 'c1', 0, 'user', '[{"type":"text","text":"hello"}]', 'hello', 1)"""
    )
    conn.close()
    with Store.open(data) as store:
        message = store.load_conversation("c1").messages[0]
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone() == (CURRENT_VERSION,)
    columns = {row[1] for row in check.execute("PRAGMA table_info(messages)")}
    check.close()
    assert {"tools", "sources", "provider_items"} <= columns
    assert message.plain_text == "hello" and message.tools == [] and message.sources == []
    assert list(data.glob(f"grokdesk-backup-v{version}-*.sqlite3"))


def test_markdown_export_lists_the_searches_and_sources(store: Store, tmp_path: Path) -> None:
    conversation = searched_conversation()
    store.replace_conversation(conversation)
    [path] = export_conversations(store, tmp_path / "out", "md")
    text = path.read_text(encoding="utf-8")
    assert "> Searched the web: what is xAI" in text
    assert "> print(55)" in text
    assert "**Sources**" in text
    assert "1. [x.ai › company](https://x.ai/company)" in text
    assert "(https://x.com/i/status/1990530503129391571)" in text and "X post" in text


def test_json_export_round_trips_through_the_import(store: Store, tmp_path: Path) -> None:
    conversation = searched_conversation()
    store.replace_conversation(conversation)
    [path] = export_conversations(store, tmp_path / "out", "json")
    document = json.loads(path.read_text(encoding="utf-8"))
    exported = document["conversations"][0]["messages"][-1]
    assert exported["sources"][0] == {"url": "https://x.ai/company"}
    assert exported["tools"][0]["query"] == "what is xAI"
    with Store.open(tmp_path / "other") as other:
        import_file(other, path)
        [summary] = other.list_conversations()
        reply = other.load_conversation(summary.id).messages[-1]
    assert reply.sources == conversation.messages[-1].sources
    assert reply.tools == conversation.messages[-1].tools
    assert reply.provider_items == [REASONING]


def test_usage_totals_count_the_api_cost_and_tool_calls(store: Store) -> None:
    conversation = searched_conversation()
    plain = Message.text(Role.ASSISTANT, "no cost reported", model="grok-4.3")
    plain.usage = Usage(prompt_tokens=100, completion_tokens=50)
    conversation.messages.append(plain)
    store.replace_conversation(conversation)
    totals = store.usage_totals()["grok-4.3"]
    assert totals.replies == 2 and totals.cost_in_usd_ticks == 123_456_789
    assert totals.web_search_calls == 1 and totals.prompt_tokens == 110
    assert (totals.unpriced.prompt_tokens, totals.unpriced.completion_tokens) == (100, 50)
