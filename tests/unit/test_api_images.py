"""Grok Imagine over REST against the fake server: models, generation, edits, errors."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from grokdesk.api.client import XaiClient
from grokdesk.api.errors import ApiError, BadAnswer, BadRequest, ImageModerated, ModelNotFound, RateLimited
from grokdesk.api.images import edit_images, generate_images, list_image_models
from grokdesk.core.imagegen import (
    ImageOptions,
    ImageResult,
    edit_body,
    generation_body,
    price_ticks_from,
    reply_parts,
)
from grokdesk.core.images import check_image_bytes
from tests.helpers.aio import run
from tests.helpers.fake_xai import Error, FakeXai, ImageReply
from tests.helpers.fake_xai_images import (
    EDIT_PATH,
    GENERATE_PATH,
    MODERATION_BODY,
    MODERATION_TICKS,
    make_image,
)


def call(fake: FakeXai, work: Callable[[XaiClient], Awaitable[Any]], **options: Any) -> Any:
    async def go() -> Any:
        async with XaiClient(fake.base_url, fake.api_key, **{"max_retries": 0, **options}) as client:
            return await work(client)

    return run(go())


def generate(fake: FakeXai, body: dict[str, Any], **options: Any) -> ImageResult:
    return call(fake, lambda client: generate_images(client, body), **options)  # type: ignore[no-any-return]


def test_image_models_are_listed_with_their_price_per_image(fake_xai: FakeXai) -> None:
    models = {m.id: m for m in call(fake_xai, list_image_models)}
    assert set(models) == {"grok-imagine-image", "grok-2-image-1212"}
    imagine = models["grok-imagine-image"]
    assert imagine.price_ticks == 200_000_000  # 2 US cents = $0.02 = 2e8 ticks
    assert imagine.edits_images and not models["grok-2-image-1212"].edits_images


def test_a_server_without_image_models_lists_none(fake_xai: FakeXai) -> None:
    fake_xai.disabled_paths.add("/v1/image-generation-models")
    assert call(fake_xai, list_image_models) == []


def test_price_is_read_in_cents_or_in_ticks() -> None:
    assert price_ticks_from(2) == 200_000_000
    assert price_ticks_from(7) == 700_000_000
    assert price_ticks_from(200_000_000) == 200_000_000  # too large for cents: already ticks
    assert price_ticks_from(None) is None and price_ticks_from(True) is None


def test_generation_asks_for_base64_and_never_for_a_size(fake_xai: FakeXai) -> None:
    body = generation_body("grok-imagine-image", "a lighthouse at dawn", ImageOptions(4, "16:9", "2k"))
    result = generate(fake_xai, body)
    sent = fake_xai.requests_to(GENERATE_PATH)[-1].json
    assert sent == {
        "model": "grok-imagine-image",
        "prompt": "a lighthouse at dawn",
        "n": 4,
        "response_format": "b64_json",
        "resolution": "2k",
        "aspect_ratio": "16:9",
    }
    assert len(result.images) == 4
    assert result.cost_ticks == 4 * 200_000_000
    assert len({hashlib.sha256(i.data).hexdigest() for i in result.images}) == 4
    assert all(check_image_bytes(i.data, "x").mime == "image/jpeg" for i in result.images)
    assert result.images[0].revised_prompt.startswith("a lighthouse at dawn")


def test_options_the_api_refuses_are_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="between 1 and 10"):
        generation_body("m", "p", ImageOptions(n=11))
    with pytest.raises(ValueError, match="aspect ratio"):
        generation_body("m", "p", ImageOptions(aspect_ratio="5:4"))
    assert "aspect_ratio" not in generation_body("m", "p", ImageOptions())  # auto: the model decides


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"size": "1024x1024"}, "Argument not supported: size"),
        ({"n": 11}, "n must be between 1 and 10"),
        ({"n": 0}, "n must be between 1 and 10"),
        ({"aspect_ratio": "5:4"}, "Unsupported aspect ratio"),
    ],
)
def test_the_fake_server_refuses_what_xai_refuses(
    fake_xai: FakeXai, extra: dict[str, Any], said: str
) -> None:
    body = {"model": "grok-imagine-image", "prompt": "p", **extra}
    with pytest.raises(BadRequest) as caught:
        generate(fake_xai, body)
    assert said in caught.value.detail


def test_urls_are_downloaded_at_once_and_work_only_once(fake_xai: FakeXai) -> None:
    fake_xai.script_next(ImageReply(as_url=True), path=GENERATE_PATH)
    result = generate(fake_xai, generation_body("grok-imagine-image", "p", ImageOptions(2)))
    assert len(result.images) == 2 and all(i.data.startswith(b"\xff\xd8\xff") for i in result.images)
    fetched = list(fake_xai.images.fetched)
    assert len(fetched) == 2

    # A second fetch of a temporary link fails, as xAI's expire.
    async def again(client: XaiClient) -> bytes:
        return await client.download(fake_xai.root_url + fetched[0])

    with pytest.raises(BadAnswer, match="temporary link"):
        call(fake_xai, again)


def test_an_edit_sends_json_with_its_sources_as_data_urls(fake_xai: FakeXai) -> None:
    sources = [check_image_bytes(make_image(i, "1:1", "image/png"), f"s{i}.png") for i in range(2)]
    body = edit_body("grok-imagine-image", "put <IMAGE_0> inside <IMAGE_1>", sources, ImageOptions())
    result = call(fake_xai, lambda client: edit_images(client, body))
    request = fake_xai.requests_to(EDIT_PATH)[-1]
    assert request.headers["content-type"].startswith("application/json")
    refs = request.json["images"]
    assert [r["type"] for r in refs] == ["image_url", "image_url"]
    assert all(r["url"].startswith("data:image/png;base64,") for r in refs)
    assert len(result.images) == 1
    single = edit_body("grok-imagine-image", "night", sources[:1], ImageOptions(aspect_ratio="16:9"))
    assert "image" in single and "images" not in single and "aspect_ratio" not in single
    with pytest.raises(ValueError, match="1 to 5"):
        edit_body("grok-imagine-image", "p", sources * 3, ImageOptions())


def test_moderation_says_it_was_billed(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(400, MODERATION_BODY), path=GENERATE_PATH)
    with pytest.raises(ImageModerated) as caught:
        generate(fake_xai, generation_body("grok-imagine-image", "p", ImageOptions()))
    error = caught.value
    assert error.cost_ticks == MODERATION_TICKS
    assert "content moderation" in error.message and "charged" in error.message and "$0.05" in error.message


def test_withheld_images_are_counted_not_shown(fake_xai: FakeXai) -> None:
    fake_xai.script_next(ImageReply(withheld=1, revised_prompt=""), path=GENERATE_PATH)
    result = generate(fake_xai, generation_body("grok-imagine-image", "p", ImageOptions(3)))
    assert len(result.images) == 2 and result.withheld == 1
    texts = [getattr(p, "text", "") for p in reply_parts(result, "p")]
    assert "1 image was withheld by xAI's content moderation." in texts


def test_rate_limit_is_retried(fake_xai: FakeXai) -> None:
    fake_xai.script_next(Error(429, retry_after=0), path=GENERATE_PATH)
    result = generate(fake_xai, generation_body("grok-imagine-image", "p", ImageOptions()), max_retries=2)
    assert len(result.images) == 1 and fake_xai.count(GENERATE_PATH) == 2
    fake_xai.script_next(Error(429), Error(429), path=GENERATE_PATH)
    with pytest.raises(RateLimited):
        generate(fake_xai, generation_body("grok-imagine-image", "p", ImageOptions()), max_retries=1)


@pytest.mark.parametrize(("status", "kind"), [(404, ModelNotFound), (403, ApiError)])
def test_a_model_without_access_is_explained(fake_xai: FakeXai, status: int, kind: type[ApiError]) -> None:
    if status == 404:
        body = generation_body("grok-imagine-image-pro", "p", ImageOptions())
    else:
        fake_xai.script_next(Error(403), path=GENERATE_PATH)
        body = generation_body("grok-imagine-image", "p", ImageOptions())
    with pytest.raises(kind) as caught:
        generate(fake_xai, body)
    assert "Pick another model" in caught.value.message or "console.x.ai" in caught.value.message
