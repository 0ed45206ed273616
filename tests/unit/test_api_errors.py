"""Every recorded xAI error that the fake server produces, mapped into our types with
messages a person can act on; every error body shape; and the key never leaking."""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import subprocess
import sys
from typing import Any

import httpx
import pytest
from PIL import Image

from grokdesk.api.client import XaiClient
from grokdesk.api.errors import (
    ApiError,
    AuthError,
    BadRequest,
    ContextTooLong,
    ImageRejected,
    InsecureBaseUrl,
    ModelNotFound,
    NetworkError,
    PermissionDenied,
    RateLimited,
    ServerBusy,
    StreamBroken,
    error_from_response,
    error_from_transport,
    server_message,
)
from grokdesk.api.redact import mask_key, redact
from tests.helpers.aio import collect, run, text_of
from tests.helpers.fake_xai import Error, FakeXai, NeverAnswer, StreamError


def image_url(fmt: str, size: tuple[int, int] = (8, 8)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}[fmt]
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode()}"


def with_image(url: str, model: str = "grok-2-vision-1212") -> dict[str, Any]:
    parts = [
        {"type": "image_url", "image_url": {"url": url, "detail": "high"}},
        {"type": "text", "text": "What is this?"},
    ]
    return {"model": model, "messages": [{"role": "user", "content": parts}]}


def chat(text: str = "hi", model: str = "grok-3", system: str | None = None) -> dict[str, Any]:
    messages = [] if system is None else [{"role": "system", "content": system}]
    return {"model": model, "messages": [*messages, {"role": "user", "content": text}]}


async def _no_sleep(_seconds: float) -> None:
    return None


def send(fake: FakeXai, body: dict[str, Any], key: str | None = "", **options: Any) -> tuple[list[Any], Any]:
    """Stream `body`; `key` "" means the fake's own key."""
    options.setdefault("sleep", _no_sleep)
    options.setdefault("max_retries", 0)

    async def go() -> tuple[list[Any], Any]:
        async with XaiClient(fake.base_url, fake.api_key if key == "" else key, **options) as client:
            return await collect(client.stream_chat(body))

    return run(go())


def test_a_wrong_key_is_an_auth_error_without_the_key(fake_xai: FakeXai) -> None:
    wrong = "xai-WRONGwrongWRONGwrong1234567890yz"
    events, error = send(fake_xai, chat(), key=wrong)
    assert events == []
    assert isinstance(error, AuthError)
    assert error.status == 400
    assert str(error) == "Your API key was rejected. Open Settings to replace it."
    assert "xa***yz" in error.detail
    assert wrong not in repr(error) + str(error) + error.detail


def test_no_key_is_an_auth_error_that_says_so(fake_xai: FakeXai) -> None:
    _events, error = send(fake_xai, chat(), key=None)
    assert isinstance(error, AuthError)
    assert error.status == 401
    assert "No API key" in str(error)
    assert "authorization" not in fake_xai.last_request.headers


def test_an_unknown_model_names_the_model(fake_xai: FakeXai) -> None:
    _events, error = send(fake_xai, chat(model="grok-1-retired"))
    assert isinstance(error, ModelNotFound)
    assert error.model == "grok-1-retired"
    assert "“grok-1-retired”" in str(error) and "Pick another model" in str(error)


def test_an_image_generation_model_is_not_a_chat_model(fake_xai: FakeXai) -> None:
    _events, error = send(fake_xai, chat(model="grok-2-image-1212"))
    assert isinstance(error, ModelNotFound)


@pytest.mark.parametrize(
    "body",
    [chat(text=""), chat(system=""), chat(text="", system="Be brief.")],
    ids=["empty user message", "empty system prompt", "empty user message after a system prompt"],
)
def test_an_empty_message_is_refused(fake_xai: FakeXai, body: dict[str, Any]) -> None:
    _events, error = send(fake_xai, body)
    assert isinstance(error, BadRequest)
    assert "empty message" in str(error)
    assert fake_xai.count() == 1


def test_an_image_sent_to_a_text_only_model(fake_xai: FakeXai) -> None:
    _events, error = send(fake_xai, with_image(image_url("PNG"), model="grok-3"))
    assert isinstance(error, ImageRejected)
    assert str(error).startswith("This model cannot read images.")


def test_a_gif_is_rejected_as_not_jpeg_or_png(fake_xai: FakeXai) -> None:
    _events, error = send(fake_xai, with_image(image_url("GIF")))
    assert isinstance(error, ImageRejected)
    assert "valid JPG or PNG" in error.detail


def test_undecodable_image_data_is_rejected(fake_xai: FakeXai) -> None:
    _events, error = send(fake_xai, with_image("data:image/png;base64,@@not-base64@@"))
    assert isinstance(error, ImageRejected)
    assert "cannot be decoded" in error.detail


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_png_and_jpeg_reach_a_vision_model(fake_xai: FakeXai, fmt: str) -> None:
    events, error = send(fake_xai, with_image(image_url(fmt)))
    assert error is None
    assert text_of(events) == "Echo: What is this? [1 image]"


