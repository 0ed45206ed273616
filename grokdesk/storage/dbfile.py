"""Opening the database file safely: check it before trusting it, and set a damaged one aside.

A damaged file is never deleted or repaired in place: it is renamed with a dated
name beside the new one, so nothing the user had is destroyed (lost history after an update or a crash is
the most damaging failure other chat clients are known for).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from pathlib import Path
from typing import NoReturn

from grokdesk.storage.errors import DatabaseCorrupt, corrupt, sqlite_errors, translate_os, translate_sqlite

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
# `quick_check` reads every page, so on a big library (image bytes) it would delay the start
# by seconds. Above this size the start checks every table but `images`; `full_check` (run
# by the app once the window is up) covers the rest.
FULL_CHECK_BYTES = 64 * 1024 * 1024
# Left beside the database when damage is found while running: the next start checks it all.
DAMAGE_MARKER_SUFFIX = ".damaged"
_TABLE_NAME = re.compile(r"\w+")


def connect_checked(path: Path) -> sqlite3.Connection:
    """A checked connection in autocommit mode; raises `DatabaseCorrupt` when the file is damaged.

    Journal mode is left as found, so a file from a newer GrokDesk, or one about to be
    backed up before a migration, is not rewritten first.
    """
    if _not_a_database(path):
        # Checked before SQLite sees it: SQLite could otherwise treat a stray -wal beside it as its own.
        raise DatabaseCorrupt(f"{path} is not an SQLite database")
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        _raise_mapped(exc, path)
    try:
        conn.execute("PRAGMA busy_timeout = 2000")
        conn.execute("PRAGMA foreign_keys = ON")
        marker = damage_marker(path)
        if marker.exists() or not path.exists() or path.stat().st_size <= FULL_CHECK_BYTES:
            full_check(conn, path)
        else:
            for table in _tables_checked_at_start(conn):
                _check(conn, path, f"PRAGMA quick_check({table})")
        marker.unlink(missing_ok=True)
    except sqlite3.Error as exc:
        conn.close()
        _raise_mapped(exc, path)
    except BaseException:
        conn.close()
        raise
    return conn


def full_check(conn: sqlite3.Connection, path: Path) -> None:
    """Check every page; raises `DatabaseCorrupt` when the file is damaged."""
    _check(conn, path, "PRAGMA quick_check")


def damage_marker(path: Path) -> Path:
    return path.with_name(path.name + DAMAGE_MARKER_SUFFIX)


def _check(conn: sqlite3.Connection, path: Path, pragma: str) -> None:
    result = [r[0] for r in conn.execute(pragma).fetchall()]
    if result != ["ok"]:
        log.warning("%s failed %s: %s", path, pragma, "; ".join(map(str, result))[:500])
        raise corrupt(path)


def _tables_checked_at_start(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name != 'images' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
    ).fetchall()
    return [r[0] for r in rows if _TABLE_NAME.fullmatch(r[0])]


def _not_a_database(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return False
    except OSError as exc:
        mapped = translate_os(exc, path)
        if mapped is None:
            raise
        raise mapped from exc
    # An empty file is a valid empty database.
    return head != SQLITE_HEADER and len(head) > 0


def _raise_mapped(exc: sqlite3.Error, path: Path) -> NoReturn:
    mapped = translate_sqlite(exc, path)
    if mapped is None:
        raise exc
    raise mapped from exc


def move_aside(path: Path) -> Path:
    """Rename a damaged database (and its -wal/-shm) to a dated name beside it; never deletes."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"grokdesk-corrupt-{stamp}.sqlite3")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"grokdesk-corrupt-{stamp}-{n}.sqlite3")
    with sqlite_errors(path):
        for suffix in ("-wal", "-shm"):
            companion = path.with_name(path.name + suffix)
            if companion.exists():
                companion.replace(target.with_name(target.name + suffix))
        path.replace(target)
    return target
