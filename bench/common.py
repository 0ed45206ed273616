"""Shared pieces of the GrokDesk benchmarks: environment, floors, timing, statistics, probes, data.

Every figure is printed as one line, e.g.
    streaming.total_ratio median=1.08 (min 1.02, max 1.15) target<=1.25 MET
and appended as JSON to bench/out/results.jsonl (with the date, the machine and the load).
Benchmarks report; they never fail on time (exit status 0 unless the script itself breaks).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT = BENCH_DIR / "out"
PYTHON = sys.executable
FAKE_KEY = "xai-bench-key-0123456789abcdefghijklmnopqrstuvwxyz"


def setup_env() -> None:
    """Offscreen Qt, no real keyring, no inherited key or URL; the repo importable (tests.helpers)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    for name in ("XAI_API_KEY", "GROKDESK_BASE_URL", "GROKDESK_DATA_DIR"):
        os.environ.pop(name, None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    for name in ("XAI_API_KEY", "GROKDESK_BASE_URL", "GROKDESK_DATA_DIR"):
        env.pop(name, None)
    env.update(extra)
    return env


# -- machine and noise ---------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_gib = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    try:
        import PySide6

        qt = PySide6.__version__
    except ImportError:
        qt = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "mem_gib": round(mem_gib, 1),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "pyside6": qt,
    }


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return -1.0


def banner(name: str) -> None:
    m = machine()
    print(
        f"# {name} {_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} | {m['cores']} cores {m['cpu']} | "
        f"{m['mem_gib']} GiB | {m['os']} | Python {m['python']} PySide6 {m['pyside6']} | "
        f"load {load_average():.2f} (other work on the machine adds noise)",
        flush=True,
    )


# -- statistics and reporting ---------------------------------------------------------------


