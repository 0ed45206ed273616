"""Start-up counted in instructions, which other work on the machine does not change.

valgrind's callgrind counts the instructions a process runs (every thread) from its start to
its first paint: the app as bench_startup.py starts it (200 saved conversations, 5 tabs
restored) and the bare PySide6 window. Both exit at their first paint (BENCH_EXIT_AT_PAINT),
so shutdown is not counted. One run each: the count repeats to within a fraction of a
percent. Under valgrind Python runs ~50 times slower: about 2 minutes in all.

    python bench/bench_startup_instructions.py      (needs valgrind: apt install valgrind)
"""

from __future__ import annotations

import compileall
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_startup
import common as C

NAME = "startup.instructions"


def instructions(cmd: list[str], env: dict[str, str], out: Path) -> int:
    """Instructions callgrind counted for `cmd` (all threads), read from its output file."""
    out.unlink(missing_ok=True)
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--separate-threads=no", f"--callgrind-out-file={out}", *cmd],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    for line in out.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction count in {out}")


def main() -> None:
    C.setup_env()
    C.banner("bench_startup_instructions")
    if shutil.which("valgrind") is None:
        C.not_available(NAME, "valgrind is not installed (apt install valgrind)")
        return
    compileall.compile_dir(C.ROOT / "grokdesk", quiet=1)  # as an installed app has it (bench_startup.py)
    template = C.OUT / "startup_template"
    bench_startup.prepare(template)
    work = C.OUT / "startup_instructions_run"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(template, work)
    with C.FakeServerProcess("Hello.", replies=0) as server:
        env = C.child_env(XAI_API_KEY=server.api_key, BENCH_EXIT_AT_PAINT="1")
        floor = instructions([C.PYTHON, str(C.BENCH_DIR / "floor_window.py")], env, C.OUT / "callgrind.floor")
        app = instructions(bench_startup.app_command(work, server.base_url), env, C.OUT / "callgrind.app")
    C.report(f"{NAME}.floor", [floor / 1e6], unit=" M", note="bare PySide6 window, start to first paint")
    C.report(f"{NAME}.app", [app / 1e6], unit=" M", note="200 conversations, 5 tabs restored")
    C.report(f"{NAME}_ratio", [app / floor], note="app / floor, in instructions (independent of load)")


if __name__ == "__main__":
    main()
