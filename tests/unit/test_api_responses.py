"""The Responses API client against the fake server: the recorded xAI streams replayed
(web search, reasoning with store:false, image tool), tool calls, citations, usage and
cost, every way a stream can end, and the request the core builds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grokdesk.api.client import XaiClient
from grokdesk.api.errors import BadRequest, ModelNotFound, StreamBroken
from grokdesk.api.events import (
    Finished,
    ProviderItem,
    SourceCited,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdate,
)
from grokdesk.api.responses import ResponsesReader
from grokdesk.core.conversation import Conversation, ConversationSettings, Message, Role
from grokdesk.core.request import build_responses_request
from grokdesk.core.tools import SearchFilters, ToolKind, ToolStatus
from tests.helpers.aio import collect, reasoning_of, run, text_of
from tests.helpers.fake_xai import (
    RESPONSES,
    DropAfter,
    FakeXai,
    Malformed,
    RawStream,
    Reply,
    StallAfter,
    StreamError,
)
from tests.helpers.fake_xai_responses import recorded_events, recorded_response, stream_of

WEB_URLS = [
    "https://en.wikipedia.org/wiki/XAI_%28company%29",
    "https://x.ai/company",
    "https://www.ibm.com/think/topics/explainable-ai",
    "https://www.owkin.com/a-z-of-ai-for-healthcare/xai",
    "https://x.ai/",
]


def request(text: str = "hello world", model: str = "grok-3", **extra: Any) -> dict[str, Any]:
    return {"model": model, "input": [{"role": "user", "content": text}], "store": False, **extra}


async def _no_sleep(_seconds: float) -> None:
    return None


def stream(fake: FakeXai, body: dict[str, Any], **options: Any) -> tuple[list[Any], Any]:
    options.setdefault("sleep", _no_sleep)

    async def go() -> tuple[list[Any], Any]:
        async with XaiClient(fake.base_url, fake.api_key, **options) as client:
            return await collect(client.stream_responses(body))

    return run(go())


def of(kind: type, events: list[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


@pytest.mark.parametrize("done", [False, True], ids=["no-DONE", "with-DONE"])
def test_the_recorded_web_search_stream(fake_xai: FakeXai, done: bool) -> None:
    recorded: list[Any] = list(recorded_events("responses-web-search.chunks.jsonl"))
    fake_xai.script_next(RawStream([*recorded, "data: [DONE]\n\n"] if done else recorded))
    events, error = stream(fake_xai, request("what is xAI", tools=[{"type": "web_search"}]))
    assert error is None
    final = recorded[-1]["response"]["output"][1]["content"][0]["text"]
    assert text_of(events) == final
    started, finished = of(ToolCallStarted, events), of(ToolCallFinished, events)
    assert [s.call.kind for s in started] == [ToolKind.WEB]
    assert started[0].call.query == "what is xAI" and started[0].call.status is ToolStatus.RUNNING
    assert finished[0].call.status is ToolStatus.COMPLETED and finished[0].call.query == "what is xAI"
    # The call comes before any text; each URL is cited once although it is repeated in .done events.
    assert events.index(started[0]) < events.index(
        next(e for e in events if type(e).__name__ == "ContentDelta")
    )
    assert [c.source.url for c in of(SourceCited, events)] == WEB_URLS
    usage = of(UsageUpdate, events)[-1].usage
    assert usage.web_search_calls == 1 and usage.x_search_calls == 0
    reported = recorded[-1]["response"]["usage"]
    assert usage.cached_tokens == reported["input_tokens_details"]["cached_tokens"]
    assert usage.reasoning_tokens == reported["output_tokens_details"]["reasoning_tokens"]
    assert usage.prompt_tokens == reported["input_tokens"]
    assert usage.completion_tokens + usage.reasoning_tokens == reported["output_tokens"]
    assert usage.total_tokens == reported["total_tokens"]
    assert events[-1] == Finished("stop")
    assert fake_xai.last_request.path == RESPONSES and fake_xai.last_request.json["stream"] is True


def test_the_recorded_reasoning_stream_gives_summary_then_answer(fake_xai: FakeXai) -> None:
    recorded = recorded_events("responses-reasoning-store-false.chunks.jsonl")
    fake_xai.script_next(RawStream(list(recorded)))
    events, error = stream(fake_xai, request("sonoran food", include=["reasoning.encrypted_content"]))
    assert error is None
    summary = next(e for e in recorded if e["type"] == "response.reasoning_summary_text.done")["text"]
    answer = next(e for e in recorded if e["type"] == "response.output_text.done")["text"]
    assert reasoning_of(events) == summary
    assert text_of(events) == answer
    first_text = next(i for i, e in enumerate(events) if type(e).__name__ == "ContentDelta")
    last_reasoning = max(i for i, e in enumerate(events) if type(e).__name__ == "ReasoningDelta")
    assert last_reasoning < first_text
    assert events[-1] == Finished("stop")


def test_encrypted_reasoning_items_are_handed_out_once_without_status(fake_xai: FakeXai) -> None:
    events, error = stream(
        fake_xai, request("think", model="grok-3-mini", include=["reasoning.encrypted_content"])
    )
    assert error is None
    kept = of(ProviderItem, events)
    assert len(kept) == 1
    item = kept[0].item
    assert item["type"] == "reasoning" and item["encrypted_content"] and "status" not in item
    assert reasoning_of(events).startswith("The user wrote")


def test_the_image_tool_stream_is_an_other_tool_and_the_text_arrives(fake_xai: FakeXai) -> None:
    fake_xai.script_next(RawStream(list(recorded_events("responses-image-generation-tool.chunks.jsonl"))))
    events, error = stream(fake_xai, request("draw a boat", model="grok-4.3"))
    assert error is None
    assert text_of(events) == "Here's a serene image of a paper boat sailing on a leaf-covered pond:"
    assert [f.call.kind for f in of(ToolCallFinished, events)] == [ToolKind.OTHER]


def test_x_search_as_custom_tool_calls_and_parallel_web_searches(fake_xai: FakeXai) -> None:
    fake_xai.script_next(RawStream(list(recorded_events("responses-x-search-parallel.chunks.jsonl"))))
    events, error = stream(fake_xai, request("what does xai post", tools=[{"type": "x_search"}]))
    assert error is None
    finished = of(ToolCallFinished, events)
    kinds = [f.call.kind for f in finished]
    assert kinds.count(ToolKind.X) == 2 and kinds.count(ToolKind.WEB) == 2
    x_queries = [f.call.query for f in finished if f.call.kind is ToolKind.X]
    assert "from:xai filter:media" in x_queries
    # Both web searches started before either finished (they ran in parallel).
    web_ids = {f.call.id for f in finished if f.call.kind is ToolKind.WEB}
    first_finish = min(events.index(f) for f in finished if f.call.id in web_ids)
    assert all(events.index(s) < first_finish for s in of(ToolCallStarted, events) if s.call.id in web_ids)
    cited = [c.source.url for c in of(SourceCited, events)]
    assert cited and all(u.startswith("https://x.com/i/status/") for u in cited)
    usage = of(UsageUpdate, events)[-1].usage
    assert usage.cost_in_usd_ticks > 0 and usage.x_search_calls == 2


def test_code_execution_call_carries_its_code(fake_xai: FakeXai) -> None:
    fake_xai.script_next(RawStream(list(stream_of(recorded_response("responses-code-execution.json")))))
    events, error = stream(fake_xai, request("fib 10", tools=[{"type": "code_interpreter"}]))
    assert error is None
    (call,) = [f.call for f in of(ToolCallFinished, events)]
    assert call.kind is ToolKind.CODE and "def fibonacci" in call.code
    assert text_of(events) == "55"
    assert of(UsageUpdate, events)[-1].usage.code_calls == 1


def test_a_reply_reports_cost_ticks_and_incomplete_maps_to_length(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="cut short here", finish_reason="length"))
    events, error = stream(fake_xai, request())
    assert error is None
    assert text_of(events) == "cut short here"
    assert events[-1] == Finished("length")
    assert of(UsageUpdate, events)[-1].usage.cost_in_usd_ticks > 0


@pytest.mark.parametrize(
    ("script", "says"),
    [
        (StreamError(after_chunks=2), "Service temporarily unavailable"),
        (
            StreamError(
                after_chunks=2,
                body={
                    "type": "response.failed",
                    "response": {"error": {"code": "server_error", "message": "boom"}},
                },
            ),
            "boom",
        ),
        (StreamError(after_chunks=2, body={"error": "a bare error object"}), "a bare error object"),
        (DropAfter(2), "connection dropped"),
        (Malformed(after=2), "could not be read"),
        (Reply(finish_reason=None, send_done=False), "ended before it was complete"),
    ],
    ids=["error-event", "response.failed", "bare-error-object", "dropped", "malformed", "no-terminal-event"],
)
def test_broken_streams_keep_what_arrived(fake_xai: FakeXai, script: Any, says: str) -> None:
    fake_xai.script_next(script)
    events, error = stream(fake_xai, request("one two three four"))
    assert isinstance(error, StreamBroken) and says in error.message
    if not isinstance(script, Reply):
        assert text_of(events) == "Echo: one"


def test_a_stall_after_the_first_tokens_is_reported(fake_xai: FakeXai) -> None:
    fake_xai.script_next(StallAfter(2))
    events, error = stream(fake_xai, request("one two three"), stall_timeout=0.3)
    assert isinstance(error, StreamBroken) and "stopped arriving" in error.message
    assert text_of(events) == "Echo: one"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"presence_penalty": 0.5}, "presencePenalty"),
        ({"frequency_penalty": 0.5}, "frequencyPenalty"),
        ({"stop": ["\n"]}, "stop"),
        ({"include": ["inline_citations"]}, "Argument not supported: include"),
        ({"tools": [{"type": "web_search", "search_context_size": "high"}]}, "search_context_size"),
        (
            {"tools": [{"type": "web_search", "allowed_domains": [f"d{i}.com" for i in range(6)]}]},
            "maximum of 5",
        ),
    ],
)
def test_the_server_refuses_what_the_responses_api_refuses(
    fake_xai: FakeXai, extra: dict[str, Any], says: str
) -> None:
    events, error = stream(fake_xai, request(**extra))
    assert events == [] and isinstance(error, BadRequest) and error.status == 400 and says in error.detail


def test_a_server_without_responses_answers_404(fake_xai: FakeXai) -> None:
    fake_xai.disabled_paths.add(RESPONSES)
    _events, error = stream(fake_xai, request())
    assert error is not None and error.status == 404
    assert isinstance(error, BadRequest | ModelNotFound)


def test_a_whole_response_to_a_stream_request_is_read(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="all at once", ignore_stream=True))
    events, error = stream(fake_xai, request())
    assert error is None and text_of(events) == "all at once" and events[-1] == Finished("stop")


def test_the_reader_takes_the_query_from_arguments_input_or_action() -> None:
    reader = ResponsesReader()
    items = [
        {"type": "web_search_call", "id": "a", "arguments": '{"query":"one"}', "status": "completed"},
        {"type": "custom_tool_call", "id": "b", "name": "x_keyword_search", "input": '{"query":"two"}'},
        {"type": "web_search_call", "id": "c", "action": {"type": "search", "query": "three", "sources": []}},
    ]
    calls = []
    for item in items:
        for event in reader.read({"type": "response.output_item.done", "item": item}):
            if isinstance(event, ToolCallFinished):
                calls.append(event.call)
    assert [(c.kind, c.query) for c in calls] == [
        (ToolKind.WEB, "one"),
        (ToolKind.X, "two"),
        (ToolKind.WEB, "three"),
    ]


# -- the request -------------------------------------------------------------------------


def test_the_request_is_stateless_cached_by_conversation_and_carries_the_tools() -> None:
    conversation = Conversation(
        model="grok-4.3",
        settings=ConversationSettings(
            add_datetime=False,
            system_prompt="Be brief.",
            web_search=True,
            x_search=True,
            code_execution=True,
            temperature=0.3,
            max_completion_tokens=500,
            filters=SearchFilters(
                excluded_domains=["example.com"], allowed_x_handles=["xai"], from_date="2026-01-01"
            ),
        ),
    )
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "abc"}
    conversation.messages = [
        Message.text(Role.USER, "Hi"),
        Message(
            Role.ASSISTANT,
            Message.text(Role.ASSISTANT, "Hello").parts,
            model="grok-4.3",
            provider_items=[reasoning],
        ),
        Message(
            Role.ASSISTANT,
            Message.text(Role.ASSISTANT, "Old").parts,
            model="grok-3",
            provider_items=[{"type": "reasoning", "id": "rs_0", "encrypted_content": "zz"}],
        ),
        Message.text(Role.NOTICE, "not sent"),
        Message.text(Role.USER, "Search"),
    ]
    body = build_responses_request(conversation, model="grok-4.3", model_info=None)
    assert body["store"] is False and body["include"] == ["reasoning.encrypted_content"]
    assert body["prompt_cache_key"] == conversation.id
    assert body["input"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        reasoning,
        {"role": "assistant", "content": "Hello"},
        {"role": "assistant", "content": "Old"},
        {"role": "user", "content": "Search"},
    ]
    assert body["tools"] == [
        {"type": "web_search", "excluded_domains": ["example.com"]},
        {"type": "x_search", "allowed_x_handles": ["xai"], "from_date": "2026-01-01"},
        {"type": "code_interpreter"},
    ]
    assert body["max_output_tokens"] == 500
    assert not {"presence_penalty", "frequency_penalty", "stop", "messages", "max_completion_tokens"} & set(
        body
    )
    json.dumps(body)


def test_the_fake_accepts_what_the_core_builds(fake_xai: FakeXai) -> None:
    conversation = Conversation(
        model="grok-3", settings=ConversationSettings(web_search=True, code_execution=True)
    )
    conversation.messages = [Message.text(Role.USER, "hello there")]
    events, error = stream(fake_xai, build_responses_request(conversation, model="grok-3", model_info=None))
    assert error is None and text_of(events) == "Echo: hello there"
    assert fake_xai.last_request.json["tools"] == [{"type": "web_search"}, {"type": "code_interpreter"}]
