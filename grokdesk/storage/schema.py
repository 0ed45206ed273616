"""The database schema, versioned with `PRAGMA user_version`, and its forward migrations.

`MIGRATIONS[n]` upgrades version n to n + 1. A new database is built by running
every migration from 0, so the migrations the users' files go through are the
same ones every test exercises. Before an existing file is migrated, a copy of it
is written beside it (`grokdesk-backup-v{N}-{date}.sqlite3`): a migration bug must
never cost anyone their history (lost history after an update is the most damaging
failure other chat clients are known for).

Version 1 kept plain message text and a system prompt column. Version 2 keeps
messages as ordered parts (text and images by SHA-256), usage, errors, reasoning,
pinned and soft-deleted conversations, full-text search and the restored session.
Version 3 keeps every version of a message as a tree (`V3_VERSIONS_UPGRADE`).
Version 4 keeps what the Responses API adds to a reply: tool calls, cited sources and
the encrypted reasoning sent back on later turns (`V4_RESPONSES_UPGRADE`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

# A table with an explicit INTEGER PRIMARY KEY keeps its rowids across VACUUM, which
# the external-content FTS tables below rely on.
V1_SCHEMA = """
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    system_prompt TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    model TEXT,
    created REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'complete'
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, position);
"""

FTS_OPTIONS = "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'"

V2_UPGRADE = f"""
CREATE TABLE conversations_v2 (
    num INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{{}}',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    deleted_at REAL
);
INSERT INTO conversations_v2 (id, title, model, settings, created, updated)
    SELECT id, title, model, json_object('system_prompt', system_prompt), created, updated
    FROM conversations ORDER BY created;

CREATE TABLE messages_v2 (
    num INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations_v2(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    parts TEXT NOT NULL DEFAULT '[]',
    text TEXT NOT NULL DEFAULT '',
    model TEXT,
    created REAL NOT NULL,
    finish_reason TEXT,
    usage TEXT,
    error TEXT,
    state TEXT NOT NULL DEFAULT 'complete',
    reasoning TEXT NOT NULL DEFAULT ''
);
INSERT INTO messages_v2 (id, conversation_id, position, role, parts, text, model, created, state)
    SELECT id, conversation_id, position, role,
           CASE WHEN content = '' THEN '[]'
                ELSE json_array(json_object('type', 'text', 'text', content)) END,
           content, model, created, state
    FROM messages ORDER BY conversation_id, position;

DROP TABLE messages;
DROP TABLE conversations;
ALTER TABLE conversations_v2 RENAME TO conversations;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE INDEX conversations_by_recency ON conversations(pinned DESC, updated DESC);
CREATE INDEX messages_by_conversation ON messages(conversation_id, position);
CREATE INDEX messages_streaming ON messages(state) WHERE state = 'streaming';

CREATE TABLE images (
    sha256 TEXT PRIMARY KEY,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BLOB NOT NULL
);
-- Which message uses which image: lets unused images be found without parsing JSON.
CREATE TABLE message_images (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL REFERENCES images(sha256),
    PRIMARY KEY (message_id, sha256)
) WITHOUT ROWID;
CREATE INDEX message_images_by_image ON message_images(sha256);

CREATE TABLE session (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE VIRTUAL TABLE conversations_fts USING fts5(
    title, content = 'conversations', content_rowid = 'num', {FTS_OPTIONS});
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = 'messages', content_rowid = 'num', {FTS_OPTIONS});

CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, title) VALUES (new.num, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', old.num, old.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', old.num, old.title);
    INSERT INTO conversations_fts (rowid, title) VALUES (new.num, new.title);
END;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.num, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.num, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.num, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.num, new.text);
END;

INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
"""

# Versions: a message follows its parent (NULL: a first message); the versions at one place
# are the messages sharing a parent, in the order they were made (`num`), and `selected`
# marks the one shown. The shown branch keeps `position` as its index. Existing
# conversations become a single branch, each message following the one before it. The
# search index already covers every row, so every version is searchable.
V3_VERSIONS_UPGRADE = """
ALTER TABLE messages ADD COLUMN parent_id TEXT;
ALTER TABLE messages ADD COLUMN selected INTEGER NOT NULL DEFAULT 1;
UPDATE messages SET parent_id = (
    SELECT p.id FROM messages p
    WHERE p.conversation_id = messages.conversation_id
      AND (p.position < messages.position OR (p.position = messages.position AND p.num < messages.num))
    ORDER BY p.position DESC, p.num DESC LIMIT 1);
CREATE INDEX messages_by_parent ON messages(conversation_id, parent_id);
"""

# Responses: what a reply did on the Responses API. `tools` are its server-side tool
# calls (kind, query, code, output), `sources` the URLs it cites, `provider_items` the
# encrypted reasoning sent back on later turns; all JSON lists, NULL when empty. The
# queries and URLs also go into `text`, so the library's search finds them.
V4_RESPONSES_UPGRADE = """
ALTER TABLE messages ADD COLUMN tools TEXT;
ALTER TABLE messages ADD COLUMN sources TEXT;
ALTER TABLE messages ADD COLUMN provider_items TEXT;
"""

MIGRATIONS: tuple[str, ...] = (V1_SCHEMA, V2_UPGRADE, V3_VERSIONS_UPGRADE, V4_RESPONSES_UPGRADE)
CURRENT_VERSION = len(MIGRATIONS)


class NewerDatabase(Exception):
    """The file was written by a newer GrokDesk; it is left untouched."""


def user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def backup_path(db_path: Path, version: int, now: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    candidate = db_path.with_name(f"grokdesk-backup-v{version}-{stamp}.sqlite3")
    n = 1
    while candidate.exists():
        n += 1
        candidate = db_path.with_name(f"grokdesk-backup-v{version}-{stamp}-{n}.sqlite3")
    return candidate


def migrate(conn: sqlite3.Connection, db_path: Path) -> Path | None:
    """Bring the database to `CURRENT_VERSION`; returns the backup written first, if any.

    `conn` must be in autocommit mode (isolation_level=None). Each step runs in its own
    transaction together with its `user_version` bump, so a crash mid-migration leaves
    the previous version intact.
    """
    version = user_version(conn)
    if version > CURRENT_VERSION:
        raise NewerDatabase(
            f"{db_path} was written by a newer GrokDesk (schema {version}, this one knows {CURRENT_VERSION}). "
            "Update GrokDesk; the file has not been changed."
        )
    if version == CURRENT_VERSION:
        return None
    backup = None
    if version > 0:
        backup = _copy_file(conn, db_path, version)
    # Table rebuilds need foreign keys off (https://sqlite.org/lang_altertable.html, "12 steps");
    # the pragma is a no-op inside a transaction, so it is switched around each step.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for step in range(version, CURRENT_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(MIGRATIONS[step]):
                    conn.execute(statement)
                problems = conn.execute("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise sqlite3.IntegrityError(
                        f"migration to v{step + 1} broke foreign keys: {problems[:5]}"
                    )
                conn.execute(f"PRAGMA user_version = {step + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return backup


def _copy_file(conn: sqlite3.Connection, db_path: Path, version: int) -> Path:
    """A byte copy of the database, written under a temporary name first so a partial copy never looks whole."""
    # Fold any write-ahead log into the main file so the copy is complete (a no-op without WAL).
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = backup_path(db_path, version)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(db_path, partial)
    with partial.open("rb+") as file:
        os.fsync(file.fileno())
    partial.replace(target)
    return target


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (triggers contain inner semicolons)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements
