"""Search: 5,000 conversations with 100,000 messages; a keystroke in `searchBox` to results shown.

The data folder is built once with Store directly and kept in bench/out/search-100k.
  search.store: Store.search through the store worker (call to result), per query;
  search.keystroke: the real LibraryPanel (grokdesk/ui/library/panel.py) on a qasync loop with a
      real StoreWorker: the last key of a word typed with QTest.keyClick (12 keys/s) to the
      first paint of the result list after `search_results_shown` for that text. The panel
      searches at once on a key (a key typed while a search is in flight is searched when
      it answers), so this is all work, no waiting.

    python bench/bench_search.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C

CONVERSATIONS = 5_000
MESSAGES_EACH = 20
TARGET_MS = 100.0
TYPING_INTERVAL_S = 1 / 12
# Typed words: rare planted words, a common word (50 title hits), two common words (the 50 best of
# many matching messages), a word that matches nothing.
TYPED = ("sourdough", "eiffel tower", "lifetimes", "memory", "timer signal", "zzyzx")


def prepare(folder: Path) -> None:
    marker = folder / "bench-ready"
    if marker.exists():
        return
    from grokdesk.core.conversation import Conversation, Message, Role
    from grokdesk.storage.store import Store

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(5000)
    store = Store.open(folder)
    planted = {17: "sourdough starter", 2017: "the eiffel tower at night", 4017: "rust lifetimes"}
    try:
        with store.transaction():
            for i in range(CONVERSATIONS):
                conv = Conversation(title=f"Chat {i} about {rng.choice(C.WORDS)}", model="grok-3")
                conv.created_at = conv.updated_at = time.time() - i * 3600
                store.save_conversation(conv)
                for j in range(MESSAGES_EACH):
                    words = " ".join(rng.choice(C.WORDS) for _ in range(rng.randint(20, 70)))
                    if j == 5 and i in planted:
                        words += f" A note on {planted[i]}."
                    role = Role.USER if j % 2 == 0 else Role.ASSISTANT
                    message = Message.text(
                        role, words if role is Role.USER else f"## {words[:30]}\n\n{words}"
                    )
                    store.save_message(conv.id, message, j)
    finally:
        store.close()
    marker.write_text(f"{CONVERSATIONS} conversations, {CONVERSATIONS * MESSAGES_EACH} messages\n")


async def bench(folder: Path, rounds: int) -> None:
    from PySide6.QtTest import QTest

    from grokdesk.storage.store import Store
    from grokdesk.storage.worker import StoreWorker

    worker = StoreWorker(folder)
    await asyncio.wrap_future(worker.ready)

    store_ms: dict[str, list[float]] = {}
    for _ in range(rounds + 1):
        for word in TYPED:
            t0 = time.perf_counter()
            hits = await asyncio.wrap_future(worker.call(Store.search, word, 50))
            store_ms.setdefault(word, []).append(C.ms(time.perf_counter() - t0))
            if word == "sourdough" and not hits:
                raise RuntimeError("the planted word was not found")
    store_all = [v for values in store_ms.values() for v in values[1:]]  # first round warms the cache
    C.report(
        "search.store",
        store_all,
        unit=" ms",
        target=TARGET_MS,
        op="<",
        note="Store.search via the worker; per query median: "
        + ", ".join(f"{w!r} {C.Spread.of(v[1:]).median:.0f}" for w, v in store_ms.items()),
    )

    try:
        from grokdesk.ui.library.panel import LibraryPanel
    except ImportError as exc:
        C.not_available("search.keystroke", f"grokdesk.ui.library.panel: {exc}")
        worker.close()
        return

    def run(name: Any, *args: Any) -> Any:
        return asyncio.wrap_future(worker.call(name, *args))

    panel = LibraryPanel(run)
    panel.resize(360, 800)
    panel.show()
    refreshed = asyncio.Event()
    panel.list_refreshed.connect(refreshed.set)
    panel.refresh()
    await refreshed.wait()
    paints = C.PaintWatch(panel.conversationList.viewport())
    keystroke: list[float] = []
    stalls: list[float] = []
    per_word: dict[str, list[float]] = {}
    try:
        for _ in range(rounds):
            for word in TYPED:
                panel.searchBox.clear()
                await asyncio.sleep(0.3)
                shown: dict[str, float] = {}

                def on_shown(query: str, shown: dict[str, float] = shown) -> None:
                    shown.setdefault(query, time.perf_counter())

                panel.search_results_shown.connect(on_shown)
                probe = C.StallProbe().start()
                last_key = 0.0
                for ch in word:
                    last_key = time.perf_counter()
                    QTest.keyClick(panel.searchBox, ch)
                    await asyncio.sleep(TYPING_INTERVAL_S)
                await C.until(lambda w=word, s=shown: w in s, timeout=30)
                await C.until(lambda w=word, s=shown: paints.first_after(s[w]) is not None, timeout=5)
                probe.stop()
                painted = paints.first_after(shown[word]) or shown[word]
                keystroke.append(C.ms(painted - last_key))
                per_word.setdefault(word, []).append(keystroke[-1])
                stalls.append(probe.max_ms)
                panel.search_results_shown.disconnect(on_shown)
    finally:
        panel.close()
        worker.close()
    C.report(
        "search.keystroke",
        keystroke,
        unit=" ms",
        target=TARGET_MS,
        op="<",
        note="last key to results painted (search as you type, no fixed debounce); per word: "
        + ", ".join(f"{w!r} {C.Spread.of(v).median:.0f}" for w, v in per_word.items()),
    )
    C.report(
        "search.typing_stall",
        stalls,
        unit=" ms",
        target=50.0,
        op="<",
        note="longest stall while typing a word",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    C.setup_env()
    C.banner("bench_search")
    folder = C.OUT / "search-100k"
    t = time.perf_counter()
    prepare(folder)
    print(f"# data ready in {time.perf_counter() - t:.1f} s: {(folder / 'bench-ready').read_text().strip()}")
    C.run_in_qasync(lambda: bench(folder, args.rounds))


if __name__ == "__main__":
    main()
