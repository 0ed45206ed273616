"""Nothing that goes wrong is lost from the log file, and the next start says so.

A double-clicked app has no console: an exception in a Qt slot, in a thread or in an
asyncio callback would only reach stderr, and a native crash would leave nothing. So
the three Python hooks log with the traceback, and faulthandler writes a native crash
to `crash.txt` in the logs folder. A marker file lives as long as the app runs; left
behind, it means the last run did not quit (a crash, a kill, a power cut), which the
next start says once, beside the crash file if there is one. No Qt here.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

log = logging.getLogger("grokdesk.crash")

RUNNING_MARKER = "running.pid"
CRASH_FILE = "crash.txt"


def log_uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """`sys.excepthook`: an exception nothing caught (in a Qt slot, say) goes to the log."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log.critical("uncaught exception", exc_info=(kind, value, tb))


def log_thread_exception(args: threading.ExceptHookArgs) -> None:
    """`threading.excepthook`: the same for an exception that ends a thread."""
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "?"
    log.critical(
        "uncaught exception in thread %s", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
    )


def log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The asyncio loop's handler: a failed callback or a task nobody awaited."""
    error = context.get("exception")
    message = context.get("message") or "asyncio error"
    if isinstance(error, BaseException):
        log.error("%s", message, exc_info=error)
    else:
        log.error("%s: %s", message, {k: v for k, v in context.items() if k != "message"})


def install_exception_logging(
    loop: asyncio.AbstractEventLoop | None = None, *, early_faults_to_stderr: bool = False
) -> None:
    """The hooks above; with `early_faults_to_stderr`, a native crash before the crash
    file is opened (`CrashReport.begin`) is written to stderr when there is one."""
    sys.excepthook = log_uncaught
    threading.excepthook = log_thread_exception
    if loop is not None:
        loop.set_exception_handler(log_loop_exception)
    if early_faults_to_stderr and sys.stderr is not None:
        # No usable stderr (a windowed build): the crash file comes moments later.
        with contextlib.suppress(AttributeError, ValueError, OSError):
            faulthandler.enable(sys.stderr)


class CrashReport:
    """`begin()` once the data folder is ours (not while another GrokDesk holds it);
    `end()` after a clean quit."""

    def __init__(self, log_dir: Path, *, catch_faults: bool = True) -> None:
        """`catch_faults=False` leaves faulthandler alone (a host process, such as a test
        runner, may have its own)."""
        self.log_dir = Path(log_dir)
        self._catch_faults = catch_faults
        self._file: IO[str] | None = None

    @property
    def crash_file(self) -> Path:
        return self.log_dir / CRASH_FILE

    def begin(self) -> str | None:
        """Start watching this run; returns what to tell the user about the last one
        (None when it quit normally)."""
        marker = self.log_dir / RUNNING_MARKER
        message = None
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            kept = self._keep_last_crash()
            if kept is not None:
                message = f"GrokDesk crashed the last time it ran. What it wrote then is in {kept.name}."
            elif marker.exists():
                message = (
                    "GrokDesk did not quit normally the last time it ran (it crashed, was killed, "
                    "or the computer stopped). The open tabs and drafts are as they were a second before."
                )
            marker.write_text(str(os.getpid()), encoding="utf-8")
            if self._catch_faults:
                self._file = self.crash_file.open("w", encoding="utf-8")  # open for the whole run
                faulthandler.enable(self._file, all_threads=True)
        except OSError as exc:
            log.warning("crash reporting is off: %s", exc)
        if message is not None:
            log.warning("%s", message)
        return message

    def end(self) -> None:
        """The app quit normally: nothing to report next time."""
        if self._file is not None:
            faulthandler.disable()
            self._file.close()
            self._file = None
        try:
            if self.crash_file.exists() and self.crash_file.stat().st_size == 0:
                self.crash_file.unlink()
            (self.log_dir / RUNNING_MARKER).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not tidy the logs folder: %s", exc)

    def _keep_last_crash(self) -> Path | None:
        """A crash file with something in it is renamed (kept for the user) and reported once."""
        try:
            if self.crash_file.stat().st_size == 0:
                return None
        except FileNotFoundError:
            return None
        kept = self.log_dir / time.strftime("crash-%Y%m%d-%H%M%S.txt")
        self.crash_file.replace(kept)
        return kept
