"""JSON shapes of message parts, usage and settings, shared by the database and the GrokDesk export format.

A part is `{"type": "text", "text": ...}` or `{"type": "image", "sha256", "name", "detail", "rejected"}`;
an image's bytes, type and size live once per SHA-256 elsewhere (the `images` table, or
the export's `images` map). Decoding is liberal: unknown keys are ignored, missing ones
take the domain defaults.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from grokdesk.core.conversation import ConversationSettings, ImageDetail, ImagePart, Part, TextPart, Usage
from grokdesk.core.sources import Source
from grokdesk.core.tools import SearchFilters, ToolCall

JsonDict = dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class ImageInfo:
    mime: str
    width: int
    height: int
    data: bytes


def encode_parts(parts: list[Part]) -> list[JsonDict]:
    encoded: list[JsonDict] = []
    for part in parts:
        if isinstance(part, TextPart):
            encoded.append({"type": "text", "text": part.text})
        else:
            item: JsonDict = {"type": "image", "sha256": part.sha256, "name": part.name}
            item["detail"] = str(part.detail)
            if part.rejected is not None:
                item["rejected"] = part.rejected
            encoded.append(item)
    return encoded


def decode_parts(items: object, image: Callable[[str], ImageInfo | None]) -> list[Part]:
    """Parts from their JSON list; `image(sha256)` supplies the bytes. Raises ValueError on a bad shape."""
    if not isinstance(items, list):
        raise ValueError("parts must be a list")
    parts: list[Part] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("a part must be an object")
        kind = item.get("type")
        if kind == "text":
            parts.append(TextPart(_str(item, "text")))
        elif kind == "image":
            sha = _str(item, "sha256")
            info = image(sha)
            if info is None:
                raise ValueError(f"image {sha[:12]} is missing")
            detail = item.get("detail", "auto")
            rejected = item.get("rejected")
            parts.append(
                ImagePart(
                    sha256=sha,
                    mime=info.mime,
                    name=str(item.get("name") or ""),
                    width=info.width,
                    height=info.height,
                    data=info.data,
                    detail=ImageDetail(detail)
                    if detail in ImageDetail.__members__.values()
                    else ImageDetail.AUTO,
                    rejected=rejected if isinstance(rejected, str) else None,
                )
            )
        # Unknown part types from a newer version are skipped, not fatal.
    return parts


def plain_text(parts: list[Part]) -> str:
    """The text the search index sees."""
    return "\n".join(p.text for p in parts if isinstance(p, TextPart))


def image_parts(parts: list[Part]) -> list[ImagePart]:
    return [p for p in parts if isinstance(p, ImagePart)]


def encode_usage(usage: Usage | None) -> JsonDict | None:
    return None if usage is None else dataclasses.asdict(usage)


def decode_usage(value: object) -> Usage | None:
    if not isinstance(value, Mapping):
        return None
    known = {f.name for f in dataclasses.fields(Usage)}
    return Usage(**{k: int(v) for k, v in value.items() if k in known and isinstance(v, int | float)})


def encode_settings(settings: ConversationSettings) -> JsonDict:
    return dataclasses.asdict(settings)


def decode_settings(value: object) -> ConversationSettings:
    if not isinstance(value, Mapping):
        return ConversationSettings()
    known = {f.name for f in dataclasses.fields(ConversationSettings)}
    settings = ConversationSettings(**{k: v for k, v in value.items() if k in known and k != "filters"})
    settings.filters = decode_filters(value.get("filters"))
    return settings


def decode_filters(value: object) -> SearchFilters:
    if not isinstance(value, Mapping):
        return SearchFilters()
    filters = SearchFilters()
    for name in ("allowed_domains", "excluded_domains", "allowed_x_handles", "excluded_x_handles"):
        items = value.get(name)
        if isinstance(items, list):
            setattr(filters, name, [i for i in items if isinstance(i, str)])
    for name in ("from_date", "to_date"):
        if isinstance(value.get(name), str):
            setattr(filters, name, value[name])
    return filters


def encode_tools(tools: list[ToolCall]) -> list[JsonDict]:
    return [t.to_json() for t in tools]


def decode_tools(value: object) -> list[ToolCall]:
    items = value if isinstance(value, list) else []
    return [t for t in map(ToolCall.from_json, items) if t is not None]


def encode_sources(sources: list[Source]) -> list[JsonDict]:
    return [s.to_json() for s in sources]


def decode_sources(value: object) -> list[Source]:
    items = value if isinstance(value, list) else []
    return [s for s in map(Source.from_json, items) if s is not None]


def decode_provider_items(value: object) -> list[JsonDict]:
    items = value if isinstance(value, list) else []
    return [dict(i) for i in items if isinstance(i, dict) and isinstance(i.get("type"), str)]


def search_text(tools: list[ToolCall], sources: list[Source]) -> str:
    """What the search index sees of a reply's searches and sources."""
    lines = [t.query for t in tools if t.query]
    lines += [f"{s.title} {s.url}".strip() for s in sources]
    return "\n".join(lines)


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _str(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise ValueError(f"part field {key!r} must be a string")
    return value
