"""Garbage is collected on the UI thread, never by whichever thread allocates."""

from __future__ import annotations

import gc

from pytestqt.qtbot import QtBot

from grokdesk.ui.gcguard import UiThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collects_on_its_timer_with_automatic_collection_off(qtbot: QtBot) -> None:
    collector = UiThreadCollector()
    collector.start()
    try:
        assert not gc.isenabled()
        gc.collect()
        for _ in range(gc.get_threshold()[0] + 50):
            Cycle()
        assert gc.get_count()[0] > gc.get_threshold()[0]  # nothing collected them meanwhile
        assert collector.collect_if_due() > 0
        assert gc.get_count()[0] < gc.get_threshold()[0]
    finally:
        collector.stop()
    assert gc.isenabled()
