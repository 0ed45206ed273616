"""Whatever goes wrong reaches the log file with its traceback, and the next start says
when the last run did not quit normally."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from grokdesk import crashreport
from grokdesk.app import setup_logging
from grokdesk.core.conversation import MessageState
from grokdesk.crashreport import CRASH_FILE, RUNNING_MARKER, CrashReport
from grokdesk.ui.chat import controller as controller_module
from tests.helpers.fake_xai import FakeXai
from tests.ui.conftest import MakeWindow


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The app's logging set-up and its exception hooks, undone afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    hooks = sys.excepthook, threading.excepthook
    setup_logging(tmp_path / "data")
    crashreport.install_exception_logging()
    yield tmp_path / "data" / "logs" / "grokdesk.log"
    sys.excepthook, threading.excepthook = hooks
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def broken_slot() -> None:
    raise ZeroDivisionError("a bug in a slot")


@pytest.mark.allow_log_errors
@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_reaches_the_log_file_with_its_traceback(qtbot: QtBot, log_file: Path) -> None:
    button = QPushButton("boom")
    qtbot.addWidget(button)
    button.clicked.connect(broken_slot)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    text = log_file.read_text(encoding="utf-8")
    assert "uncaught exception" in text
    assert "Traceback (most recent call last)" in text
    assert 'in broken_slot\n    raise ZeroDivisionError("a bug in a slot")' in text


@pytest.mark.allow_log_errors
def test_a_thread_and_an_asyncio_callback_failing_reach_the_log_file(log_file: Path, qloop: object) -> None:
    def worker_bug() -> None:
        raise KeyError("a bug in a thread")

    thread = threading.Thread(target=worker_bug, name="worker")
    thread.start()
    thread.join()
    loop = asyncio.get_event_loop()
    previous = loop.get_exception_handler()
    crashreport.install_exception_logging(loop)
    try:
        try:
            raise LookupError("a bug in a callback")
        except LookupError as error:
            loop.call_exception_handler({"message": "Exception in callback", "exception": error})
    finally:
        loop.set_exception_handler(previous)
    text = log_file.read_text(encoding="utf-8")
    assert "uncaught exception in thread worker" in text
    assert "in worker_bug\n    raise KeyError" in text
    assert "Exception in callback" in text
    assert 'raise LookupError("a bug in a callback")' in text


# In this process pytest's own faulthandler stays in place: catch_faults=False.
def test_the_next_start_says_once_that_the_last_run_did_not_quit(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    report = CrashReport(logs, catch_faults=False)
    assert report.begin() is None  # a first start
    assert (logs / RUNNING_MARKER).exists()
    # Killed: no end(). The next start says so, once.
    told = CrashReport(logs, catch_faults=False).begin()
    assert told is not None and "did not quit normally" in told
    report = CrashReport(logs, catch_faults=False)
    assert report.begin() is not None  # still running from the last begin()
    report.end()
    assert not (logs / RUNNING_MARKER).exists()
    assert CrashReport(logs, catch_faults=False).begin() is None


def test_a_native_crash_leaves_its_traceback_in_the_crash_file(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    crash = (
        "import faulthandler, pathlib, sys\n"
        "from grokdesk.crashreport import CrashReport\n"
        "CrashReport(pathlib.Path(sys.argv[1])).begin()\n"
        "faulthandler._sigsegv()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", crash, str(logs)], capture_output=True, timeout=60, check=False
    )
    assert result.returncode != 0
    written = (logs / CRASH_FILE).read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in written
    told = CrashReport(logs, catch_faults=False).begin()
    assert told is not None and "crashed" in told
    [kept] = logs.glob("crash-*.txt")
    assert kept.read_text(encoding="utf-8") == written and kept.name in told


def test_the_window_says_it_and_offers_the_log_folder(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    window = make_window()
    logs = tmp_path / "data" / "logs"
    window.tell_last_run_ended_badly("GrokDesk did not quit normally the last time it ran.", logs)
    tab = window.current_tab()
    assert tab is not None and tab.notice.isVisible()
    assert "did not quit normally" in tab.notice.label.text()
    assert tab.notice.action_button.text() == "Open the log folder"
    qtbot.mouseClick(tab.notice.action_button, Qt.MouseButton.LeftButton)
    assert opened == [str(logs)]


@pytest.mark.allow_log_errors
def test_an_unexpected_failure_during_a_turn_ends_the_reply_with_retry(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_xai: FakeXai,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tab = make_window().current_tab()
    assert tab is not None

    def broken(*_args: object, **_kwargs: object) -> dict[str, object]:
        raise RuntimeError("a bug while building the request")

    monkeypatch.setattr(controller_module, "build_chat_request", broken)
    monkeypatch.setattr(controller_module, "build_responses_request", broken)
    tab.composer.setPlainText("hello")
    tab.send()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    reply = tab.controller.conversation.messages[-1]
    assert reply.state is MessageState.FAILED
    assert reply.error is not None and "unexpected problem (RuntimeError)" in reply.error
    assert "Retry" in tab.transcript.plain_text()
    assert any(r.exc_info and "a bug while building" in str(r.exc_info[1]) for r in caplog.records)

    monkeypatch.undo()
    tab.controller.retry(reply.id)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    final = tab.controller.conversation.messages[-1]
    assert final.state is MessageState.COMPLETE and final.plain_text == "Echo: hello"
