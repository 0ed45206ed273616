"""Export conversations as Markdown (one file each, images beside it) or as one GrokDesk JSON file.

Existing files are never overwritten: a number is added to the name instead.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from grokdesk.core.conversation import Conversation, ImagePart, Message, MessageState, Role, TextPart
from grokdesk.core.sources import source_label
from grokdesk.core.tools import ToolStatus, describe_call
from grokdesk.storage import jsonformat
from grokdesk.storage.errors import sqlite_errors
from grokdesk.storage.store import Store


class ExportFormat(StrEnum):
    MARKDOWN = "md"
    JSON = "json"


_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg"}
_ROLE_HEADINGS = {Role.SYSTEM: "System", Role.USER: "You", Role.ASSISTANT: "Assistant", Role.NOTICE: "Notice"}


def export_conversations(
    store: Store, out_dir: Path, fmt: ExportFormat | str, ids: Sequence[str] | None = None
) -> list[Path]:
    """Write the conversations `ids` (all not deleted when None) to `out_dir`; returns the files written.

    Markdown gives one `.md` per conversation with its images in a `<name>_files/` folder;
    JSON gives one `grokdesk-export-<date>.json` holding them all.
    """
    fmt = ExportFormat(fmt)
    if ids is None:
        ids = [summary.id for summary in store.list_conversations()]
    with sqlite_errors(out_dir / "export"):  # maps a full or read-only disk to a clear message
        out_dir.mkdir(parents=True, exist_ok=True)
        if fmt is ExportFormat.JSON:
            path = _free_path(out_dir / f"grokdesk-export-{time.strftime('%Y%m%d-%H%M%S')}.json")
            document = jsonformat.encode(store.load_conversation(cid) for cid in ids)
            path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
            return [path]
        # One conversation in memory at a time: a library with many images can be large.
        return [write_markdown(store.load_conversation(cid), out_dir) for cid in ids]


def write_markdown(conv: Conversation, out_dir: Path) -> Path:
    path = _free_path(out_dir / f"{_slug(conv.title)}-{conv.id[:8]}.md")
    images_dir = path.with_name(path.stem + "_files")
    for message in conv.messages:
        for image in message.images:
            images_dir.mkdir(exist_ok=True)
            target = images_dir / _image_file_name(image)
            if not target.exists():
                target.write_bytes(image.data)
    path.write_text(conversation_markdown(conv, images_dir.name), encoding="utf-8")
    return path


def conversation_markdown(conv: Conversation, images_folder: str) -> str:
    """The conversation as Markdown; images are linked as `images_folder/<sha>.<ext>`."""
    lines = [f"# {conv.title or 'Untitled conversation'}", ""]
    if conv.model:
        lines.append(f"- Model: {conv.model}")
    lines.append(f"- Started: {_when(conv.created_at)}")
    if conv.settings.system_prompt:
        lines.append(f"- System prompt: {conv.settings.system_prompt}")
    lines += ["", "---", ""]
    for message in conv.messages:
        lines += _message_markdown(message, images_folder)
    return "\n".join(lines).rstrip() + "\n"


def _message_markdown(message: Message, images_folder: str) -> list[str]:
    heading = _ROLE_HEADINGS[message.role]
    if message.role is Role.ASSISTANT and message.model:
        heading += f" ({message.model})"
    lines = [f"## {heading} · {_when(message.created_at)}", ""]
    if message.reasoning:
        lines += ["<details><summary>Reasoning</summary>", "", message.reasoning, "", "</details>", ""]
    for call in message.tools:
        lines.append(f"> {describe_call(dataclasses.replace(call, status=ToolStatus.COMPLETED))}")
        if call.code:
            lines += [">", "> ```python", *(f"> {line}" for line in call.code.splitlines()), "> ```"]
        if call.output:
            lines += [">", "> ```text", *(f"> {line}" for line in call.output.splitlines()), "> ```"]
    if message.tools:
        lines.append("")
    for part in message.parts:
        if isinstance(part, TextPart):
            text = part.text if message.role is not Role.NOTICE else "> " + part.text.replace("\n", "\n> ")
            lines += [text, ""]
        else:
            alt = part.name.replace("]", "") or "image"
            lines += [f"![{alt}]({images_folder}/{_image_file_name(part)})", ""]
    lines += _tools_markdown(message)
    if message.state not in (MessageState.COMPLETE, MessageState.STREAMING):
        lines += [f"*({message.state.value})*", ""]
    if message.error:
        lines += [f"> **Error:** {message.error}", ""]
    return lines


def _tools_markdown(message: Message) -> list[str]:
    """The reply's Sources list: each cited URL once, domain first."""
    if not message.sources:
        return []
    lines = ["**Sources**", ""]
    for number, source in enumerate(message.sources, 1):
        lines.append(f"{number}. [{source_label(source)}]({source.url})")
    return [*lines, ""]


def _image_file_name(image: ImagePart) -> str:
    return image.sha256[:16] + _EXTENSIONS.get(image.mime, ".bin")


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _slug(title: str) -> str:
    slug = re.sub(r"[^\w\- ]+", "", title, flags=re.UNICODE).strip().replace(" ", "-")
    return re.sub(r"-{2,}", "-", slug)[:60] or "conversation"


def _free_path(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists() or candidate.with_name(candidate.stem + "_files").exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
