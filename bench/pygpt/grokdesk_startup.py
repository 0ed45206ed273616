# ruff: noqa
# (same style and helpers as the py-gpt scripts it mirrors)
"""GrokDesk measured exactly as py-gpt is (startup.py): under Xvfb (xcb), time from spawn to the
MapNotify of the main window, then the whole process tree's RSS/PSS/USS `--idle` s later.

Run with the py-gpt venv's python (it has python-xlib and psutil); GrokDesk itself runs with
$GROKDESK_PYTHON (default: the python on PATH). The data folder is a copy of
bench/out/startup_template (200 conversations, 5 tabs) when bench_startup.py made one.
Usage: grokdesk_startup.py --runs N [--idle 10] --out FILE
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_lib as M

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--idle", type=float, default=10.0)
ap.add_argument("--out", required=True)
a = ap.parse_args()

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
template = os.path.join(BENCH, "out", "startup_template")
python = os.environ.get("GROKDESK_PYTHON", "python3")
M.ensure_xvfb()
results = []
for i in range(a.runs):
    data = f"{M.P}/grokdesk_data"
    shutil.rmtree(data, ignore_errors=True)
    if os.path.isdir(template):
        shutil.copytree(template, data)
    env = dict(
        os.environ,
        DISPLAY=M.DISPLAY,
        QT_QPA_PLATFORM="xcb",
        XAI_API_KEY="xai-bench-0123456789",
        GROKDESK_BASE_URL="http://127.0.0.1:9/v1",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        NO_AT_BRIDGE="1",
        DBUS_SESSION_BUS_ADDRESS="disabled:",
    )
    w = M.MapWatcher()
    w.start()
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [python, "-m", "grokdesk", "--data-dir", data],
        env=env,
        start_new_session=True,
        stdout=open(f"{M.P}/grokdesk_{i}.log", "w"),
        stderr=subprocess.STDOUT,
    )
    main = w.wait_for(lambda r: "GrokDesk" in r[2] and r[3] > 300 and r[4] > 300, 60)
    if main is None:
        print("GrokDesk main window never mapped", file=sys.stderr)
        M.stop_app(proc)
        continue
    time.sleep(max(0.0, main[0] + a.idle - time.monotonic()))
    mem = M.mem_snapshot(proc.pid)
    r = {
        "run": i,
        "t_main_mapped_s": round(main[0] - t0, 3),
        "rss_total_mib": round(mem["rss_total_mib"], 1),
        "pss_total_mib": round(mem["pss_total_mib"], 1),
        "uss_total_mib": round(mem["uss_total_mib"], 1),
        "n_procs": mem["n_procs"],
    }
    results.append(r)
    print(json.dumps(r), flush=True)
    M.stop_app(proc)
    time.sleep(1)
summary = {
    k: M.med([r[k] for r in results])
    for k in ("t_main_mapped_s", "rss_total_mib", "pss_total_mib", "uss_total_mib")
}
print("SUMMARY", json.dumps(summary))
os.makedirs(os.path.dirname(a.out), exist_ok=True)
json.dump({"summary": summary, "runs": results}, open(a.out, "w"), indent=1)
