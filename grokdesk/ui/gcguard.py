"""Cyclic garbage collection on the UI thread only.

Python's collector runs in whichever thread happens to allocate when a threshold is
crossed: the store's worker, an image-intake thread, an executor. If the garbage it
finds holds Qt wrappers, their C++ objects are destroyed on that thread, which Qt
does not allow and which crashes at random (seen in the end-to-end tests). So the
automatic collector is switched off and the same generational thresholds are
checked from a timer on the UI thread (the approach qutebrowser takes).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500


class UiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.collect_if_due)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    def collect_if_due(self) -> int:
        """Collect the generations whose allocation counts passed their thresholds."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        collected = 0
        for generation in (2, 1, 0):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                collected += gc.collect(generation)
                break
        return collected
