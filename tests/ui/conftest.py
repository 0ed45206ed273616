"""Fixtures for tests of the real main window against the fake xAI server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from pytestqt.qtbot import QtBot

from grokdesk.app import create_main_window
from grokdesk.ui.mainwindow import MainWindow
from tests.helpers.fake_xai import FakeXai

MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot, qloop: object, fake_xai: FakeXai, tmp_path: Path) -> Iterator[MakeWindow]:
    """Build the real, wired main window (as `grokdesk` does) against the fake server.

    Every window made is shut down at the end as the app does on quit, so the store
    is closed and every partial reply saved."""
    made: list[MainWindow] = []

    def make(
        *, data_dir: Path | None = None, api_key: str | None = "default", model: str = "grok-3"
    ) -> MainWindow:
        key = fake_xai.api_key if api_key == "default" else api_key
        window = create_main_window(
            data_dir=data_dir or tmp_path / "data", base_url=fake_xai.base_url, api_key=key
        )
        # Not qtbot.addWidget: pytest-qt would delete the window before this fixture
        # shuts it down the way the app does.
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        # As a user first sees it: the conversation is shown right after the first paint.
        qtbot.waitUntil(lambda: window.has_painted_content, timeout=5000)
        for tab in window.open_tabs():
            if not tab.controller.conversation.messages:
                tab.select_model(model)
        made.append(window)
        return window

    yield make
    for window in made:
        if shiboken6.isValid(window):  # a test may have shut it down itself
            shut_down(qtbot, window)


def shut_down(qtbot: QtBot, window: MainWindow) -> None:
    """Quit the window the way the app does (stop, save, close the store) and wait."""
    import asyncio

    task = asyncio.get_event_loop().create_task(window.shutdown_all())
    qtbot.waitUntil(task.done, timeout=10_000)
    task.result()
    window.close()
    window.deleteLater()
    # processEvents() leaves deferred deletes alone: delete the window now, so none of
    # its timers fire in a later test after this test's event loop is gone.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
