"""The fake server's `/v1/responses` read by an independent client: the official `openai`
package's `responses` API sees its streams, whole answers, usage and errors as it would
see api.x.ai's."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.helpers.fake_xai import FakeXai, RawStream, Reply, StreamError
from tests.helpers.fake_xai_responses import recorded_events


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


def test_a_stream_parses_event_by_event_and_ends_completed(sdk: openai.OpenAI) -> None:
    events = list(sdk.responses.create(model="grok-3", input=user("hello there"), stream=True, store=False))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Echo: hello there"
    final = events[-1].response
    assert final.output_text == "Echo: hello there"
    assert (
        final.usage is not None
        and final.usage.total_tokens == final.usage.input_tokens + final.usage.output_tokens
    )


def test_reasoning_summary_and_encrypted_content(sdk: openai.OpenAI) -> None:
    response = sdk.responses.create(
        model="grok-3-mini", input=user("think"), store=False, include=["reasoning.encrypted_content"]
    )
    reasoning = [item for item in response.output if item.type == "reasoning"]
    assert reasoning and reasoning[0].encrypted_content
    assert reasoning[0].summary[0].text.startswith("The user wrote")
    assert response.output_text == "Echo: think"


def test_the_recorded_web_search_stream_parses(sdk: openai.OpenAI, fake_xai: FakeXai) -> None:
    fake_xai.script_next(RawStream(list(recorded_events("responses-web-search.chunks.jsonl"))))
    events = list(
        sdk.responses.create(
            model="grok-3", input=user("what is xAI"), stream=True, tools=[{"type": "web_search"}]
        )
    )
    annotations = [e.annotation for e in events if e.type == "response.output_text.annotation.added"]
    assert len(annotations) == 5
    assert events[-1].type == "response.completed"


def test_an_error_event_reaches_the_sdk_as_its_error_event(sdk: openai.OpenAI, fake_xai: FakeXai) -> None:
    fake_xai.script_next(StreamError(after_chunks=1))
    events = list(sdk.responses.create(model="grok-3", input=user("a b c"), stream=True))
    assert [e.type for e in events if e.type.endswith(".delta")] == ["response.output_text.delta"]
    assert events[-1].type == "error" and "temporarily unavailable" in events[-1].message


def test_incomplete_reports_its_reason(sdk: openai.OpenAI, fake_xai: FakeXai) -> None:
    fake_xai.script_next(Reply(text="cut", finish_reason="length"))
    events = list(sdk.responses.create(model="grok-3", input=user("x"), stream=True))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"


@pytest.mark.parametrize(
    "extra",
    [{"presence_penalty": 1.0}, {"stop": ["x"]}, {"include": ["inline_citations"]}],
    ids=["penalty", "stop", "include"],
)
def test_refused_parameters_are_400(sdk: openai.OpenAI, extra: dict[str, Any]) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.responses.create(model="grok-3", input=user("x"), extra_body=extra)
    assert caught.value.status_code == 400


def test_too_many_domains_is_400(sdk: openai.OpenAI) -> None:
    tool: Any = {"type": "web_search", "filters": {"allowed_domains": [f"d{i}.com" for i in range(6)]}}
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.responses.create(model="grok-3", input=user("x"), tools=[tool])
    assert "maximum of 5" in caught.value.response.text
