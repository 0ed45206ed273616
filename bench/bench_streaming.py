"""Streaming: a 20,000-token Markdown reply with code blocks, sent by the fake server as fast as it can.

In one process (QApplication offscreen + qasync loop, the real main window from
create_main_window); the fake server runs in its own process so it does not compete for
our GIL. Rounds alternate:
  floor: a plain httpx + httpx-sse client on the same loop reading the same stream from
         the same endpoint as the app (/v1/responses, the app's default; --api chat for
         /chat/completions): request to the end event, JSON-decoding every event and
         joining the text deltas;
  app:   a new tab, send, until the finished reply is painted in the transcript.
Figures: total time app/floor; the longest event-loop stall (5 ms timer) during the app
stream; the cost per token of TranscriptView.message_changed for the last 1,000 tokens
against the first 1,000; the final (whole-reply) render; three tabs streaming at once;
CPU seconds of this process for 5,000 chunks sent at 200 chunks/s (a realistic pace),
app against the plain client on the same paced stream; how long after the plain client
has the first words the app paints them (the same paced stream, a short reply).

    python bench/bench_streaming.py [--rounds 5] [--tokens 20000] [--cpu-rounds 3]
        [--first-words-rounds 7] [--api responses]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import json
import math
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C

TARGET_TOTAL_RATIO = 1.5
# A frame at 30 Hz: what a person notices while scrolling or typing during three replies.
TARGET_THREE_TABS_STALL_MS = 33.0
TARGET_THREE_TABS_RATIO = 1.5
TARGET_STALL_MS = 50.0
TARGET_TAIL_RATIO = 1.5
TARGET_CPU_RATIO = 1.5
BUCKET = 1000
# The paced stream of the CPU figure: chunks (tokens) and chunks per second.
CPU_CHUNKS = 5_000
CPU_PACE = 200.0


async def floor_stream(base_url: str, api_key: str, api: str = "responses") -> tuple[float, int]:
    """A plain client: seconds from request to the stream's end, and the characters received."""
    import httpx
    from httpx_sse import aconnect_sse

    if api == "chat":
        path = "/chat/completions"
        body: dict[str, Any] = {
            "model": "grok-3",
            "messages": [{"role": "user", "content": "go"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    else:
        path = "/responses"
        body = {"model": "grok-3", "input": [{"role": "user", "content": "go"}], "stream": True}
    parts: list[str] = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as client:
        t0 = time.perf_counter()
        async with aconnect_sse(
            client,
            "POST",
            base_url + path,
            json=body,
            headers={"Authorization": f"Bearer {api_key}"},
        ) as source:
            async for event in source.aiter_sse():
                if event.data == "[DONE]":
                    break
                chunk = json.loads(event.data)
                if api == "chat":
                    for choice in chunk.get("choices", []):
                        parts.append(choice.get("delta", {}).get("content") or "")
                    continue
                kind = chunk.get("type")
                if kind == "response.output_text.delta":
                    parts.append(chunk.get("delta") or "")
                elif kind in {"response.completed", "response.failed", "response.incomplete"}:
                    break
        elapsed = time.perf_counter() - t0
    return elapsed, len("".join(parts))


class AppRun:
    """One reply streamed into one tab, timed."""

    def __init__(self, window: Any, tab: Any) -> None:
        self.tab = tab
        self.done_at: float | None = None
        self.sent_at = 0.0
        self.paints = C.PaintWatch(tab.transcript.viewport())
        # Woken by the signal, not polled: polling every 2 ms for 25 s of a paced stream would add
        # ~12,000 loop wake-ups to the app's CPU figure that the plain client does not pay.
        self._done = asyncio.Event()
        tab.controller.streaming_changed.connect(self._changed)

    def _changed(self, streaming: bool) -> None:
        if not streaming:
            self.done_at = time.perf_counter()
            self._done.set()

    def send(self) -> None:
        self.tab.composer.setPlainText("Write a long answer with code.")
        self.sent_at = time.perf_counter()
        self.tab.send()

    async def finished(self, timeout: float = 120, *, painted: bool = True) -> float:  # noqa: ASYNC109
        """Seconds from send to the first paint of the transcript after the reply finished
        (to the end of the reply for a tab not on screen: `painted=False`)."""
        await asyncio.wait_for(self._done.wait(), timeout)
        assert self.done_at is not None
        if not painted:
            return self.done_at - self.sent_at
        painted = await C.until(lambda: self.paints.first_after(self.done_at or 0) is not None, 10)
        end = self.paints.first_after(self.done_at) or painted
        return end - self.sent_at


def tail_costs(calls: list[tuple[Any, float]], ends: list[int]) -> dict[str, float]:
    """Seconds per token of streaming updates ending in the first and in the last BUCKET tokens."""
    total = len(ends)
    first_t = first_n = last_t = last_n = 0.0
    first_calls: list[float] = []
    last_calls: list[float] = []
    previous = 0
    final = 0.0
    for size, seconds in calls:
        chars, streaming = size
        if not streaming:
            final = max(final, seconds)
            continue
        tokens = bisect.bisect_right(ends, chars)
        delta = tokens - previous
        previous = tokens
        if delta <= 0:
            continue
        if tokens <= BUCKET:
            first_t += seconds
            first_n += delta
            first_calls.append(seconds)
        elif tokens > total - BUCKET:
            last_t += seconds
            last_n += delta
            last_calls.append(seconds)
    return {
        "first_per_token": first_t / first_n if first_n else float("nan"),
        "last_per_token": last_t / last_n if last_n else float("nan"),
        "first_update_ms": C.ms(sum(first_calls) / len(first_calls)) if first_calls else float("nan"),
        "last_update_ms": C.ms(sum(last_calls) / len(last_calls)) if last_calls else float("nan"),
        "updates": sum(1 for (_, s), _ in calls if s),
        "final_render_ms": C.ms(final),
    }


async def bench(args: argparse.Namespace, server: C.FakeServerProcess, text: str) -> None:
    from grokdesk.app import create_main_window
    from grokdesk.ui.chat.transcript import TranscriptView

    ends = C.token_ends(text)
    timer = C.CallTimer()
    restore = timer.wrap(
        TranscriptView,
        "message_changed",
        lambda message: (len(message.plain_text), message.state.value == "streaming"),
    )
    data_dir = C.OUT / "streaming_data"
    shutil.rmtree(data_dir, ignore_errors=True)
    window = create_main_window(data_dir=data_dir, base_url=server.base_url, api_key=server.api_key)
    window.resize(1000, 720)
    window.show()
    await C.until(lambda: window._painted, 30)
    await asyncio.sleep(0.5)  # the model list request after the first paint

    floors: list[float] = []
    totals: list[float] = []
    stalls: list[float] = []
    over50: list[int] = []
    stream_stalls: list[float] = []
    stall_stacks: collections.Counter[str] = collections.Counter()
    firsts: list[float] = []
    lasts: list[float] = []
    first_upd: list[float] = []
    last_upd: list[float] = []
    finals: list[float] = []
    updates: list[float] = []

    async def one_app_run(warm: bool = False) -> None:
        tab = window.new_conversation()
        tab.select_model("grok-3")
        run = AppRun(window, tab)
        timer.records.clear()
        probe = C.StallProbe().start()
        sampler = C.StallSampler(probe).start()
        run.send()
        total = await run.finished()
        probe.stop()
        sampler.stop()
        stall_stacks.update(sampler.samples)
        if tab.transcript.plain_text().count("Section") < 3:
            raise RuntimeError("the reply did not reach the transcript")
        if not warm:
            totals.append(total)
            stalls.append(probe.max_ms)
            assert run.done_at is not None
            # The finished reply is rendered just before streaming_changed(False): gaps ending
            # before that moment are the stalls while the text streams in.
            stream_stalls.append(probe.max_before(run.done_at))
            over50.append(probe.over(50))
            costs = tail_costs(list(timer.records), ends)
            firsts.append(costs["first_per_token"])
            lasts.append(costs["last_per_token"])
            first_upd.append(costs["first_update_ms"])
            last_upd.append(costs["last_update_ms"])
            finals.append(costs["final_render_ms"])
            updates.append(costs["updates"])
        window.close_tab(window.tabs.indexOf(tab))
        await asyncio.sleep(0.2)

    async def one_floor_run(warm: bool = False) -> None:
        elapsed, chars = await floor_stream(server.base_url, server.api_key, args.api)
        if chars != len(text):
            raise RuntimeError(f"floor client got {chars} of {len(text)} characters")
        if not warm:
            floors.append(elapsed)

    await one_floor_run(warm=True)
    await one_app_run(warm=True)
    for i in range(args.rounds):
        if i % 2 == 0:
            await one_floor_run()
            await one_app_run()
        else:
            await one_app_run()
            await one_floor_run()

    ratios = [a / f for a, f in zip(totals, floors, strict=True)]
    C.report(
        "streaming.floor_total",
        [C.ms(x) for x in floors],
        unit=" ms",
        note=f"plain httpx+httpx-sse on /v1/{args.api}, {len(ends)} tokens, {len(text)} chars",
    )
    C.report(
        "streaming.app_total", [C.ms(x) for x in totals], unit=" ms", note="send to finished reply painted"
    )
    C.report("streaming.total_ratio", ratios, target=TARGET_TOTAL_RATIO)
    C.report(
        "streaming.max_stall",
        stalls,
        unit=" ms",
        target=TARGET_STALL_MS,
        op="<",
        note=f"5 ms timer; gaps over 50 ms per run: {over50}",
    )
    C.report(
        "streaming.max_stall_before_finish",
        stream_stalls,
        unit=" ms",
        target=TARGET_STALL_MS,
        op="<",
        note="the same, leaving out the final render of the finished reply",
    )
    total_samples = sum(stall_stacks.values()) or 1
    print(
        "# where the GUI thread was during stalls over 30 ms (innermost app frames, share of ~5 ms samples): "
        + "; ".join(f"{k} {100 * v / total_samples:.0f}%" for k, v in stall_stacks.most_common(8)),
        flush=True,
    )
    tail = [b / a for a, b in zip(firsts, lasts, strict=True)]
    C.report(
        "streaming.last_vs_first_1000_tokens",
        [t for t in tail if not math.isnan(t)],  # NaN: the first update already held > 1,000 tokens
        target=TARGET_TAIL_RATIO,
        note="time in TranscriptView.message_changed per token delivered; "
        f"first {C.Spread.of(firsts).median * 1e6:.0f} us/token, last {C.Spread.of(lasts).median * 1e6:.0f} us/token",
    )
    C.report("streaming.update_ms_first_1000", first_upd, unit=" ms", note="mean per streaming update")
    C.report("streaming.update_ms_last_1000", last_upd, unit=" ms", note="mean per streaming update")
    C.report("streaming.view_updates_per_reply", updates)
    C.report(
        "streaming.final_render",
        finals,
        unit=" ms",
        note="message_changed for the finished reply (re-renders the whole message)",
    )

    # Three tabs at once.
    multi_totals: list[float] = []
    multi_stalls: list[float] = []
    multi_stacks: collections.Counter[str] = collections.Counter()
    for _ in range(args.multi_rounds):
        tabs = [window.new_conversation() for _ in range(3)]
        runs = []
        for tab in tabs:
            tab.select_model("grok-3")
            runs.append(AppRun(window, tab))
        window.tabs.setCurrentWidget(tabs[0])
        probe = C.StallProbe().start()
        sampler = C.StallSampler(probe).start()
        t0 = time.perf_counter()
        for run in runs:
            run.send()
        try:
            for run in runs:
                await run.finished(60, painted=False)
        except TimeoutError:
            states = [
                (r.tab.controller.is_streaming, len(r.tab.transcript.plain_text()), r.done_at is not None)
                for r in runs
            ]
            C.not_available(
                "streaming.three_tabs",
                f"a reply did not finish in 60 s; (streaming, chars shown, done): {states}",
            )
            probe.stop()
            break
        t_all = max(r.done_at or 0 for r in runs) - t0
        probe.stop()
        sampler.stop()
        multi_stacks.update(sampler.samples)
        multi_totals.append(t_all)
        multi_stalls.append(probe.max_ms)
        for tab in tabs:
            window.close_tab(window.tabs.indexOf(tab))
        await asyncio.sleep(0.2)

    if multi_totals:
        C.report(
            "streaming.three_tabs_total",
            [C.ms(x) for x in multi_totals],
            unit=" ms",
            note="3 replies at once",
        )
        floor_median = C.Spread.of(floors).median
        C.report(
            "streaming.three_tabs_ratio",
            [x / (3 * floor_median) for x in multi_totals],
            target=TARGET_THREE_TABS_RATIO,
            note="time to the last of 3 replies / 3 x the plain client's median for one",
        )
        C.report(
            "streaming.three_tabs_max_stall",
            multi_stalls,
            unit=" ms",
            target=TARGET_THREE_TABS_STALL_MS,
            op="<",
        )
        total_multi = sum(multi_stacks.values()) or 1
        print(
            "# three tabs: where the GUI thread was during stalls over 30 ms: "
            + "; ".join(f"{k} {100 * v / total_multi:.0f}%" for k, v in multi_stacks.most_common(6)),
            flush=True,
        )

    if args.cpu_rounds:
        await cpu_figure(args)
    if args.first_words_rounds:
        await first_words_figure(args)
    restore()
    window.close()
    await window.shutdown_all()


# The short reply of the first-words figure: its first word marks the first paint showing it.
FIRST_WORD = "Zebra"


async def floor_first_words(base_url: str, api_key: str) -> float:
    """A plain client: seconds from the request to its first text delta (the stream is then
    read to its end, so the next request finds the server ready)."""
    import httpx
    from httpx_sse import aconnect_sse

    body = {"model": "grok-3", "input": [{"role": "user", "content": "go"}], "stream": True}
    first: float | None = None
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as client:
        started = time.perf_counter()
        async with aconnect_sse(
            client, "POST", base_url + "/responses", json=body, headers={"Authorization": f"Bearer {api_key}"}
        ) as source:
            async for event in source.aiter_sse():
                if event.data == "[DONE]":
                    break
                chunk = json.loads(event.data)
                if first is None and chunk.get("type") == "response.output_text.delta":
                    first = time.perf_counter()
    if first is None:
        raise RuntimeError("the plain client got no text")
    return first - started


async def first_words_figure(args: argparse.Namespace) -> None:
    """Time from send to the first paint of the transcript that shows the reply's first word,
    against the plain client's time from its request to the first text delta, on the same
    paced stream (a chunk every 5 ms, the Responses API's lifecycle events first): what the
    app adds to the wait for the first words."""
    from grokdesk.app import create_main_window

    text = FIRST_WORD + " " + C.markdown_text(150, seed=11)
    app_times: list[float] = []
    floor_times: list[float] = []
    with C.FakeServerProcess(
        text, replies=2 * args.first_words_rounds + 2, chunk_delay=1 / CPU_PACE
    ) as paced:
        data_dir = C.OUT / "streaming_first_words_data"
        shutil.rmtree(data_dir, ignore_errors=True)
        window = create_main_window(data_dir=data_dir, base_url=paced.base_url, api_key=paced.api_key)
        window.resize(1000, 720)
        window.show()
        await C.until(lambda: window._painted, 30)
        await asyncio.sleep(0.5)  # the model list request after the first paint
        for i in range(args.first_words_rounds + 1):  # the first round warms up both
            floor = await floor_first_words(paced.base_url, paced.api_key)
            tab = window.new_conversation()
            tab.select_model("grok-3")
            view = tab.transcript
            shows = C.PaintWatch(view.viewport(), lambda view=view: FIRST_WORD in view.toPlainText())
            run = AppRun(window, tab)
            run.send()
            await run.finished(60)
            shown = shows.first_where(bool)
            if shown is None:
                raise RuntimeError("no paint showed the reply's first word")
            if i:
                app_times.append(shown - run.sent_at)
                floor_times.append(floor)
            window.close_tab(window.tabs.indexOf(tab))
            await asyncio.sleep(0.2)
        window.close()
        await window.shutdown_all()
    C.report(
        "streaming.first_words_floor",
        [1000 * t for t in floor_times],
        unit=" ms",
        note="plain client: request to the first text delta",
    )
    C.report(
        "streaming.first_words_app",
        [1000 * t for t in app_times],
        unit=" ms",
        note="app: send to the first paint showing the first word",
    )
    C.report(
        "streaming.first_words_added",
        [1000 * (a - f) for a, f in zip(app_times, floor_times, strict=True)],
        unit=" ms",
        note="app minus plain client, the same round",
    )


async def cpu_figure(args: argparse.Namespace) -> None:
    """CPU seconds of this process (all its threads) while 5,000 chunks arrive at 200 per
    second: the app (a new tab, send, reply finished and painted) against the plain client
    on the same paced stream from its own server process. Wall time is set by the pace;
    the CPU time is what the app adds per chunk."""
    text = C.markdown_text(CPU_CHUNKS, seed=7)
    chunks = len(C.token_ends(text))
    app_cpu: list[float] = []
    floor_cpu: list[float] = []
    from grokdesk.app import create_main_window

    with C.FakeServerProcess(text, replies=2 * args.cpu_rounds + 2, chunk_delay=1 / CPU_PACE) as paced:
        data_dir = C.OUT / "streaming_cpu_data"
        shutil.rmtree(data_dir, ignore_errors=True)
        paced_window = create_main_window(data_dir=data_dir, base_url=paced.base_url, api_key=paced.api_key)
        paced_window.resize(1000, 720)
        paced_window.show()
        await C.until(lambda: paced_window._painted, 30)
        await asyncio.sleep(0.5)  # the model list request after the first paint
        for i in range(args.cpu_rounds):
            for which in ("floor", "app") if i % 2 == 0 else ("app", "floor"):
                started = time.process_time()
                if which == "floor":
                    _elapsed, chars = await floor_stream(paced.base_url, paced.api_key, args.api)
                    if chars != len(text):
                        raise RuntimeError(f"floor client got {chars} of {len(text)} characters")
                    floor_cpu.append(time.process_time() - started)
                else:
                    tab = paced_window.new_conversation()
                    tab.select_model("grok-3")
                    run = AppRun(paced_window, tab)
                    run.send()
                    await run.finished(120)
                    app_cpu.append(time.process_time() - started)
                    paced_window.close_tab(paced_window.tabs.indexOf(tab))
                    await asyncio.sleep(0.2)
        paced_window.close()
        await paced_window.shutdown_all()
    C.report(
        "streaming.cpu_floor", floor_cpu, unit=" s", note=f"plain client, {chunks} chunks at {CPU_PACE:.0f}/s"
    )
    C.report("streaming.cpu_app", app_cpu, unit=" s", note="app: send to finished reply painted")
    C.report(
        "streaming.cpu_ratio",
        [a / f for a, f in zip(app_cpu, floor_cpu, strict=True)],
        target=TARGET_CPU_RATIO,
        note="CPU seconds of the process, app / plain client",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--multi-rounds", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--cpu-rounds", type=int, default=3)
    parser.add_argument("--first-words-rounds", type=int, default=7)
    parser.add_argument("--api", choices=("responses", "chat"), default="responses")
    args = parser.parse_args()
    C.setup_env()
    C.banner("bench_streaming")
    text = C.markdown_text(args.tokens, seed=42)
    with C.FakeServerProcess(text, replies=1000) as server:
        C.run_in_qasync(lambda: bench(args, server, text))


if __name__ == "__main__":
    main()