@dataclass
class Spread:
    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls(float("nan"), float("nan"), float("nan"), 0)
        return cls(statistics.median(values), min(values), max(values), len(values))


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def report(
    name: str,
    values: float | Sequence[float],
    *,
    unit: str = "",
    target: float | None = None,
    op: str = "<=",
    note: str = "",
    verdict: bool | None = None,
) -> bool | None:
    """Print one summary line and record it in bench/out/results.jsonl; returns MET/MISSED (None: no target).

    `verdict` overrides the comparison with the target (e.g. MISSED when the thing measured never happened)."""
    series = [values] if isinstance(values, int | float) else list(values)
    s = Spread.of(series)
    line = f"{name} median={_fmt(s.median)}{unit}"
    if s.n > 1:
        line += f" (min {_fmt(s.low)}, max {_fmt(s.high)}, n={s.n})"
    met: bool | None = None
    if target is not None and s.n:
        met = {"<=": s.median <= target, "<": s.median < target}[op] if verdict is None else verdict
        line += f" target{op}{_fmt(target)}{unit} {'MET' if met else 'MISSED'}"
    if note:
        line += f"  [{note}]"
    print(line, flush=True)
    record = {
        "name": name,
        "median": s.median,
        "min": s.low,
        "max": s.high,
        "n": s.n,
        "unit": unit,
        "target": target,
        "op": op,
        "met": met,
        "note": note,
        "values": series,
        "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "load": load_average(),
        "machine": machine(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "results.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    return met


def not_available(name: str, why: str) -> None:
    print(f"{name} not available yet: {why}", flush=True)
    with (OUT / "results.jsonl").open("a", encoding="utf-8") as f:
        f.write(
            json.dumps({"name": name, "unavailable": why, "time": _dt.datetime.now(_dt.UTC).isoformat()})
            + "\n"
        )


def ms(seconds: float) -> float:
    return seconds * 1000.0


# -- subprocesses ------------------------------------------------------------------------


@dataclass
class ChildRun:
    wall_s: float
    returncode: int
    stdout: str
    stderr: str
    t_start: float  # time.monotonic() just before the process was started
    cpu_s: float  # user + system CPU of the child (and its children), less sensitive to other load


def run_child(cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> ChildRun:
    """Run a process to its end; wall time from just before spawn to exit."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(
        list(cmd), env=env or child_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ChildRun(wall, proc.returncode, proc.stdout, proc.stderr, t0, cpu)


def marker_value(text: str, key: str) -> float | None:
    """The number after `key=` on a line of a child's output (children print `BENCH key=value`)."""
    for line in text.splitlines():
        if line.startswith("BENCH "):
            for item in line.split()[1:]:
                k, _, v = item.partition("=")
                if k == key:
                    return float(v)
    return None


def interleave(*runners: Callable[[], None], rounds: int) -> None:
    """Run each runner once per round, alternating the order so drift hits both sides evenly."""
    for i in range(rounds):
        order = runners if i % 2 == 0 else tuple(reversed(runners))
        for run in order:
            run()


# -- memory ------------------------------------------------------------------------------


def memory_kib(pid: int | str = "self") -> dict[str, int]:
    """Rss and Pss (KiB) from /proc/<pid>/smaps_rollup."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:", "Private_Dirty:", "Anonymous:"):
            out[parts[0].rstrip(":").lower()] = int(parts[1])
    return out


# -- Qt helpers (import Qt lazily: common is also used by children that time their own imports) ----


class StallProbe:
    """A 5 ms precise QTimer on the GUI thread; the gaps between its ticks are the event-loop stalls.

    A gap is the time between two consecutive ticks (so an idle loop shows ~5 ms). `max_ms`
    is the longest one while the probe ran: an upper bound of the longest stall.
    """

    INTERVAL_MS = 5

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.ends: list[float] = []  # perf_counter time at the end of each gap
        self._last = 0.0
        self.worst_at = 0.0

    def start(self) -> StallProbe:
        self.gaps.clear()
        self.ends.clear()
        self._last = time.perf_counter()
        self.timer.start()
        return self

    def stop(self) -> None:
        self._tick()
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000
        if not self.gaps or gap > max(self.gaps):
            self.worst_at = now
        self.gaps.append(gap)
        self.ends.append(now)
        self._last = now

    @property
    def max_ms(self) -> float:
        return max(self.gaps) if self.gaps else 0.0

    def max_before(self, t: float) -> float:
        """The longest gap that ended before `t`."""
        return max((g for g, end in zip(self.gaps, self.ends, strict=True) if end < t), default=0.0)

    def over(self, limit_ms: float) -> int:
        return sum(1 for g in self.gaps if g > limit_ms)


class StallSampler:
    """Why the GUI thread stalls: a background thread samples the GUI thread's Python stack
    every 5 ms while the StallProbe has not ticked for over `after_ms`; `top()` gives the
    innermost app frames seen most often (each sample is ~5 ms of stall)."""

    def __init__(self, probe: StallProbe, after_ms: float = 30.0) -> None:
        import collections
        import threading

        self.probe = probe
        self.after_s = after_ms / 1000
        self.samples: collections.Counter[str] = collections.Counter()
        self._main = threading.main_thread().ident
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)

    def start(self) -> StallSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            if time.perf_counter() - self.probe._last < self.after_s:
                continue
            frame = sys._current_frames().get(self._main or 0)
            innermost = f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}" if frame else "?"
            chain: list[str] = []
            while frame is not None and len(chain) < 3:
                path = frame.f_code.co_filename
                if "/grokdesk/" in path or "markdown_it" in path or "pygments" in path:
                    chain.append(f"{Path(path).name}:{frame.f_code.co_name}")
                frame = frame.f_back
            self.samples[" < ".join(chain) or f"(outside app code) {innermost}"] += 1

    def top(self, n: int = 6) -> str:
        total = sum(self.samples.values()) or 1
        return "; ".join(f"{stack} {100 * c / total:.0f}%" for stack, c in self.samples.most_common(n))


@dataclass
class CallTimer:
    """Wraps a method on its class; records (arg-derived size, seconds) per call."""

    records: list[tuple[Any, float]] = field(default_factory=list)

    def wrap(self, cls: type, name: str, measure: Callable[..., Any]) -> Callable[[], None]:
        original = getattr(cls, name)
        records = self.records

        def timed(self_: Any, *args: Any, **kwargs: Any) -> Any:
            size = measure(*args, **kwargs)
            t0 = time.perf_counter()
            try:
                return original(self_, *args, **kwargs)
            finally:
                records.append((size, time.perf_counter() - t0))

        setattr(cls, name, timed)
        return lambda: setattr(cls, name, original)


def qt_app() -> Any:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    return app


def run_in_qasync(main: Callable[[], Any]) -> Any:
    """Run the coroutine function `main` on a qasync loop (with the async-generator hooks qasync leaves out)."""
    import asyncio

    import qasync

    qt_app()

    async def wrapped() -> Any:
        from grokdesk.ui.asynctasks import install_asyncgen_hooks

        install_asyncgen_hooks(asyncio.get_running_loop())
        return await main()

    return qasync.run(wrapped())


async def until(predicate: Callable[[], bool], timeout: float = 60.0, step: float = 0.002) -> float:  # noqa: ASYNC109
    """Await until `predicate()` holds; returns the time it held (perf_counter). Raises on timeout."""
    import asyncio

    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(step)
    return time.perf_counter()


class PaintWatch:
    """Records the perf_counter time of every paint event of one widget (e.g. a viewport),
    and, when `state` is given, what `state()` returned at that paint."""

    def __init__(self, widget: Any, state: Callable[[], Any] | None = None) -> None:
        from PySide6.QtCore import QEvent, QObject

        watch = self

        class _Filter(QObject):
            def eventFilter(self, obj: Any, event: Any) -> bool:
                if event.type() == QEvent.Type.Paint:
                    watch.times.append(time.perf_counter())
                    if state is not None:
                        watch.states.append(state())
                return False

        self.times: list[float] = []
        self.states: list[Any] = []
        self._filter = _Filter()
        widget.installEventFilter(self._filter)

    def first_after(self, t: float) -> float | None:
        return next((x for x in self.times if x >= t), None)

    def first_where(self, predicate: Callable[[Any], bool]) -> float | None:
        """The time of the first paint whose recorded state satisfies `predicate`."""
        return next((t for t, s in zip(self.times, self.states, strict=False) if predicate(s)), None)


# -- data --------------------------------------------------------------------------------

WORDS = [
    "the",
    "model",
    "streams",
    "tokens",
    "into",
    "a",
    "native",
    "transcript",
    "while",
    "the",
    "user",
    "waits",
    "and",
    "reads",
    "quickly",
    "latency",
    "matters",
    "more",
    "than",
    "throughput",
    "for",
    "people",
    "who",
    "chat",
    "with",
    "large",
    "language",
    "models",
    "every",
    "day",
    "render",
    "markdown",
    "headings",
    "lists",
    "tables",
    "code",
    "blocks",
    "quotes",
    "links",
    "emphasis",
    "strong",
    "inline",
    "spans",
    "python",
    "rust",
    "sqlite",
    "qt",
    "widget",
    "layout",
    "document",
    "frame",
    "cursor",
    "paint",
    "event",
    "loop",
    "timer",
    "signal",
    "slot",
    "memory",
    "cache",
    "index",
    "search",
    "query",
    "snippet",
    "conversation",
    "message",
    "reply",
    "prompt",
    "system",
    "assistant",
]

CODE = '''def fib(n: int) -> int:
    """Return the n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


class Cache(dict):
    def __missing__(self, key):
        value = self[key] = fib(key)
        return value
'''


def markdown_text(tokens: int, seed: int = 1) -> str:
    """Deterministic Markdown of about `tokens` word tokens: headings, paragraphs, lists, a table,
    inline code and a fenced Python block every few sections (what long model replies look like)."""
    rng = random.Random(seed)
    out: list[str] = []
    count = 0
    section = 0
    while count < tokens:
        section += 1
        out.append(f"## Section {section}: {rng.choice(WORDS)} {rng.choice(WORDS)}\n")
        para = " ".join(rng.choice(WORDS) for _ in range(60))
        out.append(para[:1].upper() + para[1:] + f" with `inline_{section}()` code and **bold** text.\n")
        out.append("\n".join(f"- {' '.join(rng.choice(WORDS) for _ in range(8))}" for _ in range(4)) + "\n")
        if section % 3 == 0:
            out.append(f"```python\n{CODE}```\n")
        if section % 5 == 0:
            out.append("| name | value |\n|---|---|\n| alpha | 1 |\n| beta | 2 |\n")
        count = sum(len(block.split()) for block in out)
    return "\n".join(out)


def token_ends(text: str) -> list[int]:
    """End offset (in characters) of each token as the fake server splits the text."""
    from tests.helpers.fake_xai_scripts import split_tokens

    ends: list[int] = []
    pos = 0
    for tok in split_tokens(text):
        pos += len(tok)
        ends.append(pos)
    return ends


def conversation(n_messages: int, *, seed: int, tokens_per_reply: int = 120, title: str = "") -> Any:
    """A stored-shape Conversation alternating user questions and Markdown replies."""
    from grokdesk.core.conversation import Conversation, Message, Role

    rng = random.Random(seed)
    conv = Conversation(title=title or f"Conversation {seed}", model="grok-3")
    base = time.time() - 86400 * rng.randint(1, 300)
    for i in range(n_messages):
        if i % 2 == 0:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))) + "?"
            msg = Message.text(Role.USER, text)
        else:
            text = markdown_text(tokens_per_reply, seed=seed * 7919 + i)
            msg = Message.text(Role.ASSISTANT, text, model="grok-3")
        msg.created_at = base + i
        conv.messages.append(msg)
    conv.created_at = base
    conv.updated_at = base + n_messages
    return conv


def store_conversations(
    data_dir: Path, conversations: Iterable[Any], session_ids: Sequence[str] = ()
) -> None:
    """Write conversations (and a session restoring `session_ids` as open tabs) with Store directly."""
    from grokdesk.storage.records import SessionState, TabState
    from grokdesk.storage.store import Store

    store = Store.open(data_dir)
    try:
        with store.transaction():
            for conv in conversations:
                store.save_conversation(conv)
                for position, message in enumerate(conv.messages):
                    store.save_message(conv.id, message, position)
        if session_ids:
            store.save_session(
                SessionState(tabs=[TabState(conversation_id=cid, model="grok-3") for cid in session_ids])
            )
    finally:
        store.close()


# -- the fake server in its own process (so its CPU does not compete for our GIL) --------------


class FakeServerProcess:
    """`bench/fake_server.py` in a child process, answering every chat request with `reply_text`."""

    def __init__(self, reply_text: str = "", replies: int = 200, chunk_delay: float = 0.0) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        self._reply_file = OUT / f"reply-{os.getpid()}-{id(self)}.md"
        self._reply_file.write_text(reply_text, encoding="utf-8")
        self.proc = subprocess.Popen(
            [
                PYTHON,
                str(BENCH_DIR / "fake_server.py"),
                str(self._reply_file),
                str(replies),
                str(chunk_delay),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 2:
            raise RuntimeError("the fake server did not start")
        self.base_url, self.api_key = line

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reply_file.unlink(missing_ok=True)

    def __enter__(self) -> FakeServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
