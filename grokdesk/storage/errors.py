"""Storage errors, sorted into environment problems a person can fix, and everything else.

Environment problems (full disk, read-only folder, a second GrokDesk on the same
folder, a corrupt file) carry a sentence the UI shows as is. Programming errors
(`sqlite3.ProgrammingError`, constraint violations from bad calls) are bugs and
propagate unchanged. `sqlite_errors` is the one place sqlite3 errors are mapped.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Primary SQLite result codes (https://sqlite.org/rescode.html); extended codes keep these in the low byte.
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class StorageError(Exception):
    """Base of every error raised by `grokdesk.storage`; `message` is meant for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(StorageError, LookupError):
    """No conversation with that id."""


class EnvironmentProblem(StorageError):
    """The computer, not the program, is in the way. Nothing in memory is lost; the user can export."""


class DiskFull(EnvironmentProblem):
    pass


class ReadOnly(EnvironmentProblem):
    pass


class DataDirLocked(EnvironmentProblem):
    """Another GrokDesk already uses this data folder."""


class DatabaseCorrupt(EnvironmentProblem):
    pass


class DiskError(EnvironmentProblem):
    """An input/output error or a file that cannot be opened."""


class ImportFailed(StorageError):
    """A file to import was refused; `message` gives the reason. Nothing of it was imported."""


def disk_full(path: Path) -> DiskFull:
    return DiskFull(
        f"The disk holding {path.parent} is full, so GrokDesk could not save. "
        "Free some space; your conversations are still open and you can export them."
    )


def read_only(path: Path) -> ReadOnly:
    return ReadOnly(
        f"GrokDesk cannot write to {path.parent}: the folder or file is read-only. "
        "Check its permissions, or start GrokDesk with --data-dir pointing to a writable folder."
    )


def locked(data_dir: Path) -> DataDirLocked:
    return DataDirLocked(
        f"Another GrokDesk is already using the data folder {data_dir}. "
        "Switch to that window, or close it first; two copies writing the same history would lose work."
    )


def corrupt(path: Path) -> DatabaseCorrupt:
    return DatabaseCorrupt(
        f"The database {path} is damaged. Export what is open if you can, then restart GrokDesk: "
        "it checks the file, sets a damaged one aside (it is never deleted) and starts a fresh one."
    )


def translate_sqlite(exc: sqlite3.Error, db_path: Path) -> StorageError | None:
    """The storage error for an sqlite3 error caused by the environment, or None for a bug."""
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError | sqlite3.IntegrityError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == SQLITE_FULL or "database or disk is full" in text:
        return disk_full(db_path)
    if primary in (SQLITE_READONLY, SQLITE_PERM) or "readonly database" in text:
        return read_only(db_path)
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return corrupt(db_path)
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return DataDirLocked(
            f"Another program (a database viewer, or a second GrokDesk) is holding {db_path}. "
            "Close it and try again; nothing has been lost."
        )
    if primary in (SQLITE_IOERR, SQLITE_CANTOPEN):
        return DiskError(f"GrokDesk could not read or write {db_path}: {exc}. Check the disk and the folder.")
    return None


def translate_os(exc: OSError, path: Path) -> StorageError | None:
    """The storage error for a failed file operation, or None when it is not the environment's fault."""
    if exc.errno == errno.ENOSPC:
        return disk_full(path)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return read_only(path)
    if exc.errno == errno.EIO:
        return DiskError(f"GrokDesk could not read or write {path}: {exc.strerror}. Check the disk.")
    return None


@contextmanager
def sqlite_errors(db_path: Path) -> Iterator[None]:
    """Re-raise environment failures of the block as `EnvironmentProblem`s; bugs pass through."""
    try:
        yield
    except sqlite3.Error as exc:
        mapped = translate_sqlite(exc, db_path)
        if mapped is None:
            raise
        raise mapped from exc
    except OSError as exc:
        mapped = translate_os(exc, db_path)
        if mapped is None:
            raise
        raise mapped from exc
