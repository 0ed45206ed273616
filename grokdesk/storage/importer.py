"""Import GrokDesk JSON exports and ChatGPT exports (`conversations.json`, or the ZIP holding it).

Each file is read and checked whole before anything is written, then written in one
transaction: a malformed file is refused with the reason (`ImportFailed`) and leaves
nothing behind. Conversations already in the store (same id) are skipped, so
importing the same file twice adds nothing.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grokdesk.core import versions
from grokdesk.core.conversation import Conversation, Message, new_id
from grokdesk.storage import chatgpt, jsonformat
from grokdesk.storage.errors import ImportFailed
from grokdesk.storage.store import Store

_SAFE_ID = re.compile(r"[\w\-]+")


@dataclass(slots=True)
class FileImport:
    path: Path
    kind: str  # "grokdesk" or "chatgpt"
    imported: list[str] = field(default_factory=list)  # new conversation ids
    skipped: int = 0  # conversations already in the store


@dataclass(slots=True)
class ImportFailure:
    path: Path
    reason: str


@dataclass(slots=True)
class ImportReport:
    files: list[FileImport] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)

    @property
    def imported_ids(self) -> list[str]:
        return [cid for f in self.files for cid in f.imported]

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)


def import_paths(store: Store, paths: Iterable[Path]) -> ImportReport:
    """Import every file; a refused file is listed in `failures` and the others still import.

    Environment problems (a full disk) are raised: they would refuse every file alike.
    """
    report = ImportReport()
    for path in paths:
        try:
            report.files.append(import_file(store, Path(path)))
        except ImportFailed as exc:
            report.failures.append(ImportFailure(Path(path), exc.message))
    return report


def import_file(store: Store, path: Path) -> FileImport:
    """Import one file in one transaction; raises `ImportFailed` with the reason when it is refused."""
    kind, conversations = read_file(path)
    result = FileImport(path, kind)
    with store.transaction():
        for conv in conversations:
            if store.has_conversation(conv.id):
                result.skipped += 1
                continue
            _give_fresh_ids_if_taken(store, conv)
            store.replace_conversation(conv)
            result.imported.append(conv.id)
    return result


def read_file(path: Path) -> tuple[str, list[Conversation]]:
    """The kind of export and its conversations, without touching the store."""
    name = path.name
    try:
        if zipfile.is_zipfile(path):
            return "chatgpt", _read_zip(path)
        document = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{name} is not valid JSON (line {exc.lineno}: {exc.msg}).") from exc
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{name} is not a text file.") from exc
    except (OSError, zipfile.BadZipFile) as exc:
        raise ImportFailed(f"{name} could not be read: {exc}.") from exc
    try:
        if jsonformat.is_grokdesk(document):
            return "grokdesk", jsonformat.decode(document)
        if chatgpt.looks_like_chatgpt(document):
            return "chatgpt", chatgpt.parse(document, _files_beside(path))
    except ValueError as exc:
        raise ImportFailed(f"{name} was not imported: {exc}.") from exc
    raise ImportFailed(f"{name} is neither a GrokDesk export nor a ChatGPT conversations.json.")


def _read_zip(path: Path) -> list[Conversation]:
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
        sources = sorted(m for m in members if _is_conversations_json(m))
        if not sources:
            raise ImportFailed(f"{path.name} holds no conversations.json; is it a ChatGPT data export?")
        by_name = {PurePosixPath(m).name: m for m in members}

        def lookup(file_id: str) -> bytes | None:
            for base, member in by_name.items():
                if base.startswith(file_id):
                    return archive.read(member)
            return None

        conversations: list[Conversation] = []
        for member in sources:
            try:
                document = json.loads(archive.read(member))
                conversations += chatgpt.parse(document, lookup)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ImportFailed(f"{member} in {path.name} is not valid JSON: {exc}.") from exc
            except ValueError as exc:
                raise ImportFailed(f"{path.name} was not imported: {member}: {exc}.") from exc
        return conversations


def _is_conversations_json(member: str) -> bool:
    name = PurePosixPath(member).name
    return name == "conversations.json" or (name.startswith("conversations-") and name.endswith(".json"))


def _files_beside(path: Path) -> chatgpt.FileLookup:
    """Images of an unpacked export sit beside conversations.json (sometimes in sub-folders)."""
    folder = path.parent

    def lookup(file_id: str) -> bytes | None:
        if not _SAFE_ID.fullmatch(file_id):
            return None
        # The folder and its direct sub-folders only: the export may sit in a big Downloads folder.
        for candidate in sorted([*folder.glob(f"{file_id}*"), *folder.glob(f"*/{file_id}*")]):
            if candidate.is_file():
                return candidate.read_bytes()
        return None

    return lookup


def _give_fresh_ids_if_taken(store: Store, conv: Conversation) -> None:
    """Message ids are unique across the store; a clash (a copy of a conversation) gets new
    ids, in every version, and the tree of versions is rebuilt around them."""
    versions.sync(conv)
    everything = versions.all_messages(conv)
    taken = store.message_ids_in_use([m.id for m in everything])
    if not taken:
        return
    shown = {m.id for m in conv.messages} | set(conv.versions.chosen.values())
    parents = {m.id: versions.parent_of(conv, m.id) for m in everything}
    renamed = {old: new_id() for old in taken}
    chosen = [renamed.get(mid, mid) for mid in shown]
    items: list[tuple[Message, str | None]] = []
    for message in everything:
        parent = parents[message.id]
        message.id = renamed.get(message.id, message.id)
        items.append((message, None if parent is None else renamed.get(parent, parent)))
    versions.assemble(conv, items, chosen)