def test_a_prompt_over_the_limit_reports_both_numbers(fake_xai: FakeXai) -> None:
    fake_xai.prompt_limits["grok-3"] = 10
    _events, error = send(fake_xai, chat(" ".join(["word"] * 25)))
    assert isinstance(error, ContextTooLong)
    assert (error.limit, error.requested) == (10, 25)
    assert "at most 10 tokens" in str(error) and "25" in str(error)


@pytest.mark.parametrize(
    ("script", "kind", "words"),
    [
        (Error(403), PermissionDenied, "credits"),
        (
            Error(403, {"code": "permission-denied", "error": "The API key is blocked."}),
            PermissionDenied,
            "not allowed",
        ),
        (Error(429), RateLimited, "Too many requests"),
        (
            Error(
                429,
                {"code": 429, "error": "You ran out of credits. [WKE=personal-team-blocked:spending-limit]"},
            ),
            RateLimited,
            "no credits left",
        ),
        (Error(500), ServerBusy, "busy"),
        (Error(502), ServerBusy, "HTTP 502"),
        (Error(503), ServerBusy, "busy"),
        (Error(504), ServerBusy, "HTTP 504"),
        (
            Error(410, {"error": "Live search is deprecated. Please switch to the Agent Tools API."}),
            BadRequest,
            "no longer offers",
        ),
        (
            Error(
                412,
                {
                    "code": "The system is not in a state required for the operation's execution",
                    "error": "Downloaded response does not contain a valid JPG or PNG image.",
                },
            ),
            ImageRejected,
            "could not read an image",
        ),
        (Error(413, "Entity too large"), BadRequest, "too large"),
        (
            Error(
                400,
                {
                    "code": "Client specified an invalid argument",
                    "error": "Argument not supported on this model: reasoning_effort",
                },
            ),
            BadRequest,
            "reasoning_effort",
        ),
    ],
)
def test_scripted_errors_map_to_their_types(fake_xai: FakeXai, script: Error, kind: type, words: str) -> None:
    fake_xai.script_next(script)
    _events, error = send(fake_xai, chat())
    assert type(error) is kind
    assert error.status == script.status
    assert words in str(error)
    assert "[WKE=" not in str(error) + error.detail
    assert "<html>" not in str(error)


def test_retry_after_is_read_from_the_header(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(429, retry_after=7))
    _events, error = send(fake_xai, chat())
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0
    assert "wait 7 seconds" in str(error)


def test_a_closed_port_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there

    async def go() -> Any:
        async with XaiClient(f"http://127.0.0.1:{port}/v1", "xai-k", max_retries=0) as client:
            return await collect(client.stream_chat(chat()))

    _events, error = run(go())
    assert isinstance(error, NetworkError)
    assert "Could not connect to 127.0.0.1" in str(error)


def test_a_server_that_never_answers_times_out_as_a_network_error(fake_xai: FakeXai) -> None:
    fake_xai.script_next(NeverAnswer())
    _events, error = send(fake_xai, chat(), first_token_timeout=0.3, max_retries=3)
    assert isinstance(error, NetworkError)
    assert "did not answer in time" in str(error)
    assert fake_xai.count() == 1  # the whole allowance was waited: not retried


def test_an_error_inside_the_stream_before_any_text(fake_xai: FakeXai) -> None:
    fake_xai.script_next(StreamError(after_chunks=0, body={"code": "internal", "error": "Model crashed"}))
    events, error = send(fake_xai, chat())
    assert isinstance(error, StreamBroken)
    assert events == []
    assert "Model crashed" in str(error)


# -- body shapes ----------------------------------------------------------------------

KEY = "xai-SECRETsecretSECRETsecret0987654321ab"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"code":"Client specified an invalid argument","error":"Bad thing."}', "Bad thing."),
        ('{"code":"not-found","error":"Gone."}', "Gone."),
        ('{"error":"Only error."}', "Only error."),
        (
            '{"error":{"code":404,"message":"The requested resource was not found."}}',
            "The requested resource was not found.",
        ),
        ('{"code":"400","error":"Argument not supported: size"}', "Argument not supported: size"),
        (
            '{"code":429,"error":"You ran out of credits. [WKE=personal-team-blocked:spending-limit]"}',
            "You ran out of credits.",
        ),
        (
            '{"code":"invalid-argument","error":"code: \'Client specified an invalid argument\', '
            'message: \\"Invalid PNG image.\\""}',
            "Invalid PNG image.",
        ),
        ("Incorrect%20API%20key%20provided:%20ba***na.", "Incorrect API key provided: ba***na."),
        ("<html>502 Bad Gateway</html>", "<html>502 Bad Gateway</html>"),
    ],
    ids=[
        "flat",
        "kebab",
        "only error",
        "nested",
        "string code",
        "numeric code + WKE",
        "nested old form",
        "url-encoded",
        "html",
    ],
)
def test_every_body_shape_gives_the_human_message(body: str, expected: str) -> None:
    assert server_message(body)[1] == expected


