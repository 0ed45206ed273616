"""The live tool buttons, the search filters in the conversation settings (refused with
the reason), and how tool calls and sources look in a reply, while running and after."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import ConversationSettings, Message, MessageState, Role
from grokdesk.core.sources import Source
from grokdesk.core.tools import SearchFilters, ToolCall, ToolKind, ToolStatus
from grokdesk.ui.chat.conversationsettings import ConversationSettingsDialog
from grokdesk.ui.chat.toolrecords import render_reply_markdown, sources_html, tools_html
from tests.ui.conftest import MakeWindow


def test_toggles_beside_send_follow_and_change_the_conversation(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    tab = window.current_tab()
    assert tab is not None
    names = {b.objectName(): b for b in tab.findChildren(QToolButton)}
    web, x, code = names["webSearchToggle"], names["xSearchToggle"], names["codeToggle"]
    assert all(b.isCheckable() and not b.isChecked() for b in (web, x, code))
    with qtbot.waitSignal(tab.settings_changed):
        x.click()
    settings = tab.controller.conversation.settings
    assert (settings.web_search, settings.x_search, settings.code_execution) == (False, True, False)


def test_filters_the_api_would_refuse_are_refused_with_the_reason(qtbot: QtBot) -> None:
    dialog = ConversationSettingsDialog(ConversationSettings(web_search=True), model="grok-4.3")
    qtbot.addWidget(dialog)
    dialog.allowed_domains.setText("a.com b.com c.com d.com e.com f.com")
    dialog.excluded_domains.setText("spam.example")
    problems = dialog.problems()
    assert "At most 5 allowed domains; 6 were given." in problems
    assert "Web search can either allow or exclude domains, not both." in problems
    assert not dialog.ok_button.isEnabled() and "not both" in dialog.filter_errors.text()
    dialog.allowed_domains.setText("https://www.Wikipedia.org/wiki, x.ai")
    dialog.excluded_domains.clear()
    dialog.from_date.setText("2026-02-30")
    assert dialog.problems() == ["“2026-02-30” is not a date like 2026-01-31."]
    dialog.from_date.setText("2026-01-01")
    dialog.allowed_handles.setText("@xai elonmusk")
    assert dialog.problems() == [] and dialog.ok_button.isEnabled()
    result = dialog.result_settings()
    assert result.web_search
    assert result.filters == SearchFilters(
        allowed_domains=["www.wikipedia.org", "x.ai"],
        allowed_x_handles=["xai", "elonmusk"],
        from_date="2026-01-01",
    )


def test_running_and_finished_tool_calls_read_as_a_person_would_say_them() -> None:
    reply = Message(Role.ASSISTANT, state=MessageState.STREAMING)
    reply.tools = [
        ToolCall("a", ToolKind.WEB, query="what is xAI"),
        ToolCall("b", ToolKind.X, query="from:xai filter:media"),
        ToolCall("c", ToolKind.CODE, code="print(1 + 1)"),
    ]
    running = tools_html(reply, expanded=False)
    assert "Searching the web: what is xAI…" in running
    assert "Searching X: from:xai filter:media…" in running
    assert "Running code…" in running and "print(1 + 1)" not in running
    reply.tools = [
        ToolCall(t.id, t.kind, query=t.query, code=t.code, output="2", status=ToolStatus.COMPLETED)
        for t in reply.tools
    ]
    done = tools_html(reply, expanded=True)
    assert "✓ Searched the web: what is xAI" in done and "✓ Ran code" in done
    assert "<pre>print(1 + 1)</pre>" in done and "<pre>2</pre>" in done


def test_sources_list_and_inline_citations() -> None:
    reply = Message.text(Role.ASSISTANT, "x")
    reply.sources = [
        Source("https://www.ibm.com/think/topics/explainable-ai"),
        Source("https://x.com/i/status/1990530503129391571"),
    ]
    listed = sources_html(reply)
    assert "<b>Sources</b>" in listed
    assert (
        '<a href="https://www.ibm.com/think/topics/explainable-ai" title="https://www.ibm.com/think/topics/explainable-ai">ibm.com › think/topics/explainable-ai</a>'
        in listed
    )
    assert (
        '𝕏 <a href="https://x.com/i/status/1990530503129391571"' in listed
        and "X post (1990530503129391571)" in listed
    )
    html = render_reply_markdown("Founded 2023 [[1]](https://x.ai/company).").html
    assert '<sup><a href="https://x.ai/company" title="https://x.ai/company">[1]</a></sup>' in html


def test_the_meter_counts_the_encrypted_reasoning_that_goes_back() -> None:
    from grokdesk.core.conversation import Conversation, Usage
    from grokdesk.ui.chat.contextmeter import light_payloads, payload_tokens

    reply = Message.text(Role.ASSISTANT, "answer", model="grok-4.3")
    reply.provider_items = [{"type": "reasoning", "id": "rs_1", "encrypted_content": "A" * 4000}]
    conversation = Conversation(model="grok-4.3", settings=ConversationSettings(add_datetime=False))
    conversation.messages = [Message.text(Role.USER, "question"), reply]

    def total() -> int:
        return sum(payload_tokens(p, lambda text: len(text.split())) for p in light_payloads(conversation))

    with_blob = total()
    reply.usage = Usage(reasoning_tokens=900)
    assert total() - with_blob == 900 - 4000 * 3 // 16
    conversation.model = "grok-3"  # another model never gets it
    reply.usage = None
    assert with_blob - total() == 4000 * 3 // 16


def test_hostile_queries_and_citations_stay_text_and_only_web_links_are_kept() -> None:
    from grokdesk.api.events import SourceCited, ToolCallFinished
    from grokdesk.api.responses import ResponsesReader

    reader = ResponsesReader()
    events = reader.read(
        {
            "type": "response.output_item.done",
            "item": {
                "type": "web_search_call",
                "id": "w",
                "arguments": '{"query":"<img src=x onerror=alert(1)>"}',
            },
        }
    )
    for url in ("javascript:alert(1)", "file:///etc/passwd", 'https://ok.example/"><script>'):
        events += reader.read(
            {
                "type": "response.output_text.annotation.added",
                "annotation": {"type": "url_citation", "url": url},
            }
        )
    cited = [e.source for e in events if isinstance(e, SourceCited)]
    assert [s.url for s in cited] == ['https://ok.example/"><script>']
    reply = Message.text(Role.ASSISTANT, "x")
    reply.tools = [e.call for e in events if isinstance(e, ToolCallFinished)]
    reply.sources = cited
    page = tools_html(reply, expanded=True) + sources_html(reply)
    assert "<img" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="https://ok.example/&quot;&gt;&lt;script&gt;"' in page
