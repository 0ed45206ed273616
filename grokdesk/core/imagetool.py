"""Images a chat model makes mid-reply with the Responses API's `image_generation` tool.

The request carries `{"type": "image_generation"}` in `tools`. In the stream the
call shows up as an `image_generation_call` item: `response.output_item.added`
(status in_progress, no result), progress events
(`response.image_generation_call.in_progress|generating|completed`), then
`response.output_item.done` with the base64 `result` and the `prompt` the model
wrote; `response.completed` repeats every item. Each image is reported once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from grokdesk.core.conversation import Part
from grokdesk.core.imagegen import GeneratedImage, image_file_name, image_part

IMAGE_TOOL: dict[str, object] = {"type": "image_generation"}
CALL_TYPE = "image_generation_call"


@dataclass(frozen=True, slots=True)
class ToolImage:
    """One image the tool made: its bytes and the prompt the model gave the tool."""

    item_id: str
    data: bytes = field(repr=False)
    prompt: str = ""

    def as_generated(self) -> GeneratedImage:
        mime = "image/png" if self.data.startswith(b"\x89PNG\r\n\x1a\n") else "image/jpeg"
        return GeneratedImage(self.data, mime, self.prompt)


@dataclass(frozen=True, slots=True)
class ToolProgress:
    """The tool started (or moved on) making an image: for a line like "Making an image…"."""

    item_id: str
    status: str  # "in_progress", "generating", "completed"


def image_from_item(item: Mapping[str, object]) -> ToolImage | None:
    """The image of a finished `image_generation_call` item; None for any other item,
    one still running, or one whose result cannot be decoded."""
    if item.get("type") != CALL_TYPE:
        return None
    result, item_id = item.get("result"), item.get("id")
    if not isinstance(result, str) or not result or not isinstance(item_id, str):
        return None
    try:
        data = base64.b64decode(result, validate=True)
    except (binascii.Error, ValueError):
        return None
    prompt = item.get("prompt")
    return ToolImage(item_id, data, prompt if isinstance(prompt, str) else "")


class ImageToolReader:
    """Feed it every event of a Responses stream; it returns what concerns images."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self.images: list[ToolImage] = []

    def feed(self, event: Mapping[str, object]) -> list[ToolImage | ToolProgress]:
        kind = event.get("type")
        found: list[ToolImage | ToolProgress] = []
        if isinstance(kind, str) and kind.startswith("response.image_generation_call."):
            item_id = event.get("item_id")
            if isinstance(item_id, str):
                found.append(ToolProgress(item_id, kind.rsplit(".", 1)[1]))
        elif kind == "response.output_item.added":
            item = event.get("item")
            if (
                isinstance(item, Mapping)
                and item.get("type") == CALL_TYPE
                and isinstance(item.get("id"), str)
            ):
                found.append(ToolProgress(str(item["id"]), "in_progress"))
        elif kind == "response.output_item.done":
            item = event.get("item")
            if isinstance(item, Mapping):
                found += self._take([item])
        elif kind in ("response.completed", "response.incomplete"):
            response = event.get("response")
            output = response.get("output") if isinstance(response, Mapping) else None
            if isinstance(output, list):
                found += self._take(i for i in output if isinstance(i, Mapping))
        return found

    def _take(self, items: Iterable[Mapping[str, object]]) -> list[ToolImage | ToolProgress]:
        taken: list[ToolImage | ToolProgress] = []
        for item in items:
            image = image_from_item(item)
            if image is not None and image.item_id not in self._seen:
                self._seen.add(image.item_id)
                self.images.append(image)
                taken.append(image)
        return taken


def images_in_response(response: Mapping[str, object]) -> list[ToolImage]:
    """The images of a whole (not streamed) Responses answer."""
    reader = ImageToolReader()
    reader.feed({"type": "response.completed", "response": response})
    return reader.images


def tool_image_parts(images: list[ToolImage], first: int = 0) -> list[Part]:
    """The images as parts of the reply, kept like images from an image model; `first`:
    how many the reply already holds (for their names)."""
    parts: list[Part] = []
    for index, image in enumerate(images):
        generated = image.as_generated()
        name = image_file_name(image.prompt or "image", first + index, generated.mime)
        parts.append(image_part(generated, name))
    return parts
