# ruff: noqa  (copied from the earlier py-gpt study; kept close to the original so results compare)
"""Startup wall time and idle memory of py-gpt under Xvfb.

For each run: (optionally) drop the page cache, lay out the workdir, start
`pygpt`, and timestamp (monotonic, from just before Popen):
  t_splash  - its splash process maps its window ("pygpt_splash")
  t_main    - the main window ("PyGPT <ver> | build ...") is mapped (MapNotify)
  t_settle  - first moment after t_main when the whole process tree uses
              < 0.10 core over the following 1 s (start-up work finished)
Then at t_main + IDLE s: RSS / PSS / USS summed over the process tree
(main python + QtWebEngine zygotes/GPU/renderer/utility processes), and a
screenshot.

Usage: venv/bin/python 02_startup.py --scenario {first,relaunch} --cache {warm,cold} --runs N [--shot PATH]
  first    : empty workdir (first launch: DB install, config, licence dialog)
  relaunch : copy of $PEER_DIR/template (already initialised, licence accepted)
  cold     : sync + echo 3 > /proc/sys/vm/drop_caches before each launch
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_lib as M

ap = argparse.ArgumentParser()
ap.add_argument("--scenario", choices=["first", "relaunch"], default="relaunch")
ap.add_argument("--cache", choices=["warm", "cold"], default="warm")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--idle", type=float, default=10.0)
ap.add_argument("--shot", default=None, help="screenshot path (taken on the first run at t_main+idle)")
ap.add_argument("--out", default=None)
a = ap.parse_args()

M.ensure_xvfb()
wd = f"{M.P}/wd_startup"
results = []
for i in range(a.runs):
    M.reset_workdir(wd, None if a.scenario == "first" else f"{M.P}/template")
    # HOME: empty for a first launch, as left by one earlier launch for a relaunch
    M.reset_workdir(f"{M.P}/home", None if a.scenario == "first" else f"{M.P}/template_home")
    if a.cache == "cold":
        assert M.drop_caches(), "cannot drop caches"
        time.sleep(1)
    w = M.MapWatcher()
    w.start()
    t0 = time.monotonic()
    proc = M.launch_app(wd, f"{M.P}/startup_{a.scenario}_{a.cache}_{i}.log")
    sampler = M.CpuSampler(proc.pid, 0.1)
    sampler.start()
    main = w.wait_for(M.is_main_window, 180)
    splash = w.wait_for(lambda r: r[2] == "pygpt_splash", 0.1)
    if main is None:
        print("main window never mapped", file=sys.stderr)
        M.stop_app(proc)
        continue
    t_main = main[0] - t0
    time.sleep(max(0.0, main[0] + a.idle - time.monotonic()))
    mem = M.mem_snapshot(proc.pid)
    cpu_last2 = None
    s = sampler.samples
    if len(s) > 20:
        cpu_last2 = (s[-1][1] - s[-21][1]) / (s[-1][0] - s[-21][0])
    if a.shot and i == 0:
        M.screenshot(a.shot)
    settle = sampler.settle_time(main[0])
    sampler.stop()
    cpu_total = M.cpu_total(proc.pid)
    r = {
        "run": i,
        "scenario": a.scenario,
        "cache": a.cache,
        "t_splash_s": round(splash[0] - t0, 3) if splash else None,
        "t_main_mapped_s": round(t_main, 3),
        "t_settled_s": round(settle - t0, 3) if settle else None,
        "cpu_s_until_sample": round(cpu_total, 2),
        "cpu_cores_last2s": round(cpu_last2, 3) if cpu_last2 is not None else None,
        "rss_total_mib": round(mem["rss_total_mib"], 1),
        "pss_total_mib": round(mem["pss_total_mib"], 1),
        "uss_total_mib": round(mem["uss_total_mib"], 1),
        "main_rss_mib": round(mem["main_rss_mib"], 1),
        "n_procs": mem["n_procs"],
        "procs": [
            {k: (round(v, 1) if isinstance(v, float) else v) for k, v in p.items()} for p in mem["procs"]
        ],
        "windows": [(round(t - t0, 3), n, ww, hh) for t, _, n, ww, hh in w.events],
    }
    results.append(r)
    print(json.dumps({k: v for k, v in r.items() if k not in ("procs",)}))
    M.stop_app(proc)
    time.sleep(2)

summary = {"scenario": a.scenario, "cache": a.cache, "runs": len(results)}
for k in (
    "t_splash_s",
    "t_main_mapped_s",
    "t_settled_s",
    "rss_total_mib",
    "pss_total_mib",
    "uss_total_mib",
    "main_rss_mib",
    "cpu_s_until_sample",
    "n_procs",
):
    summary["median_" + k] = M.med([r[k] for r in results])
print("SUMMARY", json.dumps(summary))
out = a.out or f"{os.path.dirname(os.path.abspath(__file__))}/results/startup_{a.scenario}_{a.cache}.json"
os.makedirs(os.path.dirname(out), exist_ok=True)
json.dump({"summary": summary, "runs": results}, open(out, "w"), indent=1)
