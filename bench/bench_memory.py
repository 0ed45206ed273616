"""Memory: resident memory with 10 tabs of 200 messages each, against the bare window; growth
after streaming 50 long replies in one tab.

Each measurement is a fresh child process reading its own /proc/self/smaps_rollup (Rss, and
Pss, which shares the cost of libraries with the other processes using them):
  memory.idle_10_tabs: the app with a session of 10 tabs of 200 messages, 2 s after its first
      paint, against floor_window.py (a bare QMainWindow) 2 s after its first paint;
  memory.growth_50_replies: one tab streams 50 replies of REPLY_TOKENS tokens from the fake
      server (in its own process); Rss after the 50th minus Rss before the first (and minus Rss
      after the first, which leaves out one-off costs such as importing the Markdown renderer);
  memory.growth_500_replies (with --replies 500): the same stream continued to 500 replies.

    python bench/bench_memory.py [--rounds 3] [--replies 50|500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C

TABS = 10
MESSAGES = 200
REPLIES = 50
REPLY_TOKENS = 1_200
TARGET_GROWTH_MIB = 15.0
TARGET_GROWTH_500_MIB = 60.0
HOLD_S = 2.0


def prepare(folder: Path) -> None:
    marker = folder / "bench-ready"
    if marker.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    convs = [C.conversation(MESSAGES, seed=300 + i, tokens_per_reply=100) for i in range(TABS)]
    C.store_conversations(folder, convs, session_ids=[c.id for c in convs])
    marker.write_text(f"{TABS} tabs of {MESSAGES} messages\n")


def _print_memory(label: str) -> None:
    gc.collect()
    m = C.memory_kib()
    print(f"BENCH {label}_rss_kib={m['rss']} {label}_pss_kib={m['pss']}", flush=True)


async def child_idle(data_dir: Path) -> None:
    from grokdesk.app import create_main_window

    window = create_main_window(data_dir=data_dir, base_url="http://127.0.0.1:9/v1", api_key=C.FAKE_KEY)
    window.show()
    await C.until(lambda: window._painted, 60)
    await asyncio.sleep(HOLD_S)
    if window.tabs.count() != TABS:
        raise RuntimeError(f"{window.tabs.count()} tabs restored, not {TABS}")
    _print_memory("idle")
    window.close()
    await window.shutdown_all()


async def _stream_replies(window: object, count: int = REPLIES) -> str:
    """Stream REPLIES replies into the current tab, printing memory; returns the conversation id."""
    tab = window.current_tab()  # type: ignore[attr-defined]
    assert tab is not None
    # 500 replies outgrow grok-3's 131,072-token window: a longer run uses the 1M-token model.
    tab.select_model("grok-3" if count <= REPLIES else "grok-4.3")
    _print_memory("before")
    for i in range(count):
        tab.composer.setPlainText(f"Question {i}: write a long answer with code.")
        tab.send()
        await C.until(lambda: tab.controller.is_streaming, 10)
        await C.until(lambda: not tab.controller.is_streaming, 120)
        await asyncio.sleep(0.05)
        if i == 0:
            _print_memory("after1")
        if i == REPLIES - 1 and count > REPLIES:
            await asyncio.sleep(1.0)
            _print_memory("after")
    await asyncio.sleep(1.0)
    _print_memory("after" if count <= REPLIES else "afterall")
    replies = sum(1 for m in tab.controller.conversation.messages if m.role.value == "assistant")
    print(f"BENCH replies={replies}", flush=True)
    # Is the memory held by the tab (released when it closes), kept by the allocator, or lost?
    conversation_id = str(tab.controller.conversation.id)
    window.close_tab(window.tabs.indexOf(tab))  # type: ignore[attr-defined]
    return conversation_id


async def child_stream(data_dir: Path, base_url: str, api_key: str, count: int = REPLIES) -> None:
    from grokdesk.app import create_main_window
    from grokdesk.ui.chat.transcript import TranscriptView

    window = create_main_window(data_dir=data_dir, base_url=base_url, api_key=api_key)
    window.show()
    await C.until(lambda: window._painted, 60)
    await asyncio.sleep(1.0)
    conversation_id = await _stream_replies(window, count)
    await asyncio.sleep(1.0)
    _print_memory("closed")
    alive = sum(1 for o in gc.get_objects() if isinstance(o, TranscriptView))
    kept = sum(
        1
        for o in gc.get_objects()
        if type(o).__name__ == "Conversation" and getattr(o, "id", None) == conversation_id
    )
    print(f"BENCH transcripts_alive={alive} conversation_alive={kept}", flush=True)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        _print_memory("trimmed")
    window.close()
    await window.shutdown_all()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=("idle", "stream"))
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--replies", type=int, default=REPLIES, help="replies streamed into one tab")
    parser.add_argument("--skip-idle", action="store_true", help="only the streaming growth")
    args = parser.parse_args()
    C.setup_env()
    if args.child == "idle":
        C.run_in_qasync(lambda: child_idle(args.data_dir))
        return
    if args.child == "stream":
        C.run_in_qasync(lambda: child_stream(args.data_dir, args.base_url, args.api_key, args.replies))
        return

    C.banner("bench_memory")
    template = C.OUT / "memory_template"
    prepare(template)
    work = C.OUT / "memory_run"
    floor_rss: list[float] = []
    floor_pss: list[float] = []
    app_rss: list[float] = []
    app_pss: list[float] = []
    me = str(Path(__file__).resolve())
    for _ in range(0 if args.skip_idle else args.rounds):
        run = C.run_child([C.PYTHON, str(C.BENCH_DIR / "floor_window.py"), "--hold", str(HOLD_S)])
        floor_rss.append((C.marker_value(run.stdout, "rss_kib") or 0) / 1024)
        floor_pss.append((C.marker_value(run.stdout, "pss_kib") or 0) / 1024)
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(template, work)
        run = C.run_child([C.PYTHON, me, "--child", "idle", "--data-dir", str(work)], timeout=300)
        if run.returncode != 0:
            raise RuntimeError(run.stderr[-3000:])
        app_rss.append((C.marker_value(run.stdout, "idle_rss_kib") or 0) / 1024)
        app_pss.append((C.marker_value(run.stdout, "idle_pss_kib") or 0) / 1024)
    if not args.skip_idle:
        C.report(
            "memory.floor_rss",
            floor_rss,
            unit=" MiB",
            note=f"bare QMainWindow; Pss {C.Spread.of(floor_pss).median:.0f} MiB",
        )
        C.report(
            "memory.idle_10_tabs_rss",
            app_rss,
            unit=" MiB",
            note=f"{TABS} tabs x {MESSAGES} messages; Pss {C.Spread.of(app_pss).median:.0f} MiB",
        )
        C.report(
            "memory.idle_10_tabs_ratio",
            [a / f for a, f in zip(app_rss, floor_rss, strict=True)],
            note=f"Rss app/floor; over the floor by {C.Spread.of(app_rss).median - C.Spread.of(floor_rss).median:.0f} MiB",
        )

    text = C.markdown_text(REPLY_TOKENS, seed=7)
    data_dir = C.OUT / "memory_stream"
    shutil.rmtree(data_dir, ignore_errors=True)
    t = time.perf_counter()
    with C.FakeServerProcess(text, replies=args.replies + 5) as server:
        run = C.run_child(
            [
                C.PYTHON,
                me,
                "--child",
                "stream",
                "--data-dir",
                str(data_dir),
                "--base-url",
                server.base_url,
                "--api-key",
                server.api_key,
                "--replies",
                str(args.replies),
            ],
            timeout=3600,
        )
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-3000:])
    before = (C.marker_value(run.stdout, "before_rss_kib") or 0) / 1024
    after1 = (C.marker_value(run.stdout, "after1_rss_kib") or 0) / 1024
    after = (C.marker_value(run.stdout, "after_rss_kib") or 0) / 1024
    after_all = (C.marker_value(run.stdout, "afterall_rss_kib") or 0) / 1024
    closed = (C.marker_value(run.stdout, "closed_rss_kib") or 0) / 1024
    trimmed = (C.marker_value(run.stdout, "trimmed_rss_kib") or 0) / 1024
    alive = C.marker_value(run.stdout, "transcripts_alive")
    conv_alive = C.marker_value(run.stdout, "conversation_alive")
    replies = int(C.marker_value(run.stdout, "replies") or 0)
    C.report(
        "memory.growth_50_replies",
        after - before,
        unit=" MiB",
        target=TARGET_GROWTH_MIB,
        op="<",
        note=f"{replies} replies of ~{REPLY_TOKENS} tokens ({len(text)} chars) in one tab in "
        f"{time.perf_counter() - t:.0f} s; Rss {before:.0f} -> {after1:.0f} (1st) -> {after:.0f} MiB, "
        f"{closed:.0f} MiB after closing the tab ({alive or 0:.0f} TranscriptView and {conv_alive or 0:.0f} "
        f"Conversation objects still alive), {trimmed:.0f} MiB after malloc_trim(0)",
    )
    C.report(
        "memory.growth_after_first_reply",
        after - after1,
        unit=" MiB",
        target=TARGET_GROWTH_MIB,
        op="<",
        note="leaves out one-off costs of the first reply (lazy imports, caches)",
    )
    if args.replies > REPLIES:
        C.report(
            f"memory.growth_{args.replies}_replies",
            after_all - before,
            unit=" MiB",
            target=TARGET_GROWTH_500_MIB,
            op="<",
            note=f"Rss {before:.0f} -> {after:.0f} (50th) -> {after_all:.0f} MiB; the Rss figures after "
            "closing the tab above are for all of them",
        )


if __name__ == "__main__":
    main()
