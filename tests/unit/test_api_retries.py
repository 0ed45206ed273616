"""Retries, counted on the fake server: what is retried, how often, how long it waits,
and that waiting can be cancelled."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from grokdesk.api.client import XaiClient
from grokdesk.api.errors import (
    AuthError,
    BadRequest,
    ModelNotFound,
    NetworkError,
    PermissionDenied,
    RateLimited,
    ServerBusy,
    StreamBroken,
)
from tests.helpers.aio import collect, run, text_of
from tests.helpers.fake_xai import CloseWithoutAnswer, DropAfter, Error, FakeXai

CHAT = {"model": "grok-3", "messages": [{"role": "user", "content": "hi"}]}


class Sleeps:
    """An injected sleep that records every wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def stream(fake: FakeXai, sleeps: Sleeps, **options: Any) -> tuple[list[Any], Any]:
    async def go() -> tuple[list[Any], Any]:
        async with XaiClient(fake.base_url, fake.api_key, sleep=sleeps, jitter=lambda: 0.5, **options) as c:
            return await collect(c.stream_chat(CHAT))

    return run(go())


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_busy_answers_are_retried_until_one_works(fake_xai: FakeXai, status: int) -> None:
    fake_xai.script_next(Error(status), Error(status))
    sleeps = Sleeps()
    events, error = stream(fake_xai, sleeps)
    assert error is None
    assert text_of(events) == "Echo: hi"
    assert fake_xai.count() == 3
    assert sleeps.waits == [0.5, 1.0]  # exponential: base 0.5 x 2^n x (0.5 + jitter 0.5)


def test_jitter_spreads_the_waits(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(503))
    sleeps = Sleeps()

    async def go() -> None:
        async with XaiClient(fake_xai.base_url, fake_xai.api_key, sleep=sleeps, jitter=lambda: 0.9) as c:
            await collect(c.stream_chat(CHAT))

    run(go())
    assert sleeps.waits == [pytest.approx(0.7)]


def test_at_most_three_retries(fake_xai: FakeXai) -> None:
    fake_xai.script_next(*[Error(503)] * 5)
    sleeps = Sleeps()
    _events, error = stream(fake_xai, sleeps)
    assert isinstance(error, ServerBusy)
    assert fake_xai.count() == 4
    assert sleeps.waits == [0.5, 1.0, 2.0]


def test_retry_after_is_honoured(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(429, retry_after=3), Error(503, retry_after="1.5"))
    sleeps = Sleeps()
    _events, error = stream(fake_xai, sleeps)
    assert error is None
    assert sleeps.waits == [3.0, 1.5]


def test_a_long_retry_after_is_reported_instead_of_waited(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(429, retry_after=3600))
    sleeps = Sleeps()
    _events, error = stream(fake_xai, sleeps)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 3600
    assert fake_xai.count() == 1 and sleeps.waits == []


def test_exhausted_credits_are_not_retried(fake_xai: FakeXai) -> None:
    fake_xai.script_next(
        Error(
            429,
            {
                "code": "Some resource has been exhausted",
                "error": "Your team t has either used all "
                "available credits or reached its monthly spending limit.",
            },
        )
    )
    _events, error = stream(fake_xai, Sleeps())
    assert isinstance(error, RateLimited)
    assert "no credits left" in str(error)
    assert fake_xai.count() == 1


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (Error(400), BadRequest),
        (Error(401), AuthError),
        (Error(403), PermissionDenied),
        (Error(404, {"code": "not-found", "error": "The model grok-3 does not exist"}), ModelNotFound),
        (Error(410), BadRequest),
        (Error(422), BadRequest),
    ],
)
def test_other_4xx_are_never_retried(fake_xai: FakeXai, script: Error, kind: type) -> None:
    fake_xai.script_next(script, Error(503))
    sleeps = Sleeps()
    _events, error = stream(fake_xai, sleeps)
    assert isinstance(error, kind)
    assert fake_xai.count() == 1 and sleeps.waits == []


def test_a_connection_closed_before_the_first_byte_is_retried(fake_xai: FakeXai) -> None:
    fake_xai.script_next(CloseWithoutAnswer(), CloseWithoutAnswer())
    sleeps = Sleeps()
    events, error = stream(fake_xai, sleeps)
    assert error is None
    assert text_of(events) == "Echo: hi"
    assert fake_xai.count() == 3 and len(sleeps.waits) == 2


def test_connection_failures_give_up_after_three_retries(fake_xai: FakeXai) -> None:
    fake_xai.script_next(*[CloseWithoutAnswer()] * 4)
    _events, error = stream(fake_xai, Sleeps())
    assert isinstance(error, NetworkError)
    assert fake_xai.count() == 4


def test_nothing_is_retried_once_content_has_started(fake_xai: FakeXai) -> None:
    fake_xai.script_next(DropAfter(2))
    sleeps = Sleeps()
    events, error = stream(fake_xai, sleeps)
    assert isinstance(error, StreamBroken)
    assert text_of(events) == "Echo: hi"
    assert fake_xai.count() == 1 and sleeps.waits == []


def test_the_wait_between_retries_can_be_cancelled(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(503), Error(503))

    async def go() -> None:
        waiting = asyncio.Event()

        async def slow_sleep(_seconds: float) -> None:
            waiting.set()
            await asyncio.sleep(60)

        async with XaiClient(fake_xai.base_url, fake_xai.api_key, sleep=slow_sleep) as client:
            task = asyncio.create_task(collect(client.stream_chat(CHAT)))
            await waiting.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert task.cancelled()

    run(go())
    assert fake_xai.count() == 1
    assert fake_xai.pending_scripts() == 1  # the second answer was never asked for


def test_the_default_backoff_really_sleeps_and_succeeds(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(503))

    async def go() -> str:
        async with XaiClient(fake_xai.base_url, fake_xai.api_key, backoff_base=0.01) as client:
            events, error = await collect(client.stream_chat(CHAT))
            assert error is None
            return text_of(events)

    assert run(go()) == "Echo: hi"
    assert fake_xai.count() == 2


def test_model_listing_is_retried_too(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(503), path="/v1/language-models")
    sleeps = Sleeps()

    async def go() -> list[str]:
        async with XaiClient(fake_xai.base_url, fake_xai.api_key, sleep=sleeps) as client:
            return [m.id for m in await client.list_models()]

    assert "grok-3" in run(go())
    assert fake_xai.count("/v1/language-models") == 2
    assert len(sleeps.waits) == 1
