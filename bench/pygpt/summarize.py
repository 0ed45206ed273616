"""Prints the py-gpt vs GrokDesk start-up and idle-memory lines (bench format) from run.sh's JSON files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import common as C


def main() -> None:
    results = Path(sys.argv[1])
    pygpt = json.loads((results / "startup_relaunch_warm.json").read_text())["runs"]
    ours = json.loads((results / "grokdesk_startup.json").read_text())["runs"]
    note = "Xvfb, no WM, spawn to MapNotify of the main window"
    C.report(
        "pygpt.startup_window_mapped", [r["t_main_mapped_s"] * 1000 for r in pygpt], unit=" ms", note=note
    )
    C.report(
        "pygpt.grokdesk_startup_window_mapped",
        [r["t_main_mapped_s"] * 1000 for r in ours],
        unit=" ms",
        note=note + "; 200 conversations, 5 tabs",
    )
    for key, label in (("rss_total_mib", "rss"), ("pss_total_mib", "pss")):
        C.report(
            f"pygpt.idle_{label}",
            [r[key] for r in pygpt],
            unit=" MiB",
            note=f"whole process tree 10 s after the window mapped, {pygpt[0]['n_procs']} processes",
        )
        C.report(
            f"pygpt.grokdesk_idle_{label}",
            [r[key] for r in ours],
            unit=" MiB",
            note=f"whole process tree 10 s after the window mapped, {ours[0]['n_procs']} processes",
        )


if __name__ == "__main__":
    main()
