"""The fake server read by an independent client: the official `openai` package, used only
here, sees its streams, usage, models and errors as it would see api.x.ai's."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import openai
import pytest

from grokdesk.api.client import XaiClient
from tests.helpers.aio import collect, run
from tests.helpers.fake_xai import Error, FakeXai, NeverAnswer, Reply, StreamError


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


def test_a_stream_with_usage_in_the_2025_shape(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="grok-3", messages=user("hello there"), stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    with_choices = [c for c in chunks if c.choices]
    text = "".join(c.choices[0].delta.content or "" for c in with_choices)
    assert text == "Echo: hello there"
    roles = [c.choices[0].delta.role for c in with_choices]
    assert roles[0] == "assistant" and not any(roles[1:])  # role only in the first delta
    final = with_choices[-1].choices[0]
    assert final.finish_reason == "stop" and final.delta.content is None
    assert all(c.choices[0].finish_reason is None for c in with_choices[:-1])
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert (usage_chunk.usage.prompt_tokens, usage_chunk.usage.completion_tokens) == (2, 3)
    assert all(c.usage is None for c in chunks[:-1])
    assert {c.id for c in chunks} == {chunks[0].id}
    assert all(c.object == "chat.completion.chunk" for c in chunks)


def test_reasoning_content_streams_as_an_extra_delta_field(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(model="grok-3-mini", messages=user("think"), stream=True)
    deltas = [c.choices[0].delta for c in stream if c.choices]
    reasoning = "".join(getattr(d, "reasoning_content", None) or "" for d in deltas)
    assert reasoning.startswith("The user wrote")
    assert "".join(d.content or "" for d in deltas) == "Echo: think"


def test_a_stream_in_the_2024_per_chunk_usage_shape(fake_xai: FakeXai, sdk: openai.OpenAI) -> None:
    fake_xai.script_next(Reply(text="a b c", usage_style="per_chunk", finish_reason="length"))
    chunks = list(sdk.chat.completions.create(model="grok-3", messages=user("x"), stream=True))
    assert [c.usage.completion_tokens for c in chunks if c.usage] == [1, 2, 3]
    assert chunks[-1].choices[0].finish_reason == "length"
    assert chunks[-1].choices[0].delta.content == " c"


def test_a_whole_reply_with_usage(sdk: openai.OpenAI) -> None:
    reply = sdk.chat.completions.create(model="grok-3-mini", messages=user("one two"))
    assert reply.object == "chat.completion"
    assert reply.model == "grok-3-mini"
    assert reply.choices[0].message.content == "Echo: one two"
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].finish_reason == "stop"
    usage = reply.usage
    assert usage is not None
    assert usage.completion_tokens_details is not None
    reasoning = usage.completion_tokens_details.reasoning_tokens or 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens + reasoning


def test_the_model_list(sdk: openai.OpenAI) -> None:
    ids = [m.id for m in sdk.models.list()]
    assert {"grok-3", "grok-3-mini", "grok-2-vision-1212", "grok-2-image-1212"} <= set(ids)


def test_a_bad_key_is_a_bad_request_not_an_authentication_error(fake_xai: FakeXai) -> None:
    client = openai.OpenAI(base_url=fake_xai.base_url, api_key="xai-badbadbadbadyz", max_retries=0)
    with client, pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="grok-3", messages=user("x"))
    assert caught.value.status_code == 400
    # The SDK keeps the flat body's `error` string, masked from the key sent.
    assert caught.value.body == (
        "Incorrect API key provided: xa***yz. You can obtain an API key from https://console.x.ai."
    )
    assert caught.value.response.json()["code"] == "Client specified an invalid argument"


def test_an_unknown_model_is_not_found(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model="grok-beta", messages=user("x"))
    assert caught.value.status_code == 404
    assert str(caught.value.body).startswith("The model grok-beta does not exist or your team")
    assert caught.value.response.json()["code"] == "not-found"


def test_rate_limit_and_capacity_errors(fake_xai: FakeXai, sdk: openai.OpenAI) -> None:
    fake_xai.script_next(Error(429, retry_after=2), Error(503))
    with pytest.raises(openai.RateLimitError) as limited:
        sdk.chat.completions.create(model="grok-3", messages=user("x"))
    assert limited.value.response.headers["retry-after"] == "2"
    with pytest.raises(openai.InternalServerError) as busy:
        sdk.chat.completions.create(model="grok-3", messages=user("x"))
    assert busy.value.status_code == 503


def test_an_error_object_inside_a_200_stream_is_an_api_error(fake_xai: FakeXai, sdk: openai.OpenAI) -> None:
    fake_xai.script_next(StreamError(after_chunks=1))
    stream = sdk.chat.completions.create(model="grok-3", messages=user("x y"), stream=True)
    with pytest.raises(openai.APIError) as caught:
        list(stream)
    assert caught.value.body == "Timed out waiting for first token"


def test_the_sdk_request_is_recorded(fake_xai: FakeXai, sdk: openai.OpenAI) -> None:
    sdk.chat.completions.create(model="grok-3", messages=user("recorded"), temperature=0.5)
    sent = fake_xai.last_request
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.json["messages"] == user("recorded")
    assert sent.json["temperature"] == 0.5


# -- the fake's own test API -------------------------------------------------------------


def test_unknown_paths_are_recorded_and_answered_404(fake_xai: FakeXai) -> None:
    response = httpx.get(fake_xai.root_url + "/images/cat.png?size=1")
    assert response.status_code == 404
    assert response.json()["code"] == "Some requested entity was not found"
    assert fake_xai.any_request_to("/images/cat.png")
    assert fake_xai.any_request_to("/images")
    assert not fake_xai.any_request_to("/v1/chat/completions")
    assert fake_xai.requests[0].query == "size=1"


def test_one_client_reuses_one_connection(fake_xai: FakeXai) -> None:
    async def go() -> None:
        async with XaiClient(fake_xai.base_url, fake_xai.api_key) as client:
            for _ in range(3):
                _events, error = await collect(client.stream_chat({"model": "grok-3", "messages": user("x")}))
                assert error is None
            await client.list_models()

    run(go())
    assert fake_xai.count() == 3
    assert fake_xai.connections_accepted == 1


def test_reset_forgets_scripts_and_records(fake_xai: FakeXai, sdk: openai.OpenAI) -> None:
    fake_xai.script_next(Error(500))
    fake_xai.prompt_limits["grok-3"] = 1
    sdk.models.list()
    fake_xai.reset()
    assert fake_xai.requests == [] and fake_xai.pending_scripts() == 0
    reply = sdk.chat.completions.create(model="grok-3", messages=user("two words"))
    assert reply.choices[0].message.content == "Echo: two words"


def test_a_request_that_is_never_answered_is_let_go_by_release(fake_xai: FakeXai) -> None:
    fake_xai.script_next(NeverAnswer(), path="/v1/models")
    with httpx.Client(timeout=10) as client:
        pending = threading.Timer(0.2, fake_xai.release)
        pending.start()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(fake_xai.base_url + "/models", headers={"Authorization": f"Bearer {fake_xai.api_key}"})
        pending.join()
