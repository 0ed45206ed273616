"""Read ChatGPT's data export (`conversations.json`) into GrokDesk conversations.

OpenAI publishes no schema; this follows what public parsers of real exports agree
on (2024-2026). Each conversation keeps its whole message tree (`mapping`): regenerated replies and
edited questions become versions, and the branch shown is the one the user last saw,
from `current_node` up through `parent` links (the newest leaf when that is missing).
Hidden messages, empty system messages and tool plumbing are left out (what follows
them hangs on the nearest message kept); unknown content types are skipped, never
fatal. A shape that cannot be a ChatGPT export raises ValueError with the reason.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from grokdesk.core import versions
from grokdesk.core.conversation import Conversation, ImagePart, Message, MessageState, Part, Role, TextPart

# Finds an exported file's bytes by its file id ("file-XYZ"), or None.
FileLookup = Callable[[str], bytes | None]

_NAMESPACE = uuid.UUID("6f1c8a52-39a5-4c1e-9f57-2f0b3a1d7e44")
_KEPT_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


def looks_like_chatgpt(document: object) -> bool:
    if isinstance(document, Mapping):
        return "mapping" in document
    return isinstance(document, list) and (
        not document or any(isinstance(c, Mapping) and "mapping" in c for c in document[:5])
    )


def parse(document: object, files: FileLookup) -> list[Conversation]:
    """The conversations of a `conversations.json` document (a list, or one conversation)."""
    items = [document] if isinstance(document, Mapping) else document
    if not isinstance(items, list):
        raise ValueError("this is not a ChatGPT export: expected a list of conversations")
    conversations = []
    for index, item in enumerate(items, 1):
        if not isinstance(item, Mapping) or not isinstance(item.get("mapping"), Mapping):
            raise ValueError(f'conversation {index} has no message tree ("mapping")')
        try:
            conversations.append(_conversation(item, files))
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"conversation {index} ({item.get('title')!r}) is malformed: {exc}") from exc
    return conversations


def _conversation(item: Mapping[str, Any], files: FileLookup) -> Conversation:
    mapping: Mapping[str, Any] = item["mapping"]
    created = _time(item.get("create_time")) or time.time()
    source_id = str(item.get("conversation_id") or item.get("id") or f"{item.get('title')}@{created}")
    default_model = item.get("default_model_slug")
    shown = set(current_branch(mapping, item.get("current_node")))
    # (message, parent message id, node id), each kept message under the nearest kept ancestor.
    kept: list[tuple[Message, str | None, str]] = []
    last_time = created
    # Children from the `parent` links, which the shown branch follows too (a `children`
    # list can miss one).
    below: dict[str | None, list[str]] = {}
    for key, node in mapping.items():
        parent_key = _obj(node).get("parent")
        below.setdefault(
            parent_key if isinstance(parent_key, str) and parent_key in mapping else None, []
        ).append(key)
    roots = below.get(None, [])
    # Depth first, by hand: a long conversation is deeper than Python's recursion limit.
    # Each entry: node id, the kept message it hangs on, reasoning waiting for a reply, time.
    stack: list[tuple[str, str | None, list[str], float]] = [(r, None, [], created) for r in reversed(roots)]
    seen: set[str] = set()
    while stack:
        node_id, parent, reasoning, when = stack.pop()
        node = mapping.get(node_id)
        if node_id in seen or not isinstance(node, Mapping):
            continue
        seen.add(node_id)
        raw = node.get("message")
        if isinstance(raw, Mapping):
            when = _time(raw.get("create_time")) or when
            last_time = max(last_time, when)
            content = _obj(raw.get("content"))
            if content.get("content_type") == "thoughts":
                reasoning = reasoning + _thoughts(content)
            else:
                message = _message(raw, content, files, when, default_model)
                if message is not None:
                    if message.role is Role.ASSISTANT and reasoning:
                        message.reasoning, reasoning = "\n\n".join(reasoning), []
                    kept.append((message, parent, node_id))
                    parent = message.id
        for child in reversed(below.get(node_id, [])):
            stack.append((child, parent, reasoning, when))
    # Versions in the order they were written (the children lists are not always).
    kept.sort(key=lambda entry: entry[0].created_at)
    conv = Conversation(
        id=uuid.uuid5(_NAMESPACE, "chatgpt:" + source_id).hex,
        title=str(item.get("title") or "Untitled conversation"),
        # A ChatGPT model cannot answer here: leave the choice to GrokDesk's default.
        model="",
        created_at=created,
        updated_at=_time(item.get("update_time")) or last_time,
    )
    chosen = [message.id for message, _, node_id in kept if node_id in shown]
    versions.assemble(conv, [(message, parent) for message, parent, _ in kept], chosen)
    return conv


def current_branch(mapping: Mapping[str, Any], current: object) -> list[str]:
    """The node ids from the root to `current` (or to the newest leaf when `current` is missing)."""
    node_id = current if isinstance(current, str) and current in mapping else _newest_leaf(mapping)
    chain: list[str] = []
    seen: set[str] = set()
    while isinstance(node_id, str) and node_id in mapping:
        if node_id in seen:
            raise ValueError("its message tree loops back on itself")
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, Mapping):
            raise ValueError(f"node {node_id} is not an object")
        chain.append(node_id)
        node_id = node.get("parent")
    chain.reverse()
    return chain


def _newest_leaf(mapping: Mapping[str, Any]) -> str | None:
    leaves = [
        (_time(_obj(node.get("message")).get("create_time")) or 0.0, node_id)
        for node_id, node in mapping.items()
        if isinstance(node, Mapping) and not node.get("children")
    ]
    return max(leaves)[1] if leaves else None


def _message(
    raw: Mapping[str, Any],
    content: Mapping[str, Any],
    files: FileLookup,
    created: float,
    default_model: object,
) -> Message | None:
    metadata = _obj(raw.get("metadata"))
    if metadata.get("is_visually_hidden_from_conversation"):
        return None
    author = _obj(raw.get("author"))
    kind = author.get("role")
    ctype = content.get("content_type")
    to_everyone = raw.get("recipient", "all") in ("all", None)
    if ctype == "system_error":
        return _text_message(Role.NOTICE, str(content.get("text") or ""), created)
    if ctype not in ("text", "multimodal_text"):
        return None  # code for tools, browsing displays, execution output, contexts: plumbing
    parts = _parts(content.get("parts"), files)
    has_text = any(isinstance(p, TextPart) for p in parts)
    items = content.get("parts")
    has_image = isinstance(items, list) and any(_is_image_pointer(p) for p in items)
    model = metadata.get("model_slug") or default_model
    model = model if isinstance(model, str) else None
    if kind == "user" and parts:
        return Message(Role.USER, parts, created_at=created)
    if kind == "assistant" and to_everyone and parts:
        return Message(
            Role.ASSISTANT, parts, created_at=created, model=model, finish_reason=_finish(metadata)
        )
    if kind == "system" and has_text:
        return Message(Role.SYSTEM, [p for p in parts if isinstance(p, TextPart)], created_at=created)
    if kind == "tool" and has_image:
        # Generated images come back as tool messages: worth keeping, shown as the assistant's.
        return Message(Role.ASSISTANT, parts, created_at=created, model=model)
    return None


def _parts(items: object, files: FileLookup) -> list[Part]:
    parts: list[Part] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            if item.strip():
                parts.append(TextPart(item))
        elif _is_image_pointer(item):
            parts.append(_image(item, files))
        elif isinstance(item, Mapping) and item.get("content_type") == "audio_transcription":
            # Voice chats: keep what was said; the audio itself is not kept.
            text = item.get("text")
            if isinstance(text, str) and text.strip():
                parts.append(TextPart(text))
    return parts


def _is_image_pointer(item: object) -> bool:
    return isinstance(item, Mapping) and item.get("content_type") == "image_asset_pointer"


def _image(pointer: Mapping[str, Any], files: FileLookup) -> Part:
    asset = str(pointer.get("asset_pointer") or "")
    file_id = asset.split("://", 1)[-1]
    data = files(file_id) if file_id else None
    image = image_part(data, file_id) if data else None
    return image or TextPart(f"[image {file_id or 'without a name'} was not in the export]")


def image_part(data: bytes, name: str) -> ImagePart | None:
    """A checked image; formats the API does not take (WebP, GIF) are converted to PNG."""
    # Imported by the first image of an import: the library panel imports this module
    # before the window's first paint.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            fmt, size = img.format or "", img.size
            if fmt not in _KEPT_FORMATS:
                out = io.BytesIO()
                img.convert("RGBA").save(out, format="PNG")
                data, fmt = out.getvalue(), "PNG"
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return ImagePart(
        sha256=hashlib.sha256(data).hexdigest(),
        mime=_KEPT_FORMATS[fmt],
        name=name,
        width=size[0],
        height=size[1],
        data=data,
    )


def _thoughts(content: Mapping[str, Any]) -> list[str]:
    out = []
    for thought in content.get("thoughts") or []:
        if isinstance(thought, Mapping):
            text = "\n".join(str(thought.get(k)) for k in ("summary", "content") if thought.get(k))
            if text:
                out.append(text)
    return out


def _text_message(role: Role, text: str, created: float) -> Message | None:
    return Message(role, [TextPart(text)], created_at=created, state=MessageState.COMPLETE) if text else None


def _finish(metadata: Mapping[str, Any]) -> str | None:
    details = metadata.get("finish_details")
    if isinstance(details, Mapping) and isinstance(details.get("type"), str):
        return "length" if details["type"] == "max_tokens" else str(details["type"])
    return None


def _time(value: object) -> float | None:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None
    )


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
