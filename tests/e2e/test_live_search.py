"""Live search, X search and code execution end to end: the real window sends the turn to
/v1/responses with the tool on, the recorded xAI streams render with what was searched,
their sources as links and the cost the API reported; everything is still there after a
restart and goes into the Markdown and JSON exports. Chat Completions still serves a
server without /responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from pytestqt.qtbot import QtBot

from grokdesk.core.budget import cost_usd
from grokdesk.core.conversation import MessageState
from grokdesk.core.tools import ToolKind
from grokdesk.storage.exporter import export_conversations
from grokdesk.storage.store import Store
from grokdesk.ui.chat.tab import ConversationTab
from tests.e2e.conftest import Windows, anchors, current
from tests.helpers.fake_xai import CHAT, RESPONSES, FakeXai, RawStream
from tests.helpers.fake_xai_responses import recorded_events, recorded_response, stream_of

WEB_URLS = [
    "https://en.wikipedia.org/wiki/XAI_%28company%29",
    "https://x.ai/company",
    "https://www.ibm.com/think/topics/explainable-ai",
    "https://www.owkin.com/a-z-of-ai-for-healthcare/xai",
    "https://x.ai/",
]


def ask(qtbot: QtBot, tab: ConversationTab, text: str) -> None:
    tab.composer.setPlainText(text)
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=10_000)


def final_usage(events: list[dict[str, Any]]) -> dict[str, Any]:
    usage = events[-1]["response"]["usage"]
    assert isinstance(usage, dict)
    return usage


def test_web_search_turn_shows_the_query_and_every_source_and_keeps_them(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai, tmp_path: Path
) -> None:
    window = windows.open()
    tab = current(window)
    qtbot.mouseClick(tab.tool_toggles.web, Qt.MouseButton.LeftButton)
    assert tab.findChild(type(tab.tool_toggles.web), "webSearchToggle").isChecked()
    recorded = recorded_events("responses-web-search.chunks.jsonl")
    fake_xai.script_next(RawStream(list(recorded)))
    ask(qtbot, tab, "what is xAI")

    request = fake_xai.requests_to(RESPONSES)[-1]
    assert request.path == RESPONSES
    assert request.json["tools"] == [{"type": "web_search"}]
    assert request.json["store"] is False and request.json["include"] == ["reasoning.encrypted_content"]
    assert request.json["prompt_cache_key"] == tab.controller.conversation.id
    reply = tab.controller.conversation.messages[-1]
    assert reply.state is MessageState.COMPLETE
    qtbot.waitUntil(lambda: "Sources" in tab.transcript.plain_text(), timeout=5000)
    shown = tab.transcript.plain_text()
    assert "Searched the web: what is xAI" in shown
    assert "xAI is an American artificial intelligence company" in shown
    assert "Sources" in shown
    for url in WEB_URLS:
        assert url in shown
        assert url in anchors(tab)
    assert [s.url for s in reply.sources] == WEB_URLS
    assert reply.usage is not None and reply.usage.web_search_calls == 1

    conversation_id = tab.controller.conversation.id
    windows.close(window)
    again = current(windows.open())
    assert again.controller.conversation.id == conversation_id
    shown = again.transcript.plain_text()
    assert "Searched the web: what is xAI" in shown
    assert all(url in anchors(again) for url in WEB_URLS)
    assert again.tool_toggles.web.isChecked()  # saved with the conversation
    windows.close(windows.made[-1])

    with Store.open(windows.data_dir) as store:
        [markdown] = export_conversations(store, tmp_path / "md", "md")
        [document] = export_conversations(store, tmp_path / "json", "json")
        assert [h.conversation_id for h in store.search("owkin")] == [conversation_id]
    text = markdown.read_text(encoding="utf-8")
    assert "Searched the web: what is xAI" in text
    assert all(f"({url})" in text for url in WEB_URLS)
    exported = json.loads(document.read_text(encoding="utf-8"))["conversations"][0]["messages"][-1]
    assert [s["url"] for s in exported["sources"]] == WEB_URLS


def test_a_search_shows_while_it_runs(qtbot: QtBot, windows: Windows, fake_xai: FakeXai) -> None:
    tab = current(windows.open())
    tab.tool_toggles.web.click()
    recorded = recorded_events("responses-web-search.chunks.jsonl")
    # Held just after the search call was announced, before its answer.
    fake_xai.script_next(RawStream(list(recorded), stall_after=3))
    tab.composer.setPlainText("what is xAI")
    tab.send()
    qtbot.waitUntil(lambda: "Searching the web: what is xAI…" in tab.transcript.plain_text(), timeout=5000)
    assert tab.controller.is_streaming
    fake_xai.release()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=10_000)
    shown = tab.transcript.plain_text()
    assert "Searching the web" not in shown and "✓ Searched the web: what is xAI" in shown


def test_x_search_with_parallel_searches_and_custom_tool_calls(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    tab = current(windows.open())
    qtbot.mouseClick(tab.tool_toggles.x, Qt.MouseButton.LeftButton)
    recorded = recorded_events("responses-x-search-parallel.chunks.jsonl")
    fake_xai.script_next(RawStream(list(recorded)))
    ask(qtbot, tab, "What are people saying about AI on X?")

    assert fake_xai.requests_to(RESPONSES)[-1].json["tools"] == [{"type": "x_search"}]
    reply = tab.controller.conversation.messages[-1]
    kinds = [c.kind for c in reply.tools]
    assert kinds.count(ToolKind.X) == 2 and kinds.count(ToolKind.WEB) == 2
    # A long reply's last blocks render a slice per tick after the stream; the Sources come last.
    qtbot.waitUntil(lambda: "Sources" in tab.transcript.plain_text(), timeout=5000)
    shown = tab.transcript.plain_text()
    assert "Searched X: from:xai filter:media" in shown
    assert "Searched X: AI artificial intelligence" in shown
    assert "X post" in shown
    cited = [a.get("url") for a in recorded[-1]["response"]["output"][-1]["content"][0]["annotations"]]
    assert len(cited) == 20 and all(url in anchors(tab) for url in cited)
    usage = final_usage(recorded)
    assert reply.usage is not None and reply.usage.x_search_calls == 2
    assert reply.usage.cost_in_usd_ticks == usage["cost_in_usd_ticks"]
    assert cost_usd(reply.usage, None) == usage["cost_in_usd_ticks"] / 1e10
    assert f"${usage['cost_in_usd_ticks'] / 1e10:.2f}" in tab.transcript.usage_text[reply.id]


def test_code_execution_shows_the_code_and_its_answer(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    tab = current(windows.open())
    qtbot.mouseClick(tab.tool_toggles.code, Qt.MouseButton.LeftButton)
    fake_xai.script_next(RawStream(stream_of(recorded_response("responses-code-execution.json"))))
    ask(qtbot, tab, "What is fibonacci(10)? Run code.")

    assert fake_xai.requests_to(RESPONSES)[-1].json["tools"] == [{"type": "code_interpreter"}]
    reply = tab.controller.conversation.messages[-1]
    assert reply.plain_text == "55"
    assert "Ran code" in tab.transcript.plain_text()
    assert "def fibonacci" not in tab.transcript.plain_text()  # compact until expanded
    tab.transcript.anchorClicked.emit(next(QUrl(h) for h in anchors(tab) if h.startswith("tools:")))
    assert "def fibonacci(n):" in tab.transcript.plain_text()


def test_reasoning_summary_goes_to_the_reasoning_section_and_is_sent_back(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    tab = current(windows.open(model="grok-3-mini"))
    fake_xai.script_next(RawStream(list(recorded_events("responses-reasoning-store-false.chunks.jsonl"))))
    ask(qtbot, tab, "What is notable about Sonoran food?")
    reply = tab.controller.conversation.messages[-1]
    assert reply.reasoning.startswith("First, the question is:")
    assert "Show reasoning" in tab.transcript.plain_text()
    assert reply.plain_text.startswith("### Overview of Sonoran Cuisine")

    # The encrypted reasoning of each reply goes back with later turns, just before its reply.
    recorded_item = reply.provider_items[0]
    assert recorded_item["id"].startswith("rs_") and recorded_item["encrypted_content"]
    ask(qtbot, tab, "Thanks. And Sonoran hot dogs?")
    ask(qtbot, tab, "One more")
    sent = fake_xai.requests_to(RESPONSES)[-1].json["input"]
    encrypted = [item for item in sent if item.get("type") == "reasoning"]
    assert len(encrypted) == 2 and encrypted[0] == recorded_item
    for item in encrypted:
        assert sent[sent.index(item) + 1]["role"] == "assistant"


def test_a_server_without_responses_gets_chat_completions_and_it_is_remembered(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    fake_xai.disabled_paths.add(RESPONSES)
    window = windows.open()
    tab = current(window)
    ask(qtbot, tab, "hello there")
    assert tab.controller.conversation.messages[-1].plain_text == "Echo: hello there"
    assert [r.path for r in fake_xai.requests if r.path in (CHAT, RESPONSES)] == [RESPONSES, CHAT]
    ask(qtbot, tab, "again")
    assert fake_xai.count(RESPONSES) == 1 and fake_xai.count(CHAT) == 2  # not asked again
    assert not [m for m in tab.controller.conversation.messages if m.role.value == "notice"]
    windows.close(window)
    tab = current(windows.open())
    ask(qtbot, tab, "after a restart")
    assert fake_xai.count(RESPONSES) == 1  # remembered in the settings
    # The live tools cannot work there: said once, not silently ignored.
    tab.tool_toggles.web.click()
    ask(qtbot, tab, "search something")
    ask(qtbot, tab, "and more")
    notices = [m.plain_text for m in tab.controller.conversation.messages if m.role.value == "notice"]
    assert len(notices) == 1 and "need the Responses API" in notices[0]
    assert "tools" not in fake_xai.requests_to(CHAT)[-1].json
