"""Model lists, token counts and the key check against the fake server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grokdesk.api.client import KeyInfo, XaiClient
from grokdesk.api.errors import AuthError, ClientClosed, ModelNotFound, PermissionDenied
from grokdesk.api.tokenized import PARSE_UP_TO, count_tokens
from grokdesk.core.models import ModelInfo
from tests.helpers.aio import run
from tests.helpers.fake_xai import Error, FakeXai
from tests.helpers.fake_xai_scripts import tokenize_body, tokenize_json


def call(fake: FakeXai, method: str, *args: Any, key: str | None = None) -> Any:
    async def go() -> Any:
        async with XaiClient(fake.base_url, key or fake.api_key, max_retries=0) as client:
            return await getattr(client, method)(*args)

    return run(go())


def by_id(models: list[ModelInfo]) -> dict[str, ModelInfo]:
    return {m.id: m for m in models}


def test_language_models_give_modalities_aliases_prices_and_windows(fake_xai: FakeXai) -> None:
    models = by_id(call(fake_xai, "list_models"))
    assert set(models) == {"grok-3", "grok-3-mini", "grok-2-vision-1212", "grok-4.3"}
    vision = models["grok-2-vision-1212"]
    assert vision.takes_images and vision.can_chat
    assert vision.aliases == ("grok-2-vision", "grok-2-vision-latest")
    assert vision.context_window == 32768  # from /v1/models (2026 field)
    grok3 = models["grok-3"]
    assert not grok3.takes_images
    assert (grok3.prompt_price, grok3.completion_price, grok3.cached_prompt_price) == (30000, 150000, 7500)
    assert ModelInfo.dollars_per_million(grok3.prompt_price) == 3.0
    assert fake_xai.count("/v1/language-models") == 1


def test_a_server_with_only_v1_models_still_lists_models(fake_xai: FakeXai) -> None:
    fake_xai.disabled_paths.add("/v1/language-models")
    fake_xai.models_style = "2025"  # plain OpenAI shape: id, created, owned_by
    models = by_id(call(fake_xai, "list_models"))
    assert "grok-2-image-1212" in models  # reported faithfully; the caller filters
    assert not models["grok-2-image-1212"].can_chat
    assert models["grok-2-vision-1212"].takes_images  # guessed from the id
    assert models["grok-3"].can_chat and not models["grok-3"].takes_images
    assert models["grok-3"].context_window is None
    assert fake_xai.count("/v1/models") == 1


def test_the_2026_models_fields_fill_the_fallback(fake_xai: FakeXai) -> None:
    fake_xai.disabled_paths.add("/v1/language-models")
    models = by_id(call(fake_xai, "list_models"))
    assert models["grok-4.3"].context_window == 1_000_000
    assert models["grok-3-mini"].aliases == ("grok-3-mini-latest", "grok-3-mini-beta")


def test_windows_are_optional_when_v1_models_fails(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(503), path="/v1/models")
    models = by_id(call(fake_xai, "list_models"))
    assert models["grok-3"].context_window is None
    assert "grok-3" in models


def test_a_bad_key_is_not_hidden_by_the_fallback(fake_xai: FakeXai) -> None:
    with pytest.raises(AuthError):
        call(fake_xai, "list_models", key="xai-nope-nope-nope-nope")
    assert fake_xai.count("/v1/models") == 0


def test_tokenize_counts_token_objects(fake_xai: FakeXai) -> None:
    assert call(fake_xai, "tokenize", "one two three four", "grok-3") == 4
    assert fake_xai.last_request.json == {"text": "one two three four", "model": "grok-3"}
    assert call(fake_xai, "tokenize", "", "grok-3") == 0


def test_tokenize_with_an_unknown_model(fake_xai: FakeXai) -> None:
    with pytest.raises(ModelNotFound):
        call(fake_xai, "tokenize", "hi", "grok-0")


def test_check_key_reports_the_key(fake_xai: FakeXai) -> None:
    info = call(fake_xai, "check_key")
    assert isinstance(info, KeyInfo)
    assert info.redacted_api_key == "xai-..." + fake_xai.api_key[-4:]
    assert info.acls == ("api-key:model:*", "api-key:endpoint:*")
    assert fake_xai.api_key not in repr(info)


@pytest.mark.parametrize("flag", ["api_key_blocked", "api_key_disabled", "team_blocked"])
def test_a_blocked_or_disabled_key_is_permission_denied(fake_xai: FakeXai, flag: str) -> None:
    fake_xai.key_info[flag] = True
    with pytest.raises(PermissionDenied) as caught:
        call(fake_xai, "check_key")
    assert "console.x.ai" in str(caught.value)


def test_check_key_with_a_wrong_key(fake_xai: FakeXai) -> None:
    with pytest.raises(AuthError):
        call(fake_xai, "check_key", key="xai-wrong-wrong-wrong")


def test_a_megabyte_is_counted_exactly_from_the_servers_long_answer(fake_xai: FakeXai) -> None:
    """Its answer (~7 MB of JSON) is counted without being parsed, to the same number."""
    text = " ".join(f"w{i % 50}" * 10 for i in range(40_000))
    body = tokenize_json(text)
    assert len(body) > PARSE_UP_TO
    assert call(fake_xai, "tokenize", text, "grok-3") == len(json.loads(body)["token_ids"]) == 40_000


@pytest.mark.parametrize(
    "body",
    [b"<html>" + b" " * PARSE_UP_TO + b"</html>", b'{"error": "' + b"x" * PARSE_UP_TO + b'"}', b"[1, 2]"],
)
def test_an_answer_that_is_no_token_list_is_refused(body: bytes) -> None:
    assert count_tokens(body) is None


def test_the_fake_servers_fast_answer_is_the_json_of_the_token_list() -> None:
    text = 'Hello world, hello "quoted" \\ world\n  again, ünïcode 🎉'
    assert json.loads(tokenize_json(text)) == tokenize_body(text)


def test_a_request_after_the_client_closed_says_so_and_sends_nothing(fake_xai: FakeXai) -> None:
    """At quit the connections close before the last reads are cancelled; a read that
    asks again meanwhile gets an API error, not httpx's RuntimeError."""

    async def go() -> None:
        client = XaiClient(fake_xai.base_url, fake_xai.api_key, max_retries=0)
        await client.aclose()
        await client.aclose()  # twice: nothing more happens
        with pytest.raises(ClientClosed):
            await client.tokenize("one two", "grok-3")

    run(go())
    assert fake_xai.count("/v1/tokenize-text") == 0
