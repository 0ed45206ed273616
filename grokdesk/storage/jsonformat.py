"""The GrokDesk JSON export format, version 2 (documented in FORMAT.md beside this file).

`encode` and `decode` are exact inverses: every field of every conversation, every
version of every message and every image survives a round trip. `decode` refuses a
malformed document with a `ValueError` naming what is wrong. Version 1 files (one
branch, messages in order, no versions) still import.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Iterable, Mapping
from typing import Any

from grokdesk.core import versions
from grokdesk.core.conversation import Conversation, Message, MessageState, Role
from grokdesk.storage import codec

FORMAT_NAME = "grokdesk"
FORMAT_VERSION = 2


def encode(conversations: Iterable[Conversation], *, exported_at: float | None = None) -> dict[str, Any]:
    images: dict[str, dict[str, Any]] = {}
    items = []
    for conv in conversations:
        messages = []
        versions.sync(conv)
        shown = {m.id for m in conv.messages} | set(conv.versions.chosen.values())
        for message in versions.all_messages(conv):
            for image in message.images:
                images.setdefault(
                    image.sha256,
                    {
                        "mime": image.mime,
                        "width": image.width,
                        "height": image.height,
                        "data": base64.b64encode(image.data).decode("ascii"),
                    },
                )
            messages.append(
                {
                    "id": message.id,
                    "parent": versions.parent_of(conv, message.id),
                    "selected": message.id in shown,
                    "role": message.role.value,
                    "created_at": message.created_at,
                    "model": message.model,
                    "state": message.state.value,
                    "finish_reason": message.finish_reason,
                    "usage": codec.encode_usage(message.usage),
                    "error": message.error,
                    "reasoning": message.reasoning,
                    "parts": codec.encode_parts(message.parts),
                    "tools": codec.encode_tools(message.tools),
                    "sources": codec.encode_sources(message.sources),
                    "provider_items": message.provider_items,
                }
            )
        items.append(
            {
                "id": conv.id,
                "title": conv.title,
                "model": conv.model,
                "created_at": conv.created_at,
                "updated_at": conv.updated_at,
                "pinned": conv.pinned,
                "settings": codec.encode_settings(conv.settings),
                "messages": messages,
            }
        )
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": time.time() if exported_at is None else exported_at,
        "conversations": items,
        "images": images,
    }


def is_grokdesk(document: object) -> bool:
    return isinstance(document, Mapping) and document.get("format") == FORMAT_NAME


def decode(document: object) -> list[Conversation]:
    """The conversations of a GrokDesk export. Raises ValueError with the reason when it is malformed."""
    if not is_grokdesk(document):
        raise ValueError('this is not a GrokDesk export (no "format": "grokdesk")')
    assert isinstance(document, Mapping)
    version = document.get("version")
    if not isinstance(version, int):
        raise ValueError('"version" must be a number')
    if version > FORMAT_VERSION:
        raise ValueError(f"it was written by a newer GrokDesk (format version {version}); update GrokDesk")
    images = _images(document.get("images", {}))
    conversations = document.get("conversations")
    if not isinstance(conversations, list):
        raise ValueError('"conversations" must be a list')
    result = []
    for index, item in enumerate(conversations, 1):
        try:
            result.append(_conversation(item, images, version))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"conversation {index}: {exc}") from exc
    return result


def _images(value: object) -> dict[str, codec.ImageInfo]:
    if not isinstance(value, Mapping):
        raise ValueError('"images" must be an object keyed by SHA-256')
    images = {}
    for sha, item in value.items():
        if not isinstance(item, Mapping):
            raise ValueError(f"image {str(sha)[:12]} must be an object")
        try:
            data = base64.b64decode(_get(item, "data", str), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"image {str(sha)[:12]} is not valid base64") from exc
        if hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"image {str(sha)[:12]} is damaged (its bytes do not match its SHA-256)")
        images[sha] = codec.ImageInfo(
            _get(item, "mime", str), _get(item, "width", int), _get(item, "height", int), data
        )
    return images


def _conversation(item: object, images: dict[str, codec.ImageInfo], version: int) -> Conversation:
    if not isinstance(item, Mapping):
        raise ValueError("must be an object")
    messages = item.get("messages")
    if not isinstance(messages, list):
        raise ValueError('"messages" must be a list')
    decoded = [_message(m, images) for m in messages]
    conv = Conversation(
        id=_get(item, "id", str),
        title=_get(item, "title", str),
        model=str(item.get("model") or ""),
        created_at=_number(item, "created_at"),
        updated_at=_number(item, "updated_at"),
        pinned=bool(item.get("pinned", False)),
        settings=codec.decode_settings(item.get("settings")),
    )
    if version < 2:
        # One branch: each message follows the one before it.
        conv.messages = decoded
        versions.sync(conv)
        return conv
    parents = [_optional_str(m, "parent") for m in messages]
    chosen = [
        m.id for m, raw in zip(decoded, messages, strict=True) if raw.get("selected", True) is not False
    ]
    versions.assemble(conv, list(zip(decoded, parents, strict=True)), chosen)
    return conv


def _message(item: object, images: dict[str, codec.ImageInfo]) -> Message:
    if not isinstance(item, Mapping):
        raise ValueError("a message must be an object")
    role = _get(item, "role", str)
    if role not in Role.__members__.values():
        raise ValueError(f"unknown role {role!r}")
    state = MessageState(item.get("state") or MessageState.COMPLETE)
    if state is MessageState.STREAMING:
        state = MessageState.INTERRUPTED  # nothing streams any more in a file
    return Message(
        id=_get(item, "id", str),
        role=Role(role),
        parts=codec.decode_parts(item.get("parts", []), images.get),
        created_at=_number(item, "created_at"),
        model=_optional_str(item, "model"),
        state=state,
        finish_reason=_optional_str(item, "finish_reason"),
        usage=codec.decode_usage(item.get("usage")),
        error=_optional_str(item, "error"),
        reasoning=str(item.get("reasoning") or ""),
        tools=codec.decode_tools(item.get("tools")),
        sources=codec.decode_sources(item.get("sources")),
        provider_items=codec.decode_provider_items(item.get("provider_items")),
    )


def _get(item: Mapping[str, Any], key: str, kind: type[Any]) -> Any:
    value = item.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f'"{key}" is missing or not a {kind.__name__}')
    return value


def _number(item: Mapping[str, Any], key: str) -> float:
    value = item.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f'"{key}" is missing or not a number')
    return float(value)


def _optional_str(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None
