"""Image generation with Grok Imagine: the models, the request bodies, the results.

`POST /v1/images/generations` takes a prompt, `n` (1-10), `aspect_ratio` and
`resolution`; `size` and `style` are refused by xAI, so they are never sent.
Grok Imagine Image 2.0 and later also take `quality` (low, medium, or auto: the
server's choice) and two wider aspect ratios; older models refuse both.
`POST /v1/images/edits` takes the same plus up to five source images, which the
prompt may name `<IMAGE_0>`, `<IMAGE_1>`... Costs are reported in "ticks":
1 US dollar = 10^10 ticks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from grokdesk.core.conversation import ImagePart, Message, Part, Role, TextPart
from grokdesk.core.images import ImageRefused, check_image_bytes, data_url, header_size

TICKS_PER_USD = 10_000_000_000
MAX_IMAGES = 10
MAX_EDIT_SOURCES = 5
# The aspect ratios every Grok Imagine model takes; "auto" lets the model choose.
ASPECT_RATIOS = (
    "auto",
    "1:1",
    "3:4",
    "4:3",
    "9:16",
    "16:9",
    "2:3",
    "3:2",
    "9:19.5",
    "19.5:9",
    "9:20",
    "20:9",
    "1:2",
    "2:1",
)
# Aspect ratios only Grok Imagine Image 2.0 and later take.
WIDE_ASPECT_RATIOS = ("21:9", "5:2")
RESOLUTIONS = ("1k", "2k")
# "auto" is the server's choice (low for a new image, medium for an edit); it is never sent.
QUALITIES = ("auto", "low", "medium")
# grok-imagine-image-2.0, grok-imagine-image-2: the version that brought `quality`.
_VERSIONED_ID = re.compile(r"grok-imagine-image-(\d+)(?:\.\d+)*$")
# Fields xAI's image endpoints refuse with a 400 ("Argument not supported: size").
REFUSED_FIELDS = frozenset({"size", "style"})
# The image_price field is documented in US cents per image; a value this large
# cannot be cents (it would be $10,000 an image), so it is read as ticks.
_TICKS_THRESHOLD = 1_000_000
# Words in a model id that mark an image-generation model.
_IMAGE_WORDS = frozenset({"image", "imagine"})


@dataclass(frozen=True, slots=True)
class ImageModel:
    """An image-generation model the key can use, as `/v1/image-generation-models` lists it."""

    id: str
    aliases: tuple[str, ...] = ()
    # Price of one generated image in ticks (10^10 per US dollar); None when unknown.
    price_ticks: int | None = None
    input_modalities: tuple[str, ...] = ("text",)
    max_prompt_length: int | None = None
    created: int | None = None
    deprecated: bool = False

    @property
    def edits_images(self) -> bool:
        return "image" in self.input_modalities


def price_ticks_from(value: object) -> int | None:
    """Ticks per image from the API's `image_price` (cents per image, or ticks when huge)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    if value >= _TICKS_THRESHOLD:
        return int(value)
    return round(value * TICKS_PER_USD / 100)


def is_image_model_id(model_id: str) -> bool:
    """Whether an id names an image-generation model (grok-imagine-image, grok-2-image-1212)."""
    words = set(model_id.lower().split("-"))
    return bool(words & _IMAGE_WORDS) and "video" not in words


def is_second_generation(model_id: str) -> bool:
    """Whether a Grok Imagine model takes `quality` and the wide aspect ratios: version 2
    or later, named so in its id (its aliases, such as a "-latest", are resolved first)."""
    match = _VERSIONED_ID.match(model_id.lower())
    return match is not None and int(match.group(1)) >= 2


def aspect_ratios_for(model_id: str) -> tuple[str, ...]:
    """The aspect ratios a model takes, "auto" first."""
    return ASPECT_RATIOS + WIDE_ASPECT_RATIOS if is_second_generation(model_id) else ASPECT_RATIOS


def resolve_image_model(name: str, models: list[ImageModel]) -> ImageModel | None:
    for model in models:
        if model.id == name:
            return model
    return next((m for m in models if name in m.aliases), None)


def nearest_image_model(model_id: str, models: list[ImageModel]) -> ImageModel | None:
    """The replacement for a retired image model: the one sharing most words of its
    name (grok-imagine-image-pro -> grok-imagine-image-quality or -image), then the newest."""
    found = resolve_image_model(model_id, models)
    if found is not None:
        return found
    candidates = [m for m in models if not m.deprecated] or models
    if not candidates:
        return None
    old = set(model_id.lower().split("-"))

    def rank(model: ImageModel) -> tuple[int, int, str]:
        return (len(old & set(model.id.lower().split("-"))), model.created or 0, model.id)

    return max(candidates, key=rank)


# -- requests ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """What the tab's image controls say: how many, which shape, which resolution, which quality."""

    n: int = 1
    aspect_ratio: str = "auto"
    resolution: str = "1k"
    quality: str = "auto"

    def checked(self, model: str) -> ImageOptions:
        """The same options, refused when the API would refuse them for this model."""
        if not 1 <= self.n <= MAX_IMAGES:
            raise ValueError(f"between 1 and {MAX_IMAGES} images can be made at once, not {self.n}")
        if self.aspect_ratio not in aspect_ratios_for(model):
            raise ValueError(f"{model} does not make images of aspect ratio {self.aspect_ratio}")
        if self.resolution not in RESOLUTIONS:
            raise ValueError(f"unknown resolution {self.resolution!r}")
        if self.quality not in QUALITIES:
            raise ValueError(f"unknown quality {self.quality!r}")
        if self.quality != "auto" and not is_second_generation(model):
            raise ValueError(f"{model} has no quality setting; pick Grok Imagine Image 2.0 for one")
        return self


