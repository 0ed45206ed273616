"""Start-up: process start to the first painted main window, against a bare QMainWindow (the floor).

The app restores 5 open tabs from a data folder holding 200 saved conversations. Both
processes run interleaved, N rounds after one warm-up round each; the time is from just
before the process is spawned (parent's CLOCK_MONOTONIC) to the moment the child's first
paint happens (child's CLOCK_MONOTONIC). The `--smoke` exit time is printed as well, and the
time to the first paint of the current tab's conversation (`startup.app_content_paint`: the
transcripts render right after the window's first paint).

GrokDesk's own modules are compiled to bytecode first (`compileall`), as an installed app has
them (pip compiles at install; the frozen build ships bytecode). Without it, a checkout run
with PYTHONDONTWRITEBYTECODE=1 compiles ~90 modules at every start (~0.4 s of CPU, measured
2026-12-02), which no user's start-up pays; `--no-compile` measures that case.

    python bench/bench_startup.py [--rounds 9] [--no-compile]
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C

CONVERSATIONS = 200
OPEN_TABS = 5
TARGET_RATIO = 2.5


def prepare(template: Path) -> None:
    marker = template / "bench-ready"
    if marker.exists():
        return
    shutil.rmtree(template, ignore_errors=True)
    template.mkdir(parents=True)
    convs = [C.conversation(20, seed=i, tokens_per_reply=120) for i in range(CONVERSATIONS - OPEN_TABS)]
    open_convs = [C.conversation(40, seed=10_000 + i, tokens_per_reply=200) for i in range(OPEN_TABS)]
    C.store_conversations(template, convs + open_convs, session_ids=[c.id for c in open_convs])
    marker.write_text("200 conversations, 5 open tabs\n")


def app_command(data_dir: Path, base_url: str) -> list[str]:
    """The app as `grokdesk --smoke` starts it, reporting its first paint (app_first_paint.py)."""
    return [
        C.PYTHON,
        str(C.BENCH_DIR / "app_first_paint.py"),
        "--data-dir",
        str(data_dir),
        "--base-url",
        base_url,
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-compile", action="store_true", help="leave the package's bytecode as it is")
    args = parser.parse_args()
    C.setup_env()
    C.banner("bench_startup")
    if not args.no_compile:
        compileall.compile_dir(C.ROOT / "grokdesk", quiet=1)
        print("# grokdesk compiled to bytecode first, as an installed app is")
    template = C.OUT / "startup_template"
    t = time.perf_counter()
    prepare(template)
    print(
        f"# data folder ready in {time.perf_counter() - t:.1f} s ({CONVERSATIONS} conversations, {OPEN_TABS} tabs)"
    )
    work = C.OUT / "startup_run"
    floor_times: list[float] = []
    app_times: list[float] = []
    content_times: list[float] = []
    smoke_walls: list[float] = []
    floor_walls: list[float] = []
    floor_cpu: list[float] = []
    app_cpu: list[float] = []

    with C.FakeServerProcess("Hello.", replies=0) as server:
        env = C.child_env(XAI_API_KEY=server.api_key)

        def run_floor(keep: bool = True) -> None:
            run = C.run_child([C.PYTHON, str(C.BENCH_DIR / "floor_window.py")], env=env)
            paint = C.marker_value(run.stdout, "paint")
            if run.returncode != 0 or paint is None:
                raise RuntimeError(f"floor failed: {run.stderr[-2000:]}")
            if keep:
                floor_times.append(paint - run.t_start)
                floor_walls.append(run.wall_s)
                floor_cpu.append(run.cpu_s)

        def run_app(keep: bool = True) -> None:
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(template, work)
            run = C.run_child(app_command(work, server.base_url), env=env)
            paint = C.marker_value(run.stdout, "paint")
            if run.returncode != 0 or paint is None:
                raise RuntimeError(f"app failed (rc {run.returncode}): {run.stderr[-2000:]}")
            content = C.marker_value(run.stdout, "content")
            if keep:
                app_times.append(paint - run.t_start)
                content_times.append((content or paint) - run.t_start)
                smoke_walls.append(run.wall_s)
                app_cpu.append(run.cpu_s)

        run_floor(keep=False)  # warm the page cache for both
        run_app(keep=False)
        C.interleave(run_floor, run_app, rounds=args.rounds)

    ratios = [a / f for a, f in zip(app_times, floor_times, strict=True)]
    C.report("startup.floor_first_paint", [C.ms(x) for x in floor_times], unit=" ms")
    C.report(
        "startup.app_first_paint",
        [C.ms(x) for x in app_times],
        unit=" ms",
        note=f"{CONVERSATIONS} saved conversations, {OPEN_TABS} tabs restored",
    )
    C.report(
        "startup.ratio",
        ratios,
        target=TARGET_RATIO,
        note="per round app/floor; median of app / median of floor = "
        f"{C.Spread.of(app_times).median / C.Spread.of(floor_times).median:.2f}",
    )
    C.report(
        "startup.app_content_paint",
        [C.ms(x) for x in content_times],
        unit=" ms",
        note="to the first paint of the current tab's conversation; "
        f"{C.ms(C.Spread.of([c - a for c, a in zip(content_times, app_times, strict=True)]).median):.0f} ms "
        "after the window's first paint (median)",
    )
    C.report(
        "startup.content_ratio",
        [c / f for c, f in zip(content_times, floor_times, strict=True)],
        note="per round: app's conversation painted / floor's first paint",
    )
    C.report(
        "startup.cpu_ratio",
        [a / f for a, f in zip(app_cpu, floor_cpu, strict=True)],
        note=f"CPU seconds of the whole --smoke run / of the floor run (less sensitive to other load): "
        f"app {C.Spread.of(app_cpu).median:.2f} s, floor {C.Spread.of(floor_cpu).median:.2f} s",
    )
    C.report(
        "startup.app_smoke_exit_wall",
        [C.ms(x) for x in smoke_walls],
        unit=" ms",
        note="`--smoke` process wall time incl. shutdown; floor exit "
        f"{C.ms(C.Spread.of(floor_walls).median):.0f} ms",
    )


if __name__ == "__main__":
    main()
