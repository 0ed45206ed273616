"""An exclusive lock on the data folder, so a second GrokDesk tells the user instead of writing beside the first.

The operating system releases the lock when the process dies (even on SIGKILL), so
a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from grokdesk.storage.errors import locked, translate_os

LOCK_NAME = "grokdesk.lock"


class DataDirLock:
    """Held from `acquire` until `release`; raises `DataDirLocked` when another process (or Store) holds it."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        path = data_dir / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            mapped = translate_os(exc, path)
            if mapped is None:
                raise
            raise mapped from exc
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            raise locked(data_dir) from exc
        return cls(fd, path)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        # flock locks belong to the open file description: a second open in the same process conflicts too.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