def generation_body(
    model: str, prompt: str, options: ImageOptions, *, canonical: str | None = None
) -> dict[str, object]:
    """The JSON body of POST /v1/images/generations. Images come back as base64 in the
    answer itself: returned URLs are temporary, and a later fetch would fail.
    `canonical`: the model's own id when `model` is an alias, to know what it takes."""
    options = options.checked(canonical or model)
    body: dict[str, object] = {
        "model": model,
        "prompt": prompt,
        "n": options.n,
        "response_format": "b64_json",
        "resolution": options.resolution,
    }
    if options.aspect_ratio != "auto":
        body["aspect_ratio"] = options.aspect_ratio
    if options.quality != "auto":
        body["quality"] = options.quality
    return body


def edit_body(
    model: str, prompt: str, sources: list[ImagePart], options: ImageOptions, *, canonical: str | None = None
) -> dict[str, object]:
    """The JSON body of POST /v1/images/edits: one source as `image`, several as
    `images` (the prompt may name them `<IMAGE_0>`...). A single source gives its own
    aspect ratio, so none is sent then."""
    if not 1 <= len(sources) <= MAX_EDIT_SOURCES:
        raise ValueError(f"an edit takes 1 to {MAX_EDIT_SOURCES} images, not {len(sources)}")
    body = generation_body(model, prompt, options, canonical=canonical)
    refs = [{"url": data_url(part), "type": "image_url"} for part in sources]
    if len(refs) == 1:
        body["image"] = refs[0]
        body.pop("aspect_ratio", None)
    else:
        body["images"] = refs
    return body


# -- results -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    data: bytes = field(repr=False)
    mime: str = "image/jpeg"
    revised_prompt: str = ""


@dataclass(frozen=True, slots=True)
class ImageResult:
    images: list[GeneratedImage]
    # What the request cost, as the server reported it; None when it did not say.
    cost_ticks: int | None = None
    # Images the server withheld after moderation (`respect_moderation: false`).
    withheld: int = 0


def format_ticks(ticks: int) -> str:
    """US dollars from ticks: 200000000 -> "$0.02", 12345600 -> "$0.00123"."""
    usd = ticks / TICKS_PER_USD
    if usd >= 0.01 or usd == 0:
        return f"${usd:.2f}"
    return f"${usd:.5f}".rstrip("0")


def image_file_name(prompt: str, index: int, mime: str) -> str:
    """A readable name for the n-th image of a prompt: "a-lighthouse-at-dawn-1.jpg"."""
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:40].rstrip("-") or "image"
    return f"{slug}-{index + 1}{'.png' if mime == 'image/png' else '.jpg'}"


def image_part(image: GeneratedImage, name: str) -> ImagePart:
    """The generated image as a stored part: checked like an attachment, so it can be
    attached to a later turn; one that fails the check is kept but never sent."""
    try:
        return check_image_bytes(image.data, name)
    except ImageRefused as refusal:
        width, height = header_size(image.data) or (0, 0)
        return ImagePart(
            sha256=hashlib.sha256(image.data).hexdigest(),
            mime=image.mime,
            name=name,
            width=width,
            height=height,
            data=image.data,
            rejected=refusal.reason,
        )


def reply_parts(result: ImageResult, prompt: str) -> list[Part]:
    """The parts of the assistant message that holds the images: the images, then the
    revised prompt when the server rewrote it (one line when all images share it)."""
    parts: list[Part] = [
        image_part(image, image_file_name(prompt, index, image.mime))
        for index, image in enumerate(result.images)
    ]
    revised = [image.revised_prompt for image in result.images if image.revised_prompt]
    distinct = list(dict.fromkeys(revised))
    if len(distinct) == 1:
        parts.append(TextPart(f"Revised prompt: {distinct[0]}"))
    elif distinct:
        lines = [f"{i + 1}. {image.revised_prompt}" for i, image in enumerate(result.images)]
        parts.append(TextPart("Revised prompts:\n\n" + "\n".join(lines)))
    if result.withheld:
        count = "image was" if result.withheld == 1 else "images were"
        parts.append(TextPart(f"{result.withheld} {count} withheld by xAI's content moderation."))
    return parts


def progress_text(count: int, editing: bool) -> str:
    noun = "image" if count == 1 else "images"
    return f"{'Editing' if editing else 'Generating'} {count} {noun}…"


@dataclass(frozen=True, slots=True)
class ImageTurn:
    """What an image request is made of: the prompt and the images to edit (none: generate)."""

    prompt: str
    sources: list[ImagePart]


def image_turn(messages: list[Message]) -> ImageTurn | None:
    """The prompt of the next image request: the last user message's text, and its
    images (up to five, oldest first) as the sources of an edit. None without a prompt,
    or when a system message came after it (that is not a prompt for an image)."""
    for message in reversed(messages):
        if message.role is Role.SYSTEM:
            return None
        if message.role is not Role.USER:
            continue
        prompt = " ".join(p.text.strip() for p in message.parts if isinstance(p, TextPart)).strip()
        if not prompt:
            return None
        sources = [p for p in message.images if p.rejected is None][:MAX_EDIT_SOURCES]
        return ImageTurn(prompt, sources)
    return None
