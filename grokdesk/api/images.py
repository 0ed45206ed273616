"""Grok Imagine over REST: the image models, generating and editing images.

Images are asked for as base64 (`response_format: "b64_json"`); should a server
answer with URLs anyway, each is downloaded at once, because the links are
temporary. Failures leave as the types of `errors.py`; a rejection by content
moderation is `ImageModerated`, which carries what the request was billed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from grokdesk.api.errors import BadAnswer, BadRequest
from grokdesk.core.imagegen import GeneratedImage, ImageModel, ImageResult, price_ticks_from

log = logging.getLogger("grokdesk.api.images")

MODELS_PATH = "image-generation-models"
GENERATE_PATH = "images/generations"
EDIT_PATH = "images/edits"


class JsonClient(Protocol):
    """What this module needs of `XaiClient`."""

    async def get_json(self, path: str, *, retries: int | None = None) -> dict[str, Any]: ...

    async def post_json(
        self, path: str, body: Mapping[str, object], *, slow: bool = False
    ) -> dict[str, Any]: ...

    async def download(self, url: str, *, limit: int = ...) -> bytes: ...


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def image_model_from_entry(entry: Mapping[str, object]) -> ImageModel | None:
    """One ImageModel from a `/v1/image-generation-models` entry; None without an id."""
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id:
        return None
    return ImageModel(
        id=model_id,
        aliases=_strings(entry.get("aliases")),
        price_ticks=price_ticks_from(entry.get("image_price")),
        input_modalities=_strings(entry.get("input_modalities")) or ("text",),
        max_prompt_length=_int(entry.get("max_prompt_length")),
        created=_int(entry.get("created")),
    )


async def list_image_models(client: JsonClient) -> list[ImageModel]:
    """The image models the key can use; [] from a server without image generation."""
    try:
        data = await client.get_json(MODELS_PATH, retries=0)
    except (BadRequest, BadAnswer) as error:
        # Plain OpenAI-compatible servers have no such route (404).
        log.info("no image-generation models (%s)", error.status)
        return []
    entries = data.get("models")
    found = (
        (image_model_from_entry(e) for e in entries if isinstance(e, Mapping))
        if isinstance(entries, list)
        else ()
    )
    return [model for model in found if model is not None]


async def generate_images(client: JsonClient, body: Mapping[str, object]) -> ImageResult:
    """POST /v1/images/generations with a body from `core.imagegen.generation_body`."""
    return await read_result(client, await client.post_json(GENERATE_PATH, body, slow=True))


async def edit_images(client: JsonClient, body: Mapping[str, object]) -> ImageResult:
    """POST /v1/images/edits (JSON, never multipart) with a body from `core.imagegen.edit_body`."""
    return await read_result(client, await client.post_json(EDIT_PATH, body, slow=True))


async def read_result(client: JsonClient, answer: Mapping[str, object]) -> ImageResult:
    """The images of an answer (base64 decoded off the event loop, URLs fetched at once)."""
    items = answer.get("data")
    if not isinstance(items, list):
        raise BadAnswer("The server's answer held no images. Try again.")
    images: list[GeneratedImage] = []
    withheld = 0
    for item in items:
        if not isinstance(item, Mapping):
            continue
        if item.get("respect_moderation") is False:
            withheld += 1  # the server marks an image moderation would not let through
            continue
        mime = item.get("mime_type")
        mime = mime if isinstance(mime, str) and mime.startswith("image/") else "image/jpeg"
        revised = item.get("revised_prompt")
        revised = revised if isinstance(revised, str) else ""
        encoded, url = item.get("b64_json"), item.get("url")
        if isinstance(encoded, str) and encoded:
            data = await asyncio.to_thread(_decode, encoded)
        elif isinstance(url, str) and url:
            data = await client.download(url)
        else:
            continue
        images.append(GeneratedImage(data, _sniffed_mime(data, mime), revised))
    usage = answer.get("usage")
    ticks = _int(usage.get("cost_in_usd_ticks")) if isinstance(usage, Mapping) else None
    if not images and not withheld:
        raise BadAnswer("The server's answer held no images. Try again.")
    return ImageResult(images, ticks, withheld)


def _decode(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadAnswer("The server sent an image that could not be decoded. Try again.") from exc


def _sniffed_mime(data: bytes, said: str) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return said
