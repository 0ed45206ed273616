"""The library panel on 5,000 saved conversations: loading the list, and search while typing.

A data folder with 5,000 conversations (10 messages each) is built once and kept in
bench/out/. The real `LibraryPanel` runs on a qasync loop with a real `StoreWorker`:

- library.refresh: `refresh()` to the list shown (list_conversations, day grouping, layout);
- library.search_keystroke: each keystroke of a word typed at 12 keys/s to its results on
  screen (the panel searches at once, no debounce);
- library.refresh_stall / typing_stall: the longest event-loop stall (StallProbe) while the list
  loads, and while a word is typed.

    python bench/bench_library.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C

CONVERSATIONS = 5_000
MESSAGES = 10
TYPING_INTERVAL_S = 1 / 12
WORDS_TYPED = ("sourdough", "eiffel tower", "lifetimes")
STALL_TARGET_MS = 50.0


def prepare(folder: Path) -> None:
    marker = folder / "bench-ready"
    if marker.exists():
        return
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    convs = [C.conversation(MESSAGES, seed=i, tokens_per_reply=80) for i in range(CONVERSATIONS)]
    # A few conversations the typed words find.
    for i, topic in enumerate(("sourdough starter", "the eiffel tower at night", "rust lifetimes")):
        convs[i * 1000].messages[1].append_text(f" A note on {topic}.")
    C.store_conversations(folder, convs)
    marker.write_text(f"{CONVERSATIONS} conversations of {MESSAGES} messages\n")


async def measure(folder: Path, rounds: int) -> None:
    from grokdesk.storage.worker import StoreWorker
    from grokdesk.ui.library.panel import LibraryPanel

    worker = StoreWorker(folder)
    await asyncio.wrap_future(worker.ready)

    def run(name: Any, *args: Any) -> Any:
        return asyncio.wrap_future(worker.call(name, *args))

    panel = LibraryPanel(run)
    panel.resize(360, 800)
    panel.show()
    refresh_ms: list[float] = []
    keystroke_ms: list[float] = []
    refresh_stalls: list[float] = []
    typing_stalls: list[float] = []
    try:
        for _ in range(rounds):
            done = asyncio.Event()
            panel.list_refreshed.connect(done.set)
            probe = C.StallProbe().start()
            t0 = time.perf_counter()
            panel.refresh()
            await done.wait()
            await asyncio.sleep(0.05)  # let the first paint of the list happen inside the probe
            refresh_ms.append(C.ms(time.perf_counter() - t0 - 0.05))
            probe.stop()
            refresh_stalls.append(probe.max_ms)
            panel.list_refreshed.disconnect(done.set)

            for word in WORDS_TYPED:
                panel.searchBox.clear()
                shown: dict[str, float] = {}
                panel.search_results_shown.connect(
                    lambda q, shown=shown: shown.setdefault(q, time.perf_counter())
                )
                probe = C.StallProbe().start()
                typed_at: dict[str, float] = {}
                for ch in word:
                    panel.searchBox.insert(ch)
                    typed_at[panel.searchBox.text().strip()] = time.perf_counter()
                    await asyncio.sleep(TYPING_INTERVAL_S)
                final = word.strip()
                await C.until(lambda final=final, shown=shown: final in shown, timeout=30)
                probe.stop()
                typing_stalls.append(probe.max_ms)
                keystroke_ms.append(C.ms(shown[final] - typed_at[final]))
                panel.search_results_shown.disconnect()
    finally:
        panel.close()
        panel.deleteLater()
        worker.close()
    C.report("library.refresh", refresh_ms, unit="ms", note=f"{CONVERSATIONS} conversations")
    C.report(
        "library.search_keystroke",
        keystroke_ms,
        unit="ms",
        target=250.0,
        note="last keystroke to results shown",
    )
    C.report(
        "library.refresh_stall",
        refresh_stalls,
        unit="ms",
        target=STALL_TARGET_MS,
        note="longest UI stall per load",
    )
    C.report(
        "library.typing_stall",
        typing_stalls,
        unit="ms",
        target=STALL_TARGET_MS,
        note="longest UI stall per word",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    C.setup_env()
    C.banner("bench_library")
    folder = C.OUT / "library-5000"
    t0 = time.perf_counter()
    prepare(folder)
    print(f"# data folder ready in {time.perf_counter() - t0:.1f} s ({folder})", flush=True)
    C.run_in_qasync(lambda: measure(folder, args.rounds))


if __name__ == "__main__":
    main()
