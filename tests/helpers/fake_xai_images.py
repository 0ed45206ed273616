"""The fake server's image endpoints: `/v1/image-generation-models`, `/v1/images/generations`
and `/v1/images/edits`, with xAI's field rules (no `size`, `n` from 1 to 10, known aspect
ratios, at most five edit sources; `quality` and the 21:9 and 5:2 ratios only on Grok Imagine
Image 2.0) and temporary image URLs that work for one fetch only."""

from __future__ import annotations

import base64
import io
import itertools
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image

INVALID = "Client specified an invalid argument"
MODELS_PATH = "/v1/image-generation-models"
GENERATE_PATH = "/v1/images/generations"
EDIT_PATH = "/v1/images/edits"
TEMP_PREFIX = "/imgen/"
ASPECT_RATIOS = {
    "auto": (1, 1),
    "1:1": (1, 1),
    "3:4": (3, 4),
    "4:3": (4, 3),
    "9:16": (9, 16),
    "16:9": (16, 9),
    "2:3": (2, 3),
    "3:2": (3, 2),
    "9:19.5": (9, 19.5),
    "19.5:9": (19.5, 9),
    "9:20": (9, 20),
    "20:9": (20, 9),
    "1:2": (1, 2),
    "2:1": (2, 1),
}
# Taken by grok-imagine-image-2.0 only.
WIDE_ASPECT_RATIOS = {"21:9": (21, 9), "5:2": (5, 2)}
QUALITIES = ("low", "medium", "auto")
SECOND_GENERATION = "grok-imagine-image-2.0"
# A third-party fixture's body for a rejected image: billed all the same.
MODERATION_TICKS = 500_000_000
MODERATION_BODY = {
    "code": INVALID,
    "error": "Generated image rejected by content moderation.",
    "usage": {"cost_in_usd_ticks": MODERATION_TICKS},
}


@dataclass
class ImageReply:
    """How the next image request is answered. `revised_prompt` None: the prompt plus a
    few words, as xAI's rewriting does; "" for none. `as_url`: URLs even when base64 was
    asked. `withheld`: that many images marked `respect_moderation: false`."""

    revised_prompt: str | None = None
    as_url: bool = False
    withheld: int = 0


def refusal(message: str) -> dict[str, Any]:
    return {"code": INVALID, "error": message}


def make_image(index: int, aspect: str, mime: str = "image/jpeg") -> bytes:
    """A small real picture, a different colour for each index."""
    w, h = (ASPECT_RATIOS | WIDE_ASPECT_RATIOS).get(aspect, (1, 1))
    scale = 48 / max(w, h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    colour = ((index * 67) % 256, (index * 131 + 40) % 256, (index * 29 + 90) % 256)
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG" if mime == "image/png" else "JPEG", quality=90)
    return out.getvalue()


class ImageEndpoints:
    """State of the image routes: the temporary links not fetched yet, and a counter
    so every generated picture differs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._temp: dict[str, bytes] = {}
        self._counter = itertools.count(1)
        self.fetched: list[str] = []  # temporary paths asked for, served or not

    def fetch_temp(self, path: str) -> bytes | None:
        """The bytes behind a temporary link, once; None afterwards (expired)."""
        with self._lock:
            self.fetched.append(path)
            return self._temp.pop(path, None)

    def check(
        self, path: str, body: Any, model_inputs: list[str] | None, model_id: str = ""
    ) -> dict[str, Any] | None:
        """The 400 body for a request xAI would refuse, or None. `model_inputs` None:
        the model is unknown (answered 404 by the caller)."""
        if not isinstance(body, dict):
            return refusal("Bad JSON.")
        for name in ("size", "style", "quality_level"):
            if name in body:
                return refusal(f"Argument not supported: {name}")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return refusal("A prompt is required.")
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
            return refusal(f"n must be between 1 and 10, got {n}.")
        second_generation = model_id == SECOND_GENERATION
        ratios = ASPECT_RATIOS | WIDE_ASPECT_RATIOS if second_generation else ASPECT_RATIOS
        if body.get("aspect_ratio", "auto") not in ratios:
            return refusal(f"Unsupported aspect ratio: {body.get('aspect_ratio')}.")
        if "quality" in body and not second_generation:
            return refusal("Argument not supported: quality")
        if body.get("quality", "auto") not in QUALITIES:
            return refusal(f"Unsupported quality: {body.get('quality')}.")
        if body.get("resolution", "1k") not in ("1k", "2k"):
            return refusal(f"Unsupported resolution: {body.get('resolution')}.")
        if body.get("response_format", "url") not in ("url", "b64_json"):
            return refusal("response_format must be url or b64_json.")
        if path == EDIT_PATH:
            return self._check_sources(body, model_inputs or [])
        if "image" in body or "images" in body:
            return refusal("Argument not supported: image")
        return None

    @staticmethod
    def _check_sources(body: dict[str, Any], inputs: list[str]) -> dict[str, Any] | None:
        if "image" not in inputs:
            return refusal("This model does not support image editing.")
        sources = body.get("images") if "images" in body else [body.get("image")]
        if not isinstance(sources, list) or not sources:
            return refusal("An image to edit is required.")
        if len(sources) > 5:
            return refusal(f"At most 5 images can be edited at once, but {len(sources)} were provided.")
        for source in sources:
            url = source.get("url") if isinstance(source, dict) else None
            if not isinstance(url, str) or not url.startswith(("data:image/", "https://")):
                return refusal("Each image must have a url.")
            if url.startswith("data:"):
                try:
                    data = base64.b64decode(url.partition(",")[2], validate=True)
                except ValueError:
                    return refusal("Base64 string of provided image cannot be decoded.")
                if not data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
                    return refusal("Unsupported image format: only JPEG and PNG are supported.")
        return None

    def answer(
        self, body: dict[str, Any], price_ticks: int, root_url: str, script: ImageReply | None
    ) -> dict[str, Any]:
        reply = script or ImageReply()
        n = int(body.get("n", 1))
        aspect = str(body.get("aspect_ratio", "auto"))
        as_url = reply.as_url or body.get("response_format", "url") == "url"
        revised = reply.revised_prompt
        if revised is None:
            revised = f"{body['prompt']}, highly detailed, soft light"
        data = []
        for index in range(n):
            image = make_image(next(self._counter), aspect)
            item: dict[str, Any] = {"mime_type": "image/jpeg"}
            if as_url:
                path = f"{TEMP_PREFIX}{secrets.token_hex(8)}.jpg"
                with self._lock:
                    self._temp[path] = image
                item["url"] = root_url + path
            else:
                item["b64_json"] = base64.b64encode(image).decode("ascii")
            if revised:
                item["revised_prompt"] = revised
            if index < reply.withheld:
                item["respect_moderation"] = False
            data.append(item)
        return {"data": data, "usage": {"cost_in_usd_ticks": price_ticks * n}}


def image_model_entry(
    model_id: str, aliases: list[str], inputs: list[str], cents: float, created: int
) -> dict[str, Any]:
    """A `/v1/image-generation-models` entry (the schema's required fields; price in US cents per image)."""
    return {
        "id": model_id,
        "fingerprint": "fp_fake0001",
        "max_prompt_length": 1024,
        "created": created,
        "object": "model",
        "owned_by": "xai",
        "version": "1.0.0",
        "input_modalities": list(inputs),
        "output_modalities": ["image"],
        "image_price": cents,
        "aliases": list(aliases),
    }
