"""Long conversation: 2,000 messages (about 1 MB of Markdown) opened, scrolled, loaded in full.

In one process (offscreen QApplication + qasync, the real main window). Figures:
  long.open: from asking the store for the conversation (as opening it from the library
      does) to the first paint of the transcript showing its end; target < 0.5 x the start-up
      floor (a bare QMainWindow process to first paint, measured in the same run);
  long.scroll_up_stall: scrolling up page by page through what is shown at first;
  long.load_more: each click on "Show N earlier messages" (time of the click's handling);
  long.scroll_all_stall: scrolling from top to bottom page by page once everything is shown.
Stalls are the longest gap of a 5 ms timer (StallProbe); pages turn every 20 ms.

    python bench/bench_long_conversation.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C

MESSAGES = 2_000
TARGET_OPEN_FRACTION = 0.5
STALL_MS = 50.0
PAGE_INTERVAL_S = 0.02
END_WAIT_S = 3.0


def _at_end(state: tuple[int, int]) -> bool:
    value, maximum = state
    return value >= maximum - 4


LOAD_MORE_BUDGET_S = 20.0


def prepare(folder: Path) -> str:
    marker = folder / "bench-ready"
    if marker.exists():
        return marker.read_text().split()[0]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    conv = C.conversation(MESSAGES, seed=2000, tokens_per_reply=95, title="A very long conversation")
    for i, message in enumerate(conv.messages):
        if i % 4 == 1:  # every other reply a paragraph longer: about 1 MB in all
            message.append_text("\n\n" + " ".join(C.WORDS[(i + k) % len(C.WORDS)] for k in range(60)) + ".\n")
    size = sum(len(m.plain_text.encode()) for m in conv.messages)
    C.store_conversations(folder, [conv])
    marker.write_text(f"{conv.id} {MESSAGES} messages {size} bytes\n")
    return conv.id


def floor_first_paint() -> float:
    run = C.run_child([C.PYTHON, str(C.BENCH_DIR / "floor_window.py")])
    paint = C.marker_value(run.stdout, "paint")
    if paint is None:
        raise RuntimeError(run.stderr[-2000:])
    return paint - run.t_start


async def scroll(bar: Any, step: int) -> C.StallProbe:
    """Turn pages (step -1 up, +1 down) until the end, one every PAGE_INTERVAL_S."""
    probe = C.StallProbe().start()
    while True:
        before = bar.value()
        bar.setValue(before + step * bar.pageStep())
        await asyncio.sleep(PAGE_INTERVAL_S)
        if bar.value() == before:
            break
    probe.stop()
    return probe


async def bench(args: argparse.Namespace, folder: Path, conversation_id: str) -> None:
    from PySide6.QtCore import QUrl

    from grokdesk.app import create_main_window
    from grokdesk.storage.store import Store

    data_dir = C.OUT / "long_run"
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(folder, data_dir)
    window = create_main_window(data_dir=data_dir, base_url="http://127.0.0.1:9/v1", api_key=C.FAKE_KEY)
    window.resize(1000, 720)
    window.show()
    await C.until(lambda: window._painted, 30)
    await asyncio.sleep(0.3)
    worker = window._sink.worker

    opens: list[float] = []
    firsts: list[float] = []
    ends_shown: list[tuple[int, int]] = []
    loads: list[float] = []
    renders: list[float] = []
    floors: list[float] = []
    open_stalls: list[float] = []
    tab: Any = None
    for i in range(args.rounds + 1):
        floor = floor_first_paint()
        probe = C.StallProbe().start()
        t0 = time.perf_counter()
        conv = await asyncio.wrap_future(worker.call(Store.load_conversation, conversation_id))
        t1 = time.perf_counter()
        tab = window.open_conversation(conv)
        t2 = time.perf_counter()
        bar = tab.transcript.verticalScrollBar()
        watch = C.PaintWatch(tab.transcript.viewport(), lambda b=bar: (b.value(), b.maximum()))
        await C.until(lambda w=watch: bool(w.times), 30)
        first_paint = watch.times[0]
        with contextlib.suppress(TimeoutError):  # the end may never be shown without scrolling
            await C.until(lambda w=watch: w.first_where(_at_end) is not None, END_WAIT_S)
        probe.stop()
        end_painted = watch.first_where(_at_end)
        first_state = watch.states[0]
        if i == 0:
            window.close_tab(window.tabs.indexOf(tab))
            await asyncio.sleep(0.2)
            continue  # warm-up
        floors.append(floor)
        firsts.append(first_paint - t0)
        ends_shown.append(first_state)
        if end_painted is not None:
            opens.append(end_painted - t0)
        loads.append(t1 - t0)
        renders.append(t2 - t1)
        open_stalls.append(probe.max_ms)
        if i < args.rounds:
            window.close_tab(window.tabs.indexOf(tab))
            await asyncio.sleep(0.2)

    # The user scrolls up through what is shown, then loads earlier messages until all are shown.
    transcript = tab.transcript
    bar = transcript.verticalScrollBar()
    window.tabs.setCurrentWidget(tab)
    await asyncio.sleep(0.3)
    shown_at_first = f"value {bar.value()} of {bar.maximum()}, page {bar.pageStep()}"
    up = await scroll(bar, -1)
    clicks: list[tuple[int, float]] = []
    click_probe = C.StallProbe().start()
    started = time.perf_counter()
    shown_all_by = "clicks"
    while transcript.showing_earlier() > 0:
        if time.perf_counter() - started > LOAD_MORE_BUDGET_S:
            t = time.perf_counter()
            transcript.show_all()
            clicks.append((MESSAGES, time.perf_counter() - t))
            shown_all_by = "show_all() after the time budget"
            break
        t = time.perf_counter()
        transcript.anchorClicked.emit(QUrl("more:"))
        clicks.append((MESSAGES - transcript.showing_earlier(), time.perf_counter() - t))
        await asyncio.sleep(PAGE_INTERVAL_S)
        bar.setValue(0)
    click_probe.stop()
    await asyncio.sleep(0.3)
    bar.setValue(0)
    await asyncio.sleep(0.1)
    pages = bar.maximum() // max(bar.pageStep(), 1)
    down = await scroll(bar, +1)

    window.close()
    await window.shutdown_all()

    C.report("long.floor_first_paint", [C.ms(x) for x in floors], unit=" ms", note="bare QMainWindow process")
    C.report(
        "long.open_to_first_paint",
        [C.ms(x) for x in firsts],
        unit=" ms",
        note=f"{MESSAGES} messages; store load {C.ms(C.Spread.of(loads).median):.0f} ms, "
        f"open_conversation {C.ms(C.Spread.of(renders).median):.0f} ms; scroll bar (value, maximum) at the "
        f"first paint: {ends_shown}",
    )
    if len(opens) == len(floors):
        C.report("long.open_to_end_painted", [C.ms(x) for x in opens], unit=" ms")
        C.report(
            "long.open_vs_floor",
            [o / f for o, f in zip(opens, floors, strict=True)],
            target=TARGET_OPEN_FRACTION,
            op="<",
        )
    else:
        C.report(
            "long.open_vs_floor",
            [o / f for o, f in zip(firsts, floors, strict=True)],
            target=TARGET_OPEN_FRACTION,
            op="<",
            verdict=False,
            note=f"MISSED: the end was painted in only {len(opens)} of {len(floors)} opens within "
            f"{END_WAIT_S:.0f} s (the transcript opened away from its end); figure is to the first paint",
        )
    C.report("long.open_stall", open_stalls, unit=" ms", note="longest event-loop stall while opening")
    C.report(
        "long.scroll_up_stall",
        up.max_ms,
        unit=" ms",
        target=STALL_MS,
        op="<",
        note=f"{len(up.gaps)} ticks, {up.over(50)} over 50 ms; scroll bar at first: {shown_at_first}",
    )
    first_click = clicks[0][1] if clicks else float("nan")
    last_click = clicks[-1][1] if clicks else float("nan")
    C.report(
        "long.load_more_click",
        [C.ms(s) for _, s in clicks],
        unit=" ms",
        target=STALL_MS,
        op="<",
        note=f"{len(clicks)} clicks ({shown_all_by}); first (to {clicks[0][0] if clicks else 0} shown) "
        f"{C.ms(first_click):.0f} ms, last (to {clicks[-1][0] if clicks else 0} shown) {C.ms(last_click):.0f} ms; "
        f"longest stall {click_probe.max_ms:.0f} ms",
    )
    C.report(
        "long.scroll_all_stall",
        down.max_ms,
        unit=" ms",
        target=STALL_MS,
        op="<",
        note=f"top to bottom over ~{pages} pages, {down.over(50)} ticks over 50 ms",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    C.setup_env()
    C.banner("bench_long_conversation")
    folder = C.OUT / "long_template"
    t = time.perf_counter()
    conversation_id = prepare(folder)
    print(f"# data ready in {time.perf_counter() - t:.1f} s: {(folder / 'bench-ready').read_text().strip()}")
    C.run_in_qasync(lambda: bench(args, folder, conversation_id))


if __name__ == "__main__":
    main()
