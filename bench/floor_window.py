"""The start-up floor: a bare PySide6 QMainWindow, shown, quitting right after its first paint.

Prints `BENCH paint=<time.monotonic()>` (CLOCK_MONOTONIC, comparable with the parent's clock).
With `--hold`, stays up after the first paint and prints `BENCH rss_kib=... pss_kib=...` after
`--hold` seconds instead (the memory floor).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


def _memory() -> str:
    fields = {}
    with Path("/proc/self/smaps_rollup").open() as f:
        for line in f:
            parts = line.split()
            if parts[0] in ("Rss:", "Pss:"):
                fields[parts[0][:-1].lower()] = parts[1]
    return f"rss_kib={fields['rss']} pss_kib={fields['pss']}"


class Window(QMainWindow):
    def __init__(self, hold: float | None) -> None:
        super().__init__()
        self.hold = hold
        self.done = False
        self.resize(1000, 720)
        self.setWindowTitle("floor")

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.done:
            self.done = True
            print(f"BENCH paint={time.monotonic():.6f}", flush=True)
            if os.environ.get("BENCH_EXIT_AT_PAINT"):
                os._exit(0)  # (bench_startup_instructions.py: count up to here only)
            if self.hold is None:
                QTimer.singleShot(0, QApplication.quit)
            else:
                QTimer.singleShot(int(self.hold * 1000), self.report)

    def report(self) -> None:
        print(f"BENCH {_memory()}", flush=True)
        QApplication.quit()


def main() -> int:
    hold = float(sys.argv[sys.argv.index("--hold") + 1]) if "--hold" in sys.argv else None
    app = QApplication(sys.argv[:1])
    window = Window(hold)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
