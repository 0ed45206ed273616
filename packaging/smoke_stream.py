"""Run a built GrokDesk (the frozen binary) headless: a --smoke start, one streamed reply,
then a reply with a formula to an image sent along (the child processes).

    python packaging/smoke_stream.py                       # dist/grokdesk/grokdesk
    python packaging/smoke_stream.py --binary PATH --json  # one JSON line of results

1. `--smoke`: the app starts, paints its window offscreen and exits 0.
2. Streaming: the fake xAI server (tests/helpers/fake_xai.py, real HTTP on 127.0.0.1) is
   started, and the binary runs with `--base-url` pointing at it, the fake's key in
   XAI_API_KEY and `--smoke-send "Hello"`: it sends that message after the first paint and
   exits 0 once the reply has streamed in (the hidden --smoke-send option of grokdesk.app). Passing needs the
   exit code, the fake's own record of a chat stream it sent to the end carrying the message,
   and the reply the app assembled ("Echo: Hello", the fake's answer) in its JSON line.
3. Child processes: the same with `--smoke-attach photo.png` and a message holding a
   formula. The image must be read and checked in the image readers' child process and
   the formula typeset in the math child (the frozen executable started again as the
   child, with everything it imports bundled); the app's JSON line says where each ran.

Each run gets a fresh data folder; the frozen app's log (data/logs/grokdesk.log) is printed
when a run fails. Needs the test dependencies (the fake server lives in tests/helpers).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BINARY = ROOT / "dist" / "grokdesk" / ("GrokDesk.exe" if os.name == "nt" else "grokdesk")
MESSAGE = "Hello"
FORMULA_MESSAGE = "Is $e^{i\\pi} + 1 = 0$?"
RUN_TIMEOUT_S = 60.0


@dataclass
class RunResult:
    name: str
    returncode: int
    wall_s: float
    stdout: str
    stderr: str
    log: str
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and all(self.checks.values())

    def summary(self) -> dict[str, object]:
        data = asdict(self)
        data["passed"] = self.passed
        for name in ("stdout", "stderr", "log"):
            data[name] = data[name][-2000:]
        return data


def frozen_env(data_dir: Path) -> dict[str, str]:
    """A headless environment that leaves the user's own data, keyring and D-Bus alone."""
    # Test runs set PYTHON_KEYRING_BACKEND to a backend in tests/, which the frozen app cannot
    # import: let it detect its backend as it would for a user.
    dropped = ("XAI_", "GROKDESK_", "PYTHON_KEYRING_BACKEND", "QT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        GROKDESK_DATA_DIR=str(data_dir),
        # No session bus: no keyring prompts, and no dbus-daemon autolaunch (with dbus-x11 installed, libdbus would fork a
        # dbus-daemon that outlives the run).
        DBUS_SESSION_BUS_ADDRESS="disabled:",
        PYTHONFAULTHANDLER="1",
    )
    return env


def _run(name: str, argv: list[str], env: dict[str, str], data_dir: Path) -> RunResult:
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
        )
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        returncode, stdout, stderr = (
            -1,
            _text(exc.stdout),
            _text(exc.stderr) + f"\ntimed out after {RUN_TIMEOUT_S} s",
        )
    wall = time.perf_counter() - start
    log_file = data_dir / "logs" / "grokdesk.log"
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.is_file() else ""
    return RunResult(name, returncode, round(wall, 3), stdout, stderr, log)


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def _last_json_line(text: str) -> dict[str, object]:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def run_smoke(binary: Path) -> RunResult:
    """`grokdesk --smoke` offscreen: starts, paints, exits 0; the log file is written."""
    with tempfile.TemporaryDirectory(prefix="grokdesk-smoke-") as tmp:
        data_dir = Path(tmp) / "data"
        result = _run("smoke", [str(binary), "--smoke"], frozen_env(data_dir), data_dir)
        result.checks["log file written in the data folder"] = bool(result.log)
        return result


