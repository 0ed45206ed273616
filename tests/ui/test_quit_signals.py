"""Quit signals reach the Qt loop as a request to quit, even while Qt's loop waits."""

from __future__ import annotations

import os
import signal

import pytest
from pytestqt.qtbot import QtBot

from grokdesk.ui.quitsignals import QUIT_SIGNALS, QuitSignals


@pytest.mark.parametrize("signum", QUIT_SIGNALS, ids=lambda number: signal.Signals(number).name)
def test_each_quit_signal_asks_to_quit_once_through_the_qt_loop(qtbot: QtBot, signum: int) -> None:
    signals = QuitSignals()
    before = signal.getsignal(signum)
    signals.install()
    try:
        with qtbot.waitSignal(signals.requested, timeout=2000) as blocker:
            os.kill(os.getpid(), signum)  # handled in Qt's loop, not by Python's default
        assert blocker.args == [signal.Signals(signum).name]
    finally:
        signals.uninstall()
        signals.deleteLater()
    assert signal.getsignal(signum) == before
