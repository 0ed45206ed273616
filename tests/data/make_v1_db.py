"""Writes grokdesk-v1.sqlite3: a database as GrokDesk schema version 1 left it.

Kept with its output so the migration test runs against a real old file, not one
built by today's code. The DDL below is a frozen copy of schema version 1; do not
update it when the schema changes. Run: python tests/data/make_v1_db.py
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

OUT = Path(__file__).with_name("grokdesk-v1.sqlite3")

V1_DDL = """
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
PRAGMA user_version = 1;
"""

CONVERSATIONS = [
    ("c1", "Pasta for four", "grok-3", "You are a chef.", 1_690_000_000.0, 1_690_000_300.0),
    ("c2", "Fixing a bike chain", "grok-3-mini", "", 1_690_100_000.0, 1_690_100_200.0),
]
MESSAGES = [
    ("m1", "c1", 0, "user", "How much spaghetti for four people?", None, 1_690_000_010.0, "complete"),
    ("m2", "c1", 1, "assistant", "About 400 g of dry spaghetti.", "grok-3", 1_690_000_020.0, "complete"),
    ("m3", "c1", 2, "user", "And sauce?", None, 1_690_000_200.0, "complete"),
    ("m4", "c1", 3, "assistant", "Roughly 500 g of tomato sau", "grok-3", 1_690_000_210.0, "streaming"),
    ("m5", "c2", 0, "user", "My chain keeps slipping off the derailleur.", None, 1_690_100_010.0, "complete"),
    ("m6", "c2", 1, "assistant", "Check the limit screws first.", "grok-3-mini", 1_690_100_020.0, "complete"),
]


def main() -> None:
    OUT.unlink(missing_ok=True)
    conn = sqlite3.connect(OUT)
    conn.executescript(V1_DDL)
    conn.executemany("INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?)", CONVERSATIONS)
    conn.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)", MESSAGES)
    conn.commit()
    conn.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
