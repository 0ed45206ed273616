"""Streaming chat against the fake xAI server: every recorded shape,
broken streams, stalls, cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from grokdesk.api.chunks import parse_usage
from grokdesk.api.client import XaiClient
from grokdesk.api.errors import StreamBroken
from grokdesk.api.events import ContentDelta, Finished, ReasoningDelta, UsageUpdate
from grokdesk.core.conversation import Usage
from tests.helpers.aio import collect, reasoning_of, run, text_of
from tests.helpers.fake_xai import (
    DropAfter,
    FakeXai,
    Malformed,
    RawStream,
    RefuseStreamOptions,
    Reply,
    StallAfter,
    StreamError,
)


def chat(text: str = "hello world", model: str = "grok-3", usage: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": text}]}
    if usage:
        body["stream_options"] = {"include_usage": True}
    return body


def client_for(fake: FakeXai, **options: Any) -> XaiClient:
    options.setdefault("sleep", _no_sleep)
    return XaiClient(fake.base_url, fake.api_key, **options)


async def _no_sleep(_seconds: float) -> None:
    return None


def stream(fake: FakeXai, body: dict[str, Any], **options: Any) -> tuple[list[Any], Any]:
    async def go() -> tuple[list[Any], Any]:
        async with client_for(fake, **options) as client:
            return await collect(client.stream_chat(body))

    return run(go())


def test_the_2025_shape_streams_the_reply_then_usage_then_finished(fake_xai: FakeXai) -> None:
    events, error = stream(fake_xai, chat("hello world"))
    assert error is None
    assert text_of(events) == "Echo: hello world"
    assert [type(e) for e in events[-2:]] == [UsageUpdate, Finished]
    assert events[-1] == Finished("stop")
    usage = events[-2].usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (2, 3)
    sent = fake_xai.last_request
    assert sent.json["stream"] is True
    assert sent.headers["authorization"] == f"Bearer {fake_xai.api_key}"
    assert sent.headers["accept"] == "text/event-stream"


def test_reasoning_arrives_on_its_own_channel_before_the_answer(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="Paris.", reasoning="Capital of France?", empty_deltas=50))
    events, error = stream(fake_xai, chat("capital?", model="grok-3-mini"))
    assert error is None
    assert reasoning_of(events) == "Capital of France?"
    assert text_of(events) == "Paris."
    kinds = [type(e) for e in events if isinstance(e, (ContentDelta, ReasoningDelta))]
    assert kinds == sorted(kinds, key=lambda k: k is ContentDelta)  # all reasoning first
    usage = next(e.usage for e in events if isinstance(e, UsageUpdate))
    assert usage.reasoning_tokens == 3
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens + 3


def test_the_2024_per_chunk_usage_shape_keeps_the_last_usage_and_the_text_beside_finish(
    fake_xai: FakeXai,
) -> None:
    fake_xai.script_next(Reply(text="one two three", usage_style="per_chunk", finish_reason="length"))
    events, error = stream(fake_xai, chat(usage=False))
    assert error is None
    assert text_of(events) == "one two three"  # the last word came with finish_reason
    updates = [e.usage for e in events if isinstance(e, UsageUpdate)]
    assert [u.completion_tokens for u in updates] == [1, 2, 3]
    assert events[-1] == Finished("length")


def test_usage_in_the_second_to_last_chunk_is_kept(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="a b", usage_style="before_last"))
    events, error = stream(fake_xai, chat())
    assert error is None
    assert [e.usage.completion_tokens for e in events if isinstance(e, UsageUpdate)] == [2]
    assert events[-1] == Finished("stop")


def test_no_usage_when_not_asked(fake_xai: FakeXai) -> None:
    events, error = stream(fake_xai, chat(usage=False))
    assert error is None
    assert not [e for e in events if isinstance(e, UsageUpdate)]
    assert "stream_options" not in fake_xai.last_request.json


def test_comment_lines_and_empty_deltas_are_skipped(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="still here", comments=True, empty_deltas=5))
    events, error = stream(fake_xai, chat())
    assert error is None
    assert text_of(events) == "still here"


def test_odd_but_valid_chunks_are_tolerated(fake_xai: FakeXai) -> None:
    usage = {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}
    fake_xai.script_next(
        RawStream(
            [
                {"choices": [{"index": 0, "delta": {"role": "assistant"}}]},
                {"choices": None},
                {"choices": [{"index": 0, "delta": None}]},
                {"choices": [{"index": 0}]},
                {"choices": [], "usage": None},
                {"choices": [{"index": 0, "delta": {"content": "Hi"}}], "usage": usage},
                'event: ping\ndata: {"choices": []}\n\n',
                {"choices": [{"index": 0, "delta": {"content": "!"}, "finish_reason": "stop"}]},
                "data: [DONE]\n\n",
            ]
        )
    )
    events, error = stream(fake_xai, chat())
    assert error is None
    assert events == [
        ContentDelta("Hi"),
        UsageUpdate(Usage(prompt_tokens=4, completion_tokens=2, total_tokens=6)),
        ContentDelta("!"),
        Finished("stop"),
    ]


def test_done_without_finish_reason_and_finish_without_done_both_end_normally(fake_xai: FakeXai) -> None:
    fake_xai.script_next(
        RawStream([{"choices": [{"index": 0, "delta": {"content": "a"}}]}, "data: [DONE]\n\n"]),
        Reply(text="b", send_done=False),
    )
    first, error = stream(fake_xai, chat())
    assert error is None
    assert first[-1] == Finished(None)
    second, error = stream(fake_xai, chat())
    assert error is None
    assert second[-1] == Finished("stop")


def test_an_error_object_inside_the_stream_breaks_it_and_keeps_the_partial_text(fake_xai: FakeXai) -> None:
    fake_xai.script_next(StreamError(after_chunks=2))
    events, error = stream(fake_xai, chat("one two three four"))
    assert isinstance(error, StreamBroken)
    assert text_of(events) == "Echo: one"
    assert "Timed out waiting for first token" in str(error)
    assert fake_xai.count() == 1  # never retried once content started


def test_malformed_json_breaks_the_stream(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Malformed(after=1))
    events, error = stream(fake_xai, chat())
    assert isinstance(error, StreamBroken)
    assert text_of(events) == "Echo:"
    assert "could not be read" in str(error)


def test_a_stream_ending_with_neither_finish_reason_nor_done_is_broken(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="cut short", finish_reason=None, send_done=False))
    events, error = stream(fake_xai, chat())
    assert isinstance(error, StreamBroken)
    assert text_of(events) == "cut short"
    assert "ended before it was complete" in str(error)


def test_a_connection_dropped_mid_stream_is_broken_and_not_retried(fake_xai: FakeXai) -> None:
    fake_xai.script_next(DropAfter(3))
    events, error = stream(fake_xai, chat("a b c d e f"))
    assert isinstance(error, StreamBroken)
    assert text_of(events) == "Echo: a b"
    assert "connection dropped" in str(error)
    assert fake_xai.count() == 1


def test_a_stall_after_the_first_token_is_detected(fake_xai: FakeXai) -> None:
    fake_xai.script_next(StallAfter(2))
    started = time.monotonic()
    events, error = stream(fake_xai, chat("a b c"), stall_timeout=0.3)
    assert isinstance(error, StreamBroken)
    assert str(error).startswith("The reply stopped arriving")
    assert text_of(events) == "Echo: a"
    assert time.monotonic() - started < 5


def test_silence_before_the_first_token_is_allowed_longer_than_a_stall(fake_xai: FakeXai) -> None:
    # A reasoning model may think silently for minutes: the first token gets
    # first_token_timeout, not stall_timeout.
    fake_xai.script_next(StallAfter(0))

    async def go() -> tuple[list[Any], Any]:
        async with client_for(fake_xai, stall_timeout=0.1, first_token_timeout=10) as client:
            asyncio.get_running_loop().call_later(0.5, fake_xai.release)
            return await collect(client.stream_chat(chat("patience")))

    events, error = run(go())
    assert error is None
    assert text_of(events) == "Echo: patience"


def test_no_first_token_within_first_token_timeout_is_reported(fake_xai: FakeXai) -> None:
    fake_xai.script_next(StallAfter(0))
    events, error = stream(fake_xai, chat(), first_token_timeout=0.3)
    assert isinstance(error, StreamBroken)
    assert "sent nothing" in str(error)
    assert events == []


def test_cancelling_the_consuming_task_closes_the_http_stream(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text=" ".join(["word"] * 200), chunk_delay=0.02))
    received: list[Any] = []
    three_arrived = asyncio.Event()

    async def consume(client: XaiClient) -> None:
        async for event in client.stream_chat(chat()):
            received.append(event)
            if len(received) == 3:
                three_arrived.set()

    async def go() -> None:
        async with client_for(fake_xai) as client:
            task = asyncio.create_task(consume(client))
            await three_arrived.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    run(go())
    assert fake_xai.wait_for_client_close(timeout=5)
    record = fake_xai.streams[-1]
    assert record.closed_by_client and not record.completed


def test_leaving_the_stream_early_closes_it(fake_xai: FakeXai) -> None:
    fake_xai.script_next(StallAfter(3))

    async def go() -> str:
        async with (
            client_for(fake_xai) as client,
            contextlib.aclosing(client.stream_chat(chat("x y z"))) as events,
        ):
            async for event in events:
                if isinstance(event, ContentDelta):
                    return event.text
        return ""

    assert run(go()) == "Echo:"
    assert fake_xai.wait_for_client_close(timeout=5)


def test_refused_stream_options_are_dropped_once(fake_xai: FakeXai) -> None:
    fake_xai.script_next(RefuseStreamOptions())
    events, error = stream(fake_xai, chat("retry me"))
    assert error is None
    assert text_of(events) == "Echo: retry me"
    first, second = fake_xai.requests_to("/v1/chat/completions")
    assert first.json["stream_options"] == {"include_usage": True}
    assert "stream_options" not in second.json


def test_a_huge_reply_streams_fast(fake_xai: FakeXai) -> None:
    text = " ".join(f"w{i}" for i in range(20_000))
    fake_xai.script_next(Reply(text=text, chunk_delay=0))
    started = time.monotonic()
    events, error = stream(fake_xai, chat())
    assert error is None
    assert text_of(events) == text
    assert time.monotonic() - started < 10  # about 1 s; generous for a loaded machine


def test_complete_response_returns_the_whole_reply_of_the_responses_api(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="We spoke of tides.", reasoning="Summing up."))

    async def go() -> Any:
        async with client_for(fake_xai) as client:
            return await client.complete_response(
                {"model": "grok-3-mini", "input": [{"role": "user", "content": "summarise"}], "store": False}
            )

    reply = run(go())
    assert (reply.text, reply.reasoning, reply.finish_reason) == ("We spoke of tides.", "Summing up.", "stop")
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    sent = fake_xai.last_request
    assert sent.path == "/v1/responses" and sent.json["stream"] is False


def test_complete_chat_returns_the_whole_reply(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="A short title", reasoning="hmm"))

    async def go() -> Any:
        async with client_for(fake_xai) as client:
            return await client.complete_chat(chat("summarise"))

    reply = run(go())
    assert (reply.text, reply.reasoning, reply.finish_reason, reply.model) == (
        "A short title",
        "hmm",
        "stop",
        "grok-3",
    )
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    sent = fake_xai.last_request.json
    assert sent["stream"] is False and "stream_options" not in sent


def test_an_alias_is_answered_with_the_canonical_model(fake_xai: FakeXai) -> None:
    events, error = stream(fake_xai, chat(model="grok-3-latest"))
    assert error is None
    assert text_of(events) == "Echo: hello world"


def test_a_server_that_ignores_stream_still_gives_the_reply(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="all at once", ignore_stream=True))
    events, error = stream(fake_xai, chat())
    assert error is None
    assert text_of(events) == "all at once"
    assert isinstance(events[-2], UsageUpdate) and events[-1] == Finished("stop")


def test_usage_with_null_or_missing_details_reads_as_zeros() -> None:
    assert parse_usage(None) is None
    assert parse_usage({"prompt_tokens": None, "completion_tokens_details": None}) == Usage()
    usage = parse_usage(
        {
            "prompt_tokens": 213,
            "completion_tokens": 27,
            "total_tokens": 373,
            "prompt_tokens_details": {"cached_tokens": 192, "image_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 133},
        }
    )
    assert usage == Usage(213, 27, reasoning_tokens=133, cached_tokens=192, total_tokens=373)


def test_a_drop_after_the_finish_reason_keeps_the_reply_whole(fake_xai: FakeXai) -> None:
    fake_xai.script_next(DropAfter(3))  # "Echo:", " hi", the finish chunk; no usage, no [DONE]
    events, error = stream(fake_xai, chat("hi"))
    assert error is None
    assert text_of(events) == "Echo: hi"
    assert events[-1] == Finished("stop")


def test_a_stall_after_the_usage_chunk_still_finishes(fake_xai: FakeXai) -> None:
    fake_xai.script_next(StallAfter(4))  # everything but [DONE] and the end of the body
    events, error = stream(fake_xai, chat("hi"), stall_timeout=0.3)
    assert error is None
    assert [type(e) for e in events[-2:]] == [UsageUpdate, Finished]


def test_requests_go_through_the_proxy_when_one_is_set(fake_xai: FakeXai) -> None:
    # Nothing listens on 127.0.0.2:9; the fake, acting as an HTTP proxy, answers instead.
    async def go() -> tuple[list[Any], Any]:
        async with XaiClient("http://127.0.0.2:9/v1", fake_xai.api_key, proxy=fake_xai.root_url) as client:
            return await collect(client.stream_chat(chat("via proxy")))

    events, error = run(go())
    assert error is None
    assert text_of(events) == "Echo: via proxy"
    assert fake_xai.last_request.headers["host"] == "127.0.0.2:9"


def test_proxy_none_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The "none" proxy setting means no proxy even when HTTPS_PROXY is set."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    ignoring = XaiClient("https://api.x.ai/v1", "xai-key-for-a-proxy-test", use_environment_proxy=False)
    trusting = XaiClient("https://api.x.ai/v1", "xai-key-for-a-proxy-test")
    try:
        assert ignoring._http._mounts == {}
        assert trusting._http._mounts != {}
    finally:
        asyncio.run(ignoring.aclose())
        asyncio.run(trusting.aclose())
