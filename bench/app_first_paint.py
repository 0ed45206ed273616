"""GrokDesk exactly as `grokdesk --smoke` runs it, printing the time of the main window's first paint.

Usage: python bench/app_first_paint.py --data-dir DIR --base-url URL   (key in XAI_API_KEY)
Prints `BENCH paint=<time.monotonic()>` when MainWindow.painted fires (the window's first
paint) and `BENCH content=<time.monotonic()>` when MainWindow.content_painted fires (the
current tab's conversation painted too; the same moment when the transcript renders before
the first paint); the process then goes on to its normal `--smoke` shutdown, which starts
at the content paint (its exit time is the `--smoke` wall time). With BENCH_EXIT_AT_PAINT
set in the environment it exits at the first paint instead.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import grokdesk.app as app_module

_create = app_module.create_main_window


def _create_and_watch(**kwargs: Any) -> Any:
    window = _create(**kwargs)
    window.painted.connect(lambda: print(f"BENCH paint={time.monotonic():.6f}", flush=True))
    if os.environ.get("BENCH_EXIT_AT_PAINT"):
        window.painted.connect(lambda: os._exit(0))  # (bench_startup_instructions.py)
    content = getattr(window, "content_painted", None)  # absent before it existed: the same moment
    (content or window.painted).connect(lambda: print(f"BENCH content={time.monotonic():.6f}", flush=True))
    return window


app_module.create_main_window = _create_and_watch  # run_gui looks the name up at call time

if __name__ == "__main__":
    sys.exit(app_module.main(["--smoke", *sys.argv[1:]]))