def run_stream(binary: Path) -> RunResult:
    """Send one message to the fake xAI server from the frozen app and stream the reply."""
    sys.path.insert(0, str(ROOT))
    from tests.helpers.fake_xai import FakeXai

    with tempfile.TemporaryDirectory(prefix="grokdesk-stream-") as tmp, FakeXai() as fake:
        data_dir = Path(tmp) / "data"
        env = frozen_env(data_dir)
        env["XAI_API_KEY"] = fake.api_key
        argv = [str(binary), "--base-url", fake.base_url, "--smoke-send", MESSAGE]
        result = _run("stream", argv, env, data_dir)
        turns = fake.requests_to("/v1/responses")
        streams = list(fake.streams)
        result.checks["the app sent the message to /v1/responses"] = any(
            MESSAGE in json.dumps(r.body) for r in turns
        )
        result.checks["the fake streamed a reply to the end"] = any(s.completed for s in streams)
        result.checks["the API key is not in the log"] = fake.api_key not in result.log
        # The fake echoes the last user message; the app reports the reply it assembled.
        report = _last_json_line(result.stdout)
        result.checks["the reply arrived whole and completed"] = (
            report.get("state") == "complete" and report.get("reply") == f"Echo: {MESSAGE}"
        )
        return result


def run_children(binary: Path) -> RunResult:
    """An image attached and a formula in the reply: both handled in child processes."""
    sys.path.insert(0, str(ROOT))
    from tests.data.builders import image_bytes
    from tests.helpers.fake_xai import FakeXai

    with tempfile.TemporaryDirectory(prefix="grokdesk-children-") as tmp, FakeXai() as fake:
        data_dir = Path(tmp) / "data"
        photo = Path(tmp) / "photo.png"
        photo.write_bytes(image_bytes(size=(64, 48)))
        env = frozen_env(data_dir)
        env["XAI_API_KEY"] = fake.api_key
        argv = [str(binary), "--base-url", fake.base_url, "--model", "grok-4.3"]
        argv += ["--smoke-send", FORMULA_MESSAGE, "--smoke-attach", str(photo)]
        result = _run("children", argv, env, data_dir)
        report = _last_json_line(result.stdout)
        pools = report.get("child_pools") or {}
        result.checks["the image was read and sent"] = report.get("images_sent") == 1 and any(
            "data:image/png;base64," in json.dumps(r.body) for r in fake.requests_to("/v1/responses")
        )
        result.checks["every formula was typeset"] = (
            isinstance(report.get("formulas"), int)
            and report["formulas"] >= 1
            and report.get("formulas_typeset") == report["formulas"]
        )
        result.checks["images were read in a child process"] = pools.get("image intake") == "in a child"
        result.checks["formulas were typeset in a child process"] = (
            pools.get("math typesetting") == "in a child"
        )
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, default=DEFAULT_BINARY)
    parser.add_argument("--json", action="store_true", help="print one JSON line of results")
    parser.add_argument("--smoke-only", action="store_true", help="skip the streaming run")
    args = parser.parse_args(argv)
    if not args.binary.is_file():
        print(f"no built app at {args.binary}: run packaging/build.sh first", file=sys.stderr)
        return 2
    results = [run_smoke(args.binary)]
    if not args.smoke_only:
        results.append(run_stream(args.binary))
        results.append(run_children(args.binary))
    if args.json:
        print(json.dumps([r.summary() for r in results]))
    else:
        for r in results:
            status = "PASS" if r.passed else "FAIL"
            print(f"{status} {r.name}: exit {r.returncode} in {r.wall_s:.2f} s")
            for check, ok in r.checks.items():
                print(f"    [{'x' if ok else ' '}] {check}")
            if not r.passed:
                print(f"--- stderr ---\n{r.stderr[-3000:]}\n--- log ---\n{r.log[-3000:]}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
