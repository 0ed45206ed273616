"""The SQLite store: conversations, messages, images, search, the restored session and usage.

One `Store` belongs to one thread (the `StoreWorker`'s); every call is synchronous
and short. Writes happen as things happen, each in its own transaction, so a crash
or `kill -9` loses at most the write that was in flight: WAL with `synchronous=FULL`
makes every commit durable before the call returns.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from grokdesk.core import versions
from grokdesk.core.conversation import (
    Conversation,
    ImagePart,
    Message,
    MessageState,
    Role,
    Usage,
)
from grokdesk.storage import codec
from grokdesk.storage.dbfile import connect_checked, damage_marker, full_check, move_aside
from grokdesk.storage.errors import (
    DatabaseCorrupt,
    EnvironmentProblem,
    NotFound,
    read_only,
    sqlite_errors,
)
from grokdesk.storage.lock import DataDirLock
from grokdesk.storage.query import fts_query
from grokdesk.storage.records import (
    MATCH_END,
    MATCH_START,
    ConversationSummary,
    DraftPaste,
    SearchHit,
    SessionState,
    TabState,
    UsageTotals,
)
from grokdesk.storage.schema import CURRENT_VERSION, NewerDatabase, migrate, user_version

log = logging.getLogger(__name__)

DB_NAME = "grokdesk.sqlite3"
SESSION_KEY = "session"
# A draft's long paste is a row of its own ("paste:<key>"), written once: the session
# row is rewritten about once a second while the user types, and a 5 MB paste in it
# would be rewritten each time.
PASTE_KEY_PREFIX = "paste:"
# Image bytes are written this much at a time (see _store_image).
BLOB_PIECE = 1 << 20

P = ParamSpec("P")
R = TypeVar("R")


def _mapped(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Run a Store method with sqlite3 environment errors turned into `EnvironmentProblem`s."""

    def wrapper(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with sqlite_errors(self.path):
                return method(self, *args, **kwargs)
        except DatabaseCorrupt:
            self._mark_damaged()
            raise

    functools.update_wrapper(wrapper, method)
    return wrapper


# Search SQL, kept here so tests can check the plan uses the FTS indexes. Newest first, in the
# index's own rowid order: FTS5 then stops after `limit` matches instead of ranking every match
# (bm25 over a common word in 5,000 conversations took ~0.3 s, too slow for search-as-you-type).
TITLE_SEARCH_SQL = """
SELECT c.id, NULL, c.title, snippet(conversations_fts, 0, :start, :end, '…', 12), c.updated
FROM conversations_fts JOIN conversations c ON c.num = conversations_fts.rowid
WHERE conversations_fts MATCH :query AND c.deleted_at IS NULL
ORDER BY conversations_fts.rowid DESC LIMIT :limit
"""
MESSAGE_SEARCH_SQL = """
SELECT c.id, m.id, c.title, snippet(messages_fts, 0, :start, :end, '…', 16), c.updated
FROM messages_fts
JOIN messages m ON m.num = messages_fts.rowid
JOIN conversations c ON c.id = m.conversation_id
WHERE messages_fts MATCH :query AND c.deleted_at IS NULL
ORDER BY messages_fts.rowid DESC LIMIT :limit
"""

_MESSAGE_COLUMNS = "id, role, parts, model, created, finish_reason, usage, error, state, reasoning, tools, sources, provider_items"


class _Derived:
    """`save_message` without a parent: it follows the shown message before its position."""


DERIVED = _Derived()


class _NoLock:
    """The lock of a read-only store: nothing was taken, nothing to release."""

    def release(self) -> None:
        return None


class Store:
    """Open with `Store.open(data_dir)`; close with `close()`. Not thread-safe: use it from one thread."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        lock: DataDirLock | _NoLock,
        *,
        recovered_from: Path | None,
        backup: Path | None,
        interrupted: int,
        writable: bool = True,
    ) -> None:
        self._conn = conn
        self._writable = writable
        self._closed = False
        self._lock = lock
        self._depth = 0
        self.path = path
        self.data_dir = path.parent
        # Where a damaged database was moved at this start (tell the user), else None.
        self.recovered_from = recovered_from
        # The copy written before a schema migration at this start, else None.
        self.migration_backup = backup
        # Replies found still streaming at start (the app died mid-reply), now marked interrupted.
        self.interrupted_count = interrupted

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """Open (or create) the store in `data_dir`.

        Raises `DataDirLocked` when another GrokDesk uses the folder, `ReadOnly`/`DiskFull`
        when the folder cannot be written. A damaged database is moved aside (see
        `recovered_from`) and a fresh one started.
        """
        data_dir = Path(data_dir)
        path = data_dir / DB_NAME
        try:
            with sqlite_errors(path):
                data_dir.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise EnvironmentProblem(
                f"The data folder {data_dir} is a file, or inside one. Choose a folder with --data-dir "
                "or GROKDESK_DATA_DIR."
            ) from exc
        lock = DataDirLock.acquire(data_dir)
        try:
            recovered_from = None
            try:
                conn, backup, interrupted = _prepare(path)
            except DatabaseCorrupt:
                recovered_from = move_aside(path)
                log.warning("database %s was damaged; moved to %s and started afresh", path, recovered_from)
                conn, backup, interrupted = _prepare(path)
        except BaseException:
            lock.release()
            raise
        return cls(conn, path, lock, recovered_from=recovered_from, backup=backup, interrupted=interrupted)

    @classmethod
    def open_read_only(cls, data_dir: Path) -> Store:
        """Open the store only to read it, e.g. to export from a folder that cannot be
        written (no lock file, no migration, nothing written). Raises `ReadOnly` (or
        another `EnvironmentProblem`) when even that is not possible."""
        path = Path(data_dir) / DB_NAME
        conn: sqlite3.Connection | None = None
        # mode=ro reads a WAL left by a crash; a folder where SQLite cannot even make
        # its shared-memory file needs immutable=1 (what was checkpointed only).
        for options in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(f"{path.as_uri()}?{options}", uri=True, isolation_level=None)
                version = user_version(conn)
                break
            except sqlite3.Error:
                if conn is not None:
                    conn.close()
                conn = None
        if conn is None:
            raise read_only(Path(data_dir))
        if version != CURRENT_VERSION:
            conn.close()
            raise EnvironmentProblem(
                f"{path} uses schema {version}; it has to be opened once with write access "
                f"(this GrokDesk reads schema {CURRENT_VERSION})."
            )
        return cls(conn, path, _NoLock(), recovered_from=None, backup=None, interrupted=0, writable=False)

    def close(self) -> None:
        """Close the database and release the folder. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._writable:
                with sqlite_errors(self.path):
                    self._conn.execute("PRAGMA optimize")
        except EnvironmentProblem:
            log.warning("could not optimize %s while closing", self.path)
        finally:
            self._conn.close()
            self._lock.release()

    @_mapped
    def verify(self) -> None:
        """Check every page of the file (slow on a big library: run it once the window is up).

        Raises `DatabaseCorrupt` when damaged; the next start then sets the file aside.
        """
        full_check(self._conn, self.path)

    def _mark_damaged(self) -> None:
        try:
            damage_marker(self.path).touch()
        except OSError:
            log.warning("could not leave a damage marker beside %s", self.path)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group calls into one atomic write (nested uses join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with sqlite_errors(self.path):
            self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            with sqlite_errors(self.path):
                self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    # ---------------------------------------------------------- conversations

    @_mapped
    def save_conversation(self, conv: Conversation) -> None:
        """Insert or update a conversation's metadata (not its messages, nor its deleted state)."""
        with self.transaction():
            self._upsert_conversation(conv)

    @_mapped
    def replace_conversation(self, conv: Conversation) -> None:
        """Store a whole conversation: metadata and every version of every message, the
        shown branch selected; drops stored messages it lacks."""
        with self.transaction():
            self._upsert_conversation(conv)
            shown = {m.id: i for i, m in enumerate(conv.messages)}
            depth: dict[str, int] = {}
            for message in versions.all_messages(conv):
                parent = versions.parent_of(conv, message.id)
                if message.id in shown:
                    index = shown[message.id]
                    parent = conv.messages[index - 1].id if index else None
                depth[message.id] = depth.get(parent, -1) + 1 if parent else 0
                self._upsert_message(conv.id, message, shown.get(message.id, depth[message.id]), parent)
            chosen = [m.id for m in conv.messages] + list(conv.versions.chosen.values())
            self._conn.execute(
                "UPDATE messages SET selected = (id IN (SELECT value FROM json_each(?))) WHERE conversation_id = ?",
                (codec.dumps(chosen), conv.id),
            )
            keep = list(depth)
            self._conn.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND id NOT IN (SELECT value FROM json_each(?))",
                (conv.id, codec.dumps(keep)),
            )

    @_mapped
    def titles(self, conversation_ids: Sequence[str]) -> dict[str, str]:
        """The titles of those of `conversation_ids` that exist, without their messages
        (restored background tabs are labelled with them before they are read)."""
        rows = self._conn.execute(
            "SELECT id, title FROM conversations WHERE id IN (SELECT value FROM json_each(?))",
            (codec.dumps(list(conversation_ids)),),
        ).fetchall()
        return {str(row[0]): str(row[1]) for row in rows}

    @_mapped
    def has_conversation(self, conversation_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row is not None

    @_mapped
    def message_ids_in_use(self, ids: Sequence[str]) -> set[str]:
        """Those of `ids` that some stored message already has."""
        rows = self._conn.execute(
            "SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))", (codec.dumps(list(ids)),)
        ).fetchall()
        return {r[0] for r in rows}

    @_mapped
    def load_conversation(self, conversation_id: str) -> Conversation:
        """The conversation with every version of its messages, showing the selected branch;
        images with their bytes."""
        conv = self._conversation_row(conversation_id)
        # Versions in the order they were made.
        rows = self._conn.execute(
            f"SELECT parent_id, selected, {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY num",
            (conversation_id,),
        ).fetchall()
        images = self._images_of(conversation_id)
        items = [(_message_from_row(row[2:], images), row[0]) for row in rows]
        versions.assemble(conv, items, [str(row[2]) for row in rows if row[1]])
        return conv

    @_mapped
    def load_messages_tail(self, conversation_id: str, limit: int) -> list[Message]:
        """The last `limit` messages of the shown branch, in order."""
        return self.load_conversation(conversation_id).messages[-limit:] if limit > 0 else []

    @_mapped
    def list_conversations(self, *, deleted: bool = False) -> list[ConversationSummary]:
        """Pinned first, then newest first. `deleted=True` lists the soft-deleted ones instead."""
        where = "c.deleted_at IS NOT NULL" if deleted else "c.deleted_at IS NULL"
        rows = self._conn.execute(
            "SELECT c.id, c.title, c.model, c.created, c.updated, c.pinned, "
            "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id), c.deleted_at "
            f"FROM conversations c WHERE {where} ORDER BY c.pinned DESC, c.updated DESC"
        ).fetchall()
        return [
            ConversationSummary(
                id=r[0],
                title=r[1],
                model=r[2],
                created_at=r[3],
                updated_at=r[4],
                pinned=bool(r[5]),
                message_count=r[6],
                deleted_at=r[7],
            )
            for r in rows
        ]

    @_mapped
    def rename(self, conversation_id: str, title: str) -> None:
        self._update_conversation(conversation_id, "title = ?", (title,))

    @_mapped
    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        self._update_conversation(conversation_id, "pinned = ?", (int(pinned),))

    @_mapped
    def delete_conversation(self, conversation_id: str) -> None:
        """Soft delete: hidden from the list and search until `undelete` or `purge_deleted`."""
        self._update_conversation(conversation_id, "deleted_at = ?", (time.time(),))

    @_mapped
    def undelete(self, conversation_id: str) -> None:
        self._update_conversation(conversation_id, "deleted_at = NULL", ())

    @_mapped
    def purge_deleted(self, older_than: float | None = None) -> int:
        """Remove soft-deleted conversations for good (those deleted before `older_than`, if given)."""
        with self.transaction():
            if older_than is None:
                cursor = self._conn.execute("DELETE FROM conversations WHERE deleted_at IS NOT NULL")
            else:
                cursor = self._conn.execute(
                    "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < ?", (older_than,)
                )
            self._drop_unused_images()
            return cursor.rowcount

    # --------------------------------------------------------------- messages

    @_mapped
    def save_message(
        self,
        conversation_id: str,
        message: Message,
        position: int,
        parent_id: str | _Derived | None = DERIVED,
    ) -> None:
        """Insert or update one message of the shown branch with its parts and images; it
        becomes the selected version after `parent_id` (by default the shown message
        before `position`).

        Cheap enough to call once a second while a reply streams: one row, its search
        entry, and images only when they are not stored yet. The conversation must
        have been saved first.
        """
        with self.transaction():
            if isinstance(parent_id, _Derived):
                parent_id = self._shown_before(conversation_id, position)
            self._upsert_message(conversation_id, message, position, parent_id)
            self._select(conversation_id, message.id, parent_id)

    @_mapped
    def set_message_order(self, conversation_id: str, message_ids: Sequence[str]) -> None:
        """Make `message_ids` the shown branch, in this order: each follows the one before
        it and is the selected version at its place (other versions stay, unselected)."""
        with self.transaction():
            parent: str | None = None
            for position, mid in enumerate(message_ids):
                self._conn.execute(
                    "UPDATE messages SET position = ?, parent_id = ? WHERE id = ? AND conversation_id = ?",
                    (position, parent, mid, conversation_id),
                )
                self._select(conversation_id, mid, parent)
                parent = mid

    @_mapped
    def delete_message(self, conversation_id: str, message_id: str) -> None:
        """Delete one version; the messages that followed it follow its parent instead."""
        with self.transaction():
            self._conn.execute(
                "UPDATE messages SET parent_id = (SELECT parent_id FROM messages WHERE id = :id) "
                "WHERE conversation_id = :conv AND parent_id = :id",
                {"id": message_id, "conv": conversation_id},
            )
            self._conn.execute(
                "DELETE FROM messages WHERE id = ? AND conversation_id = ?", (message_id, conversation_id)
            )
            self._drop_unused_images()

    # ----------------------------------------------------------------- search

    @_mapped
    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Title hits first, then message hits, newest first. Any typed text is safe (see `query.fts_query`)."""
        query = fts_query(text)
        if query is None or limit <= 0:
            return []
        params: dict[str, Any] = {"query": query, "start": MATCH_START, "end": MATCH_END, "limit": limit}
        rows = self._conn.execute(TITLE_SEARCH_SQL, params).fetchall()
        params["limit"] = limit - len(rows)
        if params["limit"] > 0:
            rows += self._conn.execute(MESSAGE_SEARCH_SQL, params).fetchall()
        return [SearchHit(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    # ---------------------------------------------------------------- session

    @_mapped
    def save_session(self, state: SessionState) -> None:
        """Remember the open tabs, their drafts (attachments with their bytes, long pastes)
        and the active tab."""
        tabs = []
        pastes: list[str] = []
        with self.transaction():
            for tab in state.tabs:
                for image in tab.draft_attachments:
                    self._store_image(image)
                for paste in tab.draft_pastes:
                    pastes.append(PASTE_KEY_PREFIX + paste.key)
                    # Checked first: binding megabytes of text again at every save is wasted work.
                    if not self._conn.execute(
                        "SELECT 1 FROM session WHERE key = ?", (pastes[-1],)
                    ).fetchone():
                        self._conn.execute(
                            "INSERT INTO session (key, value) VALUES (?, ?)", (pastes[-1], paste.text)
                        )
                tabs.append(
                    {
                        "conversation_id": tab.conversation_id,
                        "model": tab.model,
                        "draft_text": tab.draft_text,
                        "draft_attachments": codec.encode_parts(list(tab.draft_attachments)),
                        "draft_pastes": [paste.key for paste in tab.draft_pastes],
                        "draft_role": tab.draft_role.value,
                        "settings": None if tab.settings is None else codec.encode_settings(tab.settings),
                    }
                )
            value = codec.dumps({"tabs": tabs, "active_index": state.active_index})
            self._conn.execute(
                "INSERT INTO session (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (SESSION_KEY, value),
            )
            self._conn.execute(
                "DELETE FROM session WHERE substr(key, 1, ?) = ? AND key NOT IN (SELECT value FROM json_each(?))",
                (len(PASTE_KEY_PREFIX), PASTE_KEY_PREFIX, codec.dumps(pastes)),
            )
            self._drop_unused_images()

    @_mapped
    def load_session(self) -> SessionState:
        """The last saved session; an empty one when none was saved. Tabs of purged conversations keep their draft."""
        row = self._conn.execute("SELECT value FROM session WHERE key = ?", (SESSION_KEY,)).fetchone()
        if row is None:
            return SessionState()
        data = json.loads(row[0])
        state = SessionState(active_index=int(data.get("active_index", 0)))
        for item in data.get("tabs", []):
            conversation_id = item.get("conversation_id")
            if conversation_id is not None and not self.has_conversation(conversation_id):
                conversation_id = None
            attachments = codec.decode_parts(item.get("draft_attachments", []), self._image)
            pastes = [self._draft_paste(str(key)) for key in item.get("draft_pastes", [])]
            settings = item.get("settings")
            state.tabs.append(
                TabState(
                    conversation_id=conversation_id,
                    model=str(item.get("model", "")),
                    draft_text=str(item.get("draft_text", "")),
                    draft_attachments=codec.image_parts(attachments),
                    draft_pastes=[paste for paste in pastes if paste is not None],
                    draft_role=_draft_role(item.get("draft_role")),
                    settings=None if settings is None else codec.decode_settings(settings),
                )
            )
        return state

    def _draft_paste(self, key: str) -> DraftPaste | None:
        row = self._conn.execute(
            "SELECT value FROM session WHERE key = ?", (PASTE_KEY_PREFIX + key,)
        ).fetchone()
        return None if row is None else DraftPaste(key, row[0])

    # ------------------------------------------------------------------ usage

    @_mapped
    def usage_totals(self, since: float | None = None) -> dict[str, UsageTotals]:
        """Tokens per model over replies created at or after `since` (all time when None).

        Soft-deleted conversations count: the tokens were spent.
        """
        rows = self._conn.execute(
            f"SELECT coalesce(model, ''), count(*), {_USAGE_SUMS} FROM messages "
            "WHERE usage IS NOT NULL AND created >= ? GROUP BY coalesce(model, '') ORDER BY 1",
            (float("-inf") if since is None else since,),
        ).fetchall()
        return {r[0]: _usage_totals(r[0], r[1], r[2:]) for r in rows}

    @_mapped
    def usage_by_day(self, since: float) -> list[tuple[str, UsageTotals]]:
        """Tokens per local calendar day ("YYYY-MM-DD") and model, for replies created at
        or after `since`, oldest day first (for a chart of the last weeks)."""
        rows = self._conn.execute(
            f"SELECT date(created, 'unixepoch', 'localtime'), coalesce(model, ''), count(*), {_USAGE_SUMS} "
            "FROM messages WHERE usage IS NOT NULL AND created >= ? GROUP BY 1, 2 ORDER BY 1, 2",
            (since,),
        ).fetchall()
        return [(r[0], _usage_totals(r[1], r[2], r[3:])) for r in rows]

    # ---------------------------------------------------------------- helpers

    def _upsert_conversation(self, conv: Conversation) -> None:
        self._conn.execute(
            "INSERT INTO conversations (id, title, model, settings, created, updated, pinned) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "title = excluded.title, model = excluded.model, settings = excluded.settings, "
            "updated = max(conversations.updated, excluded.updated), pinned = excluded.pinned",
            (
                conv.id,
                conv.title,
                conv.model,
                codec.dumps(codec.encode_settings(conv.settings)),
                conv.created_at,
                conv.updated_at,
                int(conv.pinned),
            ),
        )

    def _shown_before(self, conversation_id: str, position: int) -> str | None:
        if position <= 0:
            return None
        row = self._conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND position = ? ORDER BY selected DESC, num DESC",
            (conversation_id, position - 1),
        ).fetchone()
        return None if row is None else str(row[0])

    def _select(self, conversation_id: str, message_id: str, parent_id: str | None) -> None:
        """Mark a version as the one shown at its place."""
        self._conn.execute(
            "UPDATE messages SET selected = (id = ?) WHERE conversation_id = ? AND parent_id IS ? "
            "AND selected != (id = ?)",
            (message_id, conversation_id, parent_id, message_id),
        )

    def _upsert_message(
        self, conversation_id: str, message: Message, position: int, parent_id: str | None = None
    ) -> None:
        images = codec.image_parts(message.parts)
        for image in images:
            self._store_image(image)
        usage = codec.encode_usage(message.usage)
        cursor = self._conn.execute(
            "INSERT INTO messages (id, conversation_id, position, role, parts, text, model, created, "
            "finish_reason, usage, error, state, reasoning, tools, sources, provider_items) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET position = excluded.position, role = excluded.role, "
            "parts = excluded.parts, text = excluded.text, model = excluded.model, created = excluded.created, "
            "finish_reason = excluded.finish_reason, usage = excluded.usage, error = excluded.error, "
            "state = excluded.state, reasoning = excluded.reasoning, tools = excluded.tools, "
            "sources = excluded.sources, provider_items = excluded.provider_items "
            "WHERE messages.conversation_id = excluded.conversation_id",
            (
                message.id,
                conversation_id,
                position,
                message.role.value,
                codec.dumps(codec.encode_parts(message.parts)),
                _indexed_text(message),
                message.model,
                message.created_at,
                message.finish_reason,
                None if usage is None else codec.dumps(usage),
                message.error,
                message.state.value,
                message.reasoning,
                codec.dumps(codec.encode_tools(message.tools)) if message.tools else None,
                codec.dumps(codec.encode_sources(message.sources)) if message.sources else None,
                codec.dumps(message.provider_items) if message.provider_items else None,
            ),
        )
        if cursor.rowcount == 0:
            raise ValueError(f"message {message.id} belongs to another conversation than {conversation_id}")
        self._conn.execute("UPDATE messages SET parent_id = ? WHERE id = ?", (parent_id, message.id))
        self._conn.execute("DELETE FROM message_images WHERE message_id = ?", (message.id,))
        if images:
            self._conn.executemany(
                "INSERT OR IGNORE INTO message_images (message_id, sha256) VALUES (?, ?)",
                [(message.id, image.sha256) for image in images],
            )
        self._conn.execute(
            "UPDATE conversations SET updated = max(updated, ?) WHERE id = ?",
            (message.created_at, conversation_id),
        )

    def _store_image(self, image: ImagePart) -> None:
        # Check first so the bytes are not bound again on every streaming flush.
        if self._conn.execute("SELECT 1 FROM images WHERE sha256 = ?", (image.sha256,)).fetchone():
            return
        cursor = self._conn.execute(
            "INSERT INTO images (sha256, mime, width, height, bytes) VALUES (?, ?, ?, ?, zeroblob(?))",
            (image.sha256, image.mime, image.width, image.height, len(image.data)),
        )
        # Written in pieces through SQLite's blob handle, which copies without the
        # interpreter lock: bound as one parameter, a 9 MiB photo was copied with the lock
        # held for 8-10 ms, a stall of the UI thread for every image of a draft saved.
        assert cursor.lastrowid is not None
        data = memoryview(image.data)
        with self._conn.blobopen("images", "bytes", cursor.lastrowid) as blob:
            for start in range(0, len(data), BLOB_PIECE):
                blob.write(data[start : start + BLOB_PIECE])

    def _image(self, sha256: str) -> codec.ImageInfo | None:
        row = self._conn.execute(
            "SELECT mime, width, height, bytes FROM images WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return None if row is None else codec.ImageInfo(row[0], row[1], row[2], bytes(row[3]))

    def _images_of(self, conversation_id: str) -> dict[str, codec.ImageInfo]:
        rows = self._conn.execute(
            "SELECT i.sha256, i.mime, i.width, i.height, i.bytes FROM images i WHERE i.sha256 IN ("
            "SELECT mi.sha256 FROM message_images mi JOIN messages m ON m.id = mi.message_id "
            "WHERE m.conversation_id = ?)",
            (conversation_id,),
        ).fetchall()
        return {r[0]: codec.ImageInfo(r[1], r[2], r[3], bytes(r[4])) for r in rows}

    def _drop_unused_images(self) -> None:
        row = self._conn.execute("SELECT value FROM session WHERE key = ?", (SESSION_KEY,)).fetchone()
        drafts: list[str] = []
        if row is not None:
            for tab in json.loads(row[0]).get("tabs", []):
                drafts += [
                    str(a.get("sha256")) for a in tab.get("draft_attachments", []) if isinstance(a, dict)
                ]
        self._conn.execute(
            "DELETE FROM images WHERE sha256 NOT IN (SELECT sha256 FROM message_images) "
            "AND sha256 NOT IN (SELECT value FROM json_each(?))",
            (codec.dumps(drafts),),
        )

    def _conversation_row(self, conversation_id: str) -> Conversation:
        row = self._conn.execute(
            "SELECT id, title, model, settings, created, updated, pinned FROM conversations WHERE id = ?",
            (conversation_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"There is no conversation {conversation_id}.")
        return Conversation(
            id=row[0],
            title=row[1],
            model=row[2],
            settings=codec.decode_settings(json.loads(row[3])),
            created_at=row[4],
            updated_at=row[5],
            pinned=bool(row[6]),
        )

    def _update_conversation(self, conversation_id: str, assignment: str, params: tuple[object, ...]) -> None:
        with self.transaction():
            cursor = self._conn.execute(
                f"UPDATE conversations SET {assignment} WHERE id = ?", (*params, conversation_id)
            )
        if cursor.rowcount == 0:
            raise NotFound(f"There is no conversation {conversation_id}.")


def _prepare(path: Path) -> tuple[sqlite3.Connection, Path | None, int]:
    """Check, migrate and configure the database; returns the connection, any backup, interrupted replies."""
    conn = connect_checked(path)
    try:
        with sqlite_errors(path):
            backup = migrate(conn, path)
            if backup is not None:
                log.info("schema migrated; the previous file is kept as %s", backup)
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: each commit is on disk before the call returns, so a power cut loses no more than a crash.
            conn.execute("PRAGMA synchronous = FULL")
            interrupted = conn.execute(
                "UPDATE messages SET state = ? WHERE state = ?",
                (MessageState.INTERRUPTED.value, MessageState.STREAMING.value),
            ).rowcount
    except NewerDatabase as exc:
        conn.close()
        raise EnvironmentProblem(str(exc)) from exc
    except BaseException:
        conn.close()
        raise
    return conn, backup, interrupted


def _message_from_row(row: sqlite3.Row | tuple[Any, ...], images: dict[str, codec.ImageInfo]) -> Message:
    usage = None if row[6] is None else codec.decode_usage(json.loads(row[6]))
    return Message(
        id=row[0],
        role=Role(row[1]),
        parts=codec.decode_parts(json.loads(row[2]), images.get),
        model=row[3],
        created_at=row[4],
        finish_reason=row[5],
        usage=usage,
        error=row[7],
        state=MessageState(row[8]),
        reasoning=row[9],
        tools=codec.decode_tools(_json_or_none(row[10])),
        sources=codec.decode_sources(_json_or_none(row[11])),
        provider_items=codec.decode_provider_items(_json_or_none(row[12])),
    )


_TOKEN_FIELDS = (
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "image_tokens",
    "total_tokens",
)
_COST_FIELDS = ("cost_in_usd_ticks", "web_search_calls", "x_search_calls", "code_calls", "images")
# The sums of every usage field, then the token sums of the replies without the API's own
# cost (those are priced from the model's prices instead).
_USAGE_SUMS = ", ".join(
    [f"coalesce(sum(json_extract(usage, '$.{f}')), 0)" for f in (*_TOKEN_FIELDS, *_COST_FIELDS)]
    + [
        f"coalesce(sum(CASE WHEN coalesce(json_extract(usage, '$.cost_in_usd_ticks'), 0) = 0 "
        f"THEN json_extract(usage, '$.{f}') END), 0)"
        for f in _TOKEN_FIELDS
    ]
)


def _draft_role(value: object) -> Role:
    """The saved role of a draft; User for one saved before roles were kept, or unknown."""
    try:
        return Role(str(value)) if value is not None else Role.USER
    except ValueError:
        return Role.USER


def _usage_totals(model: str, replies: int, sums: Sequence[Any]) -> UsageTotals:
    names = (*_TOKEN_FIELDS, *_COST_FIELDS)
    values = [int(v) for v in sums]
    return UsageTotals(
        model,
        replies,
        prompt_tokens=values[0],
        completion_tokens=values[1],
        reasoning_tokens=values[2],
        cached_tokens=values[3],
        image_tokens=values[4],
        total_tokens=values[5],
        cost_in_usd_ticks=values[6],
        web_search_calls=values[7],
        x_search_calls=values[8],
        code_calls=values[9],
        images=values[10],
        unpriced=Usage(*values[len(names) :]),
    )


def _json_or_none(value: object) -> object:
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None  # a damaged extra is dropped, the message itself still loads


def _indexed_text(message: Message) -> str:
    """The text the search index sees: the message, plus its searches and cited URLs."""
    text = codec.plain_text(message.parts)
    extra = codec.search_text(message.tools, message.sources)
    return f"{text}\n{extra}" if extra else text