def test_the_url_encoded_bad_key_text_is_an_auth_error() -> None:
    body = '{"code":"Client specified an invalid argument","error":"Incorrect%20API%20key%20provided:%20ba***na."}'
    assert isinstance(error_from_response(400, body), AuthError)


def test_a_404_that_is_not_about_a_model_points_at_the_server_address() -> None:
    error = error_from_response(
        404, '{"code":"Some requested entity was not found","error":"No handler found"}'
    )
    assert type(error) is BadRequest
    assert "server address" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "Base64 string of provided image cannot be decoded.",
        "Invalid PNG image.",
        "Invalid JPEG image",
        "Invalid request content: Downloaded response does not contain a valid JPG, PNG, WebP, or ICO image.",
        "Invalid request content: Image inputs are not supported by this model.",
    ],
)
def test_every_image_text_is_an_image_rejection(text: str) -> None:
    assert isinstance(error_from_response(400, json.dumps({"error": text})), ImageRejected)


def test_retry_after_as_an_http_date() -> None:
    error = error_from_response(503, "{}", {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert isinstance(error, ServerBusy)
    assert error.retry_after == 0.0  # a date in the past: retry now


# -- the key never leaks ----------------------------------------------------------------


def test_a_body_quoting_the_key_is_masked_everywhere() -> None:
    body = f'{{"error":"Key {KEY} is not allowed for Bearer {KEY}"}}'
    for status in (400, 401, 403, 404, 429, 500):
        error = error_from_response(status, body, api_key=KEY)
        for text in (str(error), repr(error), error.detail, error.message, str(error.args)):
            assert KEY not in text
    assert mask_key(KEY) in error_from_response(400, body, api_key=KEY).detail


def test_a_transport_error_quoting_the_key_is_masked() -> None:
    request = httpx.Request("GET", f"https://api.x.ai/v1/models?key={KEY}")
    error = error_from_transport(
        httpx.ConnectError(f"failed for {KEY}", request=request), "api.x.ai", api_key=KEY
    )
    assert KEY not in str(error) + repr(error) + error.detail
    assert "xa***ab" in error.detail


def test_unknown_keys_and_bearer_tokens_are_masked_too() -> None:
    assert redact(f"Authorization: Bearer {KEY}") == "Authorization: Bearer ***"
    assert redact(f"sent {KEY} twice {KEY}") == "sent xa***ab twice xa***ab"
    assert mask_key("short") == "***"


def test_the_key_is_in_no_log_line_or_repr(fake_xai: FakeXai, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake_xai.script_next(Error(503), Error(429, retry_after=0))
    key = fake_xai.api_key

    async def go() -> list[str]:
        seen = []
        async with XaiClient(fake_xai.base_url, key, sleep=_no_sleep) as client:
            seen.append(repr(client))
            events, error = await collect(client.stream_chat(chat()))
            assert error is None and text_of(events) == "Echo: hi"
            await client.list_models()
            client.set_api_key("xai-ANOTHERanotherANOTHER1234567890zz")
            _events, error = await collect(client.stream_chat(chat()))
            assert isinstance(error, AuthError)
            seen += [repr(client), repr(error), str(error), error.detail]
        return seen

    texts = run(go())
    logged = [record.getMessage() for record in caplog.records]
    assert any("Bearer" not in line and "***" in line for line in logged)  # requests were logged, masked
    for text in texts + logged:
        assert key not in text
        assert "xai-ANOTHERanotherANOTHER1234567890zz" not in text


# -- base URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.x.ai/v1",
        "http://127.0.0.1:8080/v1",
        "http://127.5.5.5/v1",
        "http://localhost:1/v1",
        "http://[::1]:9/v1",
    ],
)
def test_https_or_loopback_http_is_accepted(url: str) -> None:
    async def go() -> str:
        async with XaiClient(url, "k") as client:
            return client.base_url

    assert run(go()) == url


@pytest.mark.parametrize(
    "url", ["http://api.x.ai/v1", "http://192.168.1.5/v1", "ftp://api.x.ai/v1", "api.x.ai"]
)
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(InsecureBaseUrl) as caught:
        XaiClient(url, "k")
    assert isinstance(caught.value, ApiError)
    assert "https://" in str(caught.value)


def test_tls_to_a_plain_http_server_is_a_network_error_and_not_retried(fake_xai: FakeXai) -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async def go() -> Any:
        url = f"https://127.0.0.1:{fake_xai.port}/v1"
        async with XaiClient(url, fake_xai.api_key, sleep=record) as client:
            return await collect(client.stream_chat(chat()))

    _events, error = run(go())
    assert isinstance(error, NetworkError)
    assert "secure connection" in str(error)
    assert sleeps == []


def test_the_error_and_event_types_do_not_pull_in_httpx() -> None:
    # The window imports these before its first paint; httpx costs ~0.1 s (measured on a cold start).
    code = "import sys, grokdesk.api.errors, grokdesk.api.events; print('httpx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
