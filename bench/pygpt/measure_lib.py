# ruff: noqa  (copied from the earlier py-gpt study; kept close to the original so results compare)
"""Copied from the earlier py-gpt study; defaults point at bench/out/pygpt and display :77."""

"""Shared helpers for measuring py-gpt (pygpt-net) under Xvfb.

Run with the venv interpreter ($PEER_DIR/venv/bin/python): it needs
python-xlib and psutil, both of which pygpt-net already pulls in.
Nothing here writes outside $PEER_DIR.
"""
import os
import tempfile
import shutil
import signal
import statistics
import subprocess
import threading
import time

import psutil
from Xlib import X, display as xdisplay

P = os.environ.get("PEER_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out", "pygpt"))
VENV = f"{P}/venv"
DISPLAY = os.environ.get("PEER_DISPLAY", ":77")  # its own display: other work may use :99


def app_env(workdir, extra=None):
    """Environment that keeps every py-gpt / Qt / Chromium file under $PEER_DIR."""
    home = f"{P}/home"
    env = dict(os.environ)
    env.update(
        {
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_CACHE_HOME": f"{home}/.cache",
            "XDG_DATA_HOME": f"{home}/.local/share",
            "XDG_RUNTIME_DIR": f"{home}/run",
            "PYGPT_WORKDIR": workdir,
            "DISPLAY": DISPLAY,
            "QTWEBENGINE_DISABLE_SANDBOX": "1",  # we run as root
            "QT_QPA_PLATFORM": "xcb",
            "NO_AT_BRIDGE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # offline copy of tiktoken's cl100k_base (prep_tiktoken_cache.py); PEER_NO_TIKTOKEN_CACHE=1 to go without
    if os.environ.get("PEER_NO_TIKTOKEN_CACHE") != "1":
        env["TIKTOKEN_CACHE_DIR"] = f"{P}/tiktoken_cache"
    for d in (env["XDG_CONFIG_HOME"], env["XDG_CACHE_HOME"], env["XDG_DATA_HOME"], env["XDG_RUNTIME_DIR"]):
        os.makedirs(d, exist_ok=True)
    os.chmod(env["XDG_RUNTIME_DIR"], 0o700)
    if extra:
        env.update(extra)
    return env


def ensure_xvfb():
    """Start Xvfb on DISPLAY if nothing answers there yet."""
    ok = subprocess.run(["xdpyinfo", "-display", DISPLAY], capture_output=True).returncode == 0
    if ok:
        return None
    proc = subprocess.Popen(
        ["Xvfb", DISPLAY, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=open(f"{P}/xvfb.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    with open(f"{P}/xvfb.pid", "w") as f:
        f.write(str(proc.pid))
    for _ in range(100):
        if subprocess.run(["xdpyinfo", "-display", DISPLAY], capture_output=True).returncode == 0:
            return proc
        time.sleep(0.05)
    raise RuntimeError("Xvfb did not come up")


class MapWatcher(threading.Thread):
    """Records every top-level MapNotify on the root window with a monotonic timestamp.

    There is no window manager under Xvfb, so top-level windows are direct
    children of the root and their MapNotify reaches SubstructureNotify on root.
    """

    def __init__(self):
        super().__init__(daemon=True)
        self.d = xdisplay.Display(DISPLAY)
        self.root = self.d.screen().root
        self.root.change_attributes(event_mask=X.SubstructureNotifyMask)
        self.d.sync()
        self.events = []  # (t_monotonic, window_id, name, w, h)
        self._stop = False
        self.cond = threading.Condition()

    def _winname(self, win):
        try:
            atom = self.d.intern_atom("_NET_WM_NAME")
            prop = win.get_full_property(atom, 0)
            if prop and prop.value:
                v = prop.value
                return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            n = win.get_wm_name()
            return n.decode("utf-8", "replace") if isinstance(n, bytes) else (n or "")
        except Exception:
            return ""

    def run(self):
        while not self._stop:
            ev = self.d.next_event()
            if ev.type == X.MapNotify:
                t = time.monotonic()
                win = ev.window
                try:
                    g = win.get_geometry()
                    w, h = g.width, g.height
                except Exception:
                    w = h = 0
                rec = (t, win.id, self._winname(win), w, h)
                with self.cond:
                    self.events.append(rec)
                    self.cond.notify_all()

    def wait_for(self, pred, timeout):
        """Block until an event satisfying pred(rec) exists; return it or None."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for rec in self.events:
                    if pred(rec):
                        return rec
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))


def is_main_window(rec):
    _, _, name, w, h = rec
    return name.startswith("PyGPT ") and "build" in name and w > 300 and h > 300


def tree(pid):
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def mem_snapshot(pid):
    """RSS and PSS (MiB) of the app process tree, per process and summed."""
    rows = []
    for p in tree(pid):
        try:
            mi = p.memory_full_info()
            name = p.name()
            cmd = " ".join(p.cmdline()[:3])
            ptype = ""
            for a in p.cmdline():
                if a.startswith("--type="):
                    ptype = a[7:]
            rows.append(
                {
                    "pid": p.pid,
                    "name": name,
                    "type": ptype,
                    "cmd": cmd[:80],
                    "rss": mi.rss / 2**20,
                    "pss": mi.pss / 2**20,
                    "uss": mi.uss / 2**20,
                }
            )
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return {
        "n_procs": len(rows),
        "rss_total_mib": sum(r["rss"] for r in rows),
        "pss_total_mib": sum(r["pss"] for r in rows),
        "uss_total_mib": sum(r["uss"] for r in rows),
        "main_rss_mib": rows[0]["rss"] if rows else 0,
        "procs": rows,
    }


def cpu_snapshot(pid):
    """{pid: (label, user+system seconds)} for the app process tree."""
    out = {}
    for p in tree(pid):
        try:
            ct = p.cpu_times()
            label = "python-main" if p.pid == pid else p.name()
            for a in p.cmdline():
                if a.startswith("--type="):
                    label = "webengine-" + a[7:]
                    if a[7:] == "zygote" and "--renderer-client-id" not in " ".join(p.cmdline()):
                        pass
                if a.startswith("--utility-sub-type="):
                    label += ":" + a.split("=", 1)[1].split(".")[-1]
            if "renderer" in " ".join(p.cmdline()) and "--type=renderer" in p.cmdline():
                label = "webengine-renderer"
            out[p.pid] = (label, ct.user + ct.system)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return out


def cpu_total(pid):
    return sum(v for _, v in cpu_snapshot(pid).values())


def cpu_diff(before, after):
    per = {}
    for pid, (label, t1) in after.items():
        t0 = before.get(pid, (label, 0.0))[1]
        key = f"{label}[{pid}]"
        per[key] = round(t1 - t0, 3)
    return per


def launch_app(workdir, log_path, extra_env=None, args=None):
    env = app_env(workdir, extra_env)
    cmd = [f"{VENV}/bin/python", f"{VENV}/bin/pygpt"] + (args or [])
    logf = open(log_path, "w")
    proc = subprocess.Popen(
        cmd, env=env, cwd=P, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True
    )
    return proc


def stop_app(proc, grace=20):
    """SIGTERM the main process (py-gpt saves config on it), then kill its whole session."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    # stray members of the session (QtWebEngine zygotes re-parented to init)
    for p in psutil.process_iter(["pid"]):
        try:
            if os.getsid(p.pid) == proc.pid:
                p.kill()
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError, OSError):
            pass


def drop_caches():
    subprocess.run(["sync"])
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def reset_workdir(dst, template=None):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    if template:
        shutil.copytree(template, dst)
        # py-gpt keeps the ABSOLUTE data path of each profile in profile.json; point it at the copy
        pj = os.path.join(dst, "profile.json")
        if os.path.exists(pj):
            import json

            d = json.load(open(pj))
            for prof in d.get("profiles", {}).values():
                if "workdir" in prof:
                    prof["workdir"] = dst
            json.dump(d, open(pj, "w"), indent=4)


def screenshot(path):
    subprocess.run(["import", "-display", DISPLAY, "-window", "root", path], check=False)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class CpuSampler(threading.Thread):
    """Samples summed CPU seconds of the process tree every `interval` seconds."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples = []  # (t_monotonic, cpu_seconds_total, main_cpu_seconds)
        self._stop = threading.Event()

    def run(self):
        while not self._stop.is_set():
            snap = cpu_snapshot(self.pid)
            tot = sum(v for _, v in snap.values())
            main = snap.get(self.pid, ("", 0.0))[1]
            self.samples.append((time.monotonic(), tot, main))
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()

    def settle_time(self, after_t, window=1.0, threshold=0.10):
        """First time >= after_t at which tree CPU over the following `window` s is below threshold cores."""
        s = self.samples
        for i, (t, c, _) in enumerate(s):
            if t < after_t:
                continue
            for j in range(i + 1, len(s)):
                if s[j][0] - t >= window:
                    if (s[j][1] - c) / (s[j][0] - t) < threshold:
                        return t
                    break
        return None


def lag_stats(path, t_from, t_to, tick=0.020):
    """GUI event-loop lag from probe/sitecustomize.py output, for ticks in [t_from, t_to]."""
    gaps = []
    try:
        for line in open(path):
            parts = line.split()
            if len(parts) == 2:
                t, g = float(parts[0]), float(parts[1])
                if t_from <= t <= t_to:
                    gaps.append(g)
    except FileNotFoundError:
        return {"n": 0}
    if not gaps:
        return {"n": 0}
    gs = sorted(gaps)
    q = lambda p: gs[min(len(gs) - 1, int(p * len(gs)))]
    span = max(1e-9, t_to - t_from)
    return {
        "n": len(gs),
        "median_ms": round(q(0.5) * 1000, 1),
        "p95_ms": round(q(0.95) * 1000, 1),
        "p99_ms": round(q(0.99) * 1000, 1),
        "max_ms": round(gs[-1] * 1000, 1),
        "over_50ms": sum(1 for g in gs if g > 0.05),
        "over_100ms": sum(1 for g in gs if g > 0.1),
        "over_250ms": sum(1 for g in gs if g > 0.25),
        "busy_fraction": round(sum(max(0.0, g - tick) for g in gs) / span, 3),
    }
