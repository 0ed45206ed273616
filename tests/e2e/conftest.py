"""Fixtures for end-to-end tests: the real window, wired as `grokdesk` wires it, with
short client timeouts and backoff, a log file like the app's, and a probe of UI stalls."""

from __future__ import annotations

import gc
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QTimer
from pytestqt.qtbot import QtBot

from grokdesk.app import SETTINGS_NAME, create_main_window, setup_logging
from grokdesk.storage.store import DB_NAME
from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.mainwindow import MainWindow
from grokdesk.ui.settings.appsettings import AppSettings
from tests.helpers.fake_xai import FakeXai
from tests.helpers.qtdoc import document_anchors
from tests.ui.conftest import shut_down

# Short enough that a stall or a silent server is seen in about a second; retries back off
# for milliseconds. Two retries: three attempts in all before the user is told.
FAST_CLIENT: dict[str, Any] = {
    "connect_timeout": 3.0,
    "first_token_timeout": 1.5,
    "stall_timeout": 0.6,
    "max_retries": 2,
    "backoff_base": 0.01,
}


class StallProbe:
    """A 5 ms timer on the UI thread; `longest` is the longest gap between its ticks
    (how long the UI could not have answered a click), in seconds."""

    running: ClassVar[list[StallProbe]] = []

    def __init__(self) -> None:
        # Parented to the application and deleted in stop(), on this thread: a QTimer
        # left to Python's garbage collector may be destroyed from another thread.
        self._timer = QTimer(QCoreApplication.instance())
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.longest = 0.0
        self.ticks = 0

    def start(self) -> StallProbe:
        self._last = time.perf_counter()
        self._timer.start()
        StallProbe.running.append(self)
        return self

    def stop(self) -> float:
        if self in StallProbe.running:
            StallProbe.running.remove(self)
            self._tick()  # the gap up to now counts too
            self._timer.stop()
            shiboken6.delete(self._timer)
        return self.longest

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now
        self.ticks += 1


@dataclass
class Windows:
    """Makes real main windows; each is shut down (as on quit) at the end unless `close`d before.
    `api_key`: "fake" for the fake server's key (as `XAI_API_KEY`), None for the keyring's."""

    qtbot: QtBot
    fake: FakeXai
    data_dir: Path
    made: list[MainWindow]

    def open(
        self,
        *,
        base_url: str | None = None,
        data_dir: Path | None = None,
        api_key: str | None = "fake",
        client_options: dict[str, Any] | None = None,
        model: str = "grok-3",
        api: str | None = None,
    ) -> MainWindow:
        if api is not None:
            # The Settings choice for this server: "automatic", "responses" or "chat".
            data = data_dir or self.data_dir
            data.mkdir(parents=True, exist_ok=True)
            settings = AppSettings.at_path(data / SETTINGS_NAME)
            settings.set_api_mode(base_url or self.fake.base_url, api)
            settings.sync()
        window = create_main_window(
            data_dir=data_dir or self.data_dir,
            base_url=base_url or self.fake.base_url,
            api_key=self.fake.api_key if api_key == "fake" else api_key,
            client_options=FAST_CLIENT if client_options is None else client_options,
        )
        window.show()
        self.qtbot.waitExposed(window)
        for tab in window.open_tabs():
            if not tab.controller.conversation.messages:
                tab.select_model(model)
        self.made.append(window)
        return window

    def close(self, window: MainWindow) -> None:
        """Quit as the app does: stop replies, save, close the store (so it can be reopened)."""
        self.made.remove(window)
        shut_down(self.qtbot, window)
        self.qtbot.wait(1)  # let deleteLater run


@pytest.fixture(autouse=True)
def _stop_probes() -> Iterator[None]:
    """A test that failed before stopping its probe does not leave it ticking."""
    yield
    for probe in list(StallProbe.running):
        probe.stop()


@pytest.fixture(autouse=True)
def _collect_on_this_thread() -> Iterator[None]:
    """No automatic garbage collection while a test runs: triggered by an allocation on
    another thread (the fake server's, the store's), it would destroy Qt objects there,
    which Qt answers with a segfault (seen in `QTimerInfoList::activateTimers`). Collected here instead."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.fixture
def windows(qtbot: QtBot, qloop: object, fake_xai: FakeXai, tmp_path: Path) -> Iterator[Windows]:
    maker = Windows(qtbot, fake_xai, tmp_path / "data", [])
    yield maker
    for window in list(maker.made):
        maker.close(window)


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    """The app's own logging set-up (file in <data>/logs, key filter), with GrokDesk's
    DEBUG records (request headers) included; undone afterwards."""
    root, ours = logging.getLogger(), logging.getLogger("grokdesk")
    before, levels = list(root.handlers), (root.level, ours.level)
    setup_logging(tmp_path / "data")
    ours.setLevel(logging.DEBUG)
    yield tmp_path / "data" / "logs" / "grokdesk.log"
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


def current(window: MainWindow) -> ConversationTab:
    tab = window.current_tab()
    assert tab is not None
    return tab


def saved_messages(data_dir: Path, conversation_id: str) -> list[tuple[str, str, str, str | None]]:
    """(role, text, state, error) of each saved message, read from the database file on disk
    through a separate read-only connection (the app may still have it open)."""
    db = data_dir / DB_NAME
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute(
            "SELECT role, text, state, error FROM messages WHERE conversation_id = ? ORDER BY position",
            (conversation_id,),
        ).fetchall()
    conn.close()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def key_variants(key: str) -> list[bytes]:
    """The key's bytes as they could leak: whole, without the `xai-` prefix, UTF-16."""
    bare = key.removeprefix("xai-")
    return [key.encode(), bare.encode(), key.encode("utf-16-le"), bare.encode("utf-16-le")]


def files_containing(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path} holds {needle!r}" for needle in needles if needle in data]
    return found


def anchors(tab: ConversationTab) -> list[str]:
    """Every link target in the transcript's document."""
    return document_anchors(tab.transcript.document())
