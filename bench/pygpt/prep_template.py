# ruff: noqa  (copied from the earlier py-gpt study; kept close to the original so results compare)
"""Build $PEER_DIR/template: a py-gpt workdir after one first launch, then patched.

Patches (config.json):
  - license.accepted = true            (skip first-run licence dialog)
  - updater checks off                 (no network on this box)
  - ctx.auto_summary = false           (no extra title-generation request)
  - providers.x_ai: api_base -> fake local server, fake key, native SDK off
    (native=false makes py-gpt talk to xAI through the OpenAI SDK at api_base,
     i.e. POST {api_base}/chat/completions with stream=true)
  - providers.openai: api_base -> same fake server (catches any stray call)
  - model / current_model[chat] = grok-4.3, mode = chat, stream = true
Usage: venv/bin/python prep_template.py [PORT]
"""

import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_lib as M

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
BASE = f"http://127.0.0.1:{PORT}/v1"
build = f"{M.P}/wd_build"
template = f"{M.P}/template"


def main():
    M.ensure_xvfb()
    M.reset_workdir(build)
    M.reset_workdir(f"{M.P}/home")
    w = M.MapWatcher()
    w.start()
    proc = M.launch_app(build, f"{M.P}/prep_first_launch.log")
    rec = w.wait_for(M.is_main_window, 120)
    print("main window:", rec)
    time.sleep(12)
    for e in w.events:
        print("map", e)
    M.stop_app(proc)
    cfg_path = f"{build}/config.json"
    c = json.load(open(cfg_path))
    c["license.accepted"] = True
    c["updater.check.launch"] = False
    c["updater.check.bg"] = False
    c["ctx.auto_summary"] = False
    c["providers"]["x_ai"]["api_key"] = "xai-FAKE-KEY-for-local-test"
    c["providers"]["x_ai"]["api_base"] = BASE
    c["providers"]["x_ai"].setdefault("extra", {})["native"] = False
    c["providers"]["openai"]["api_key"] = "sk-FAKE"
    c["providers"]["openai"]["api_base"] = BASE
    c["model"] = "grok-4.3"
    c.setdefault("current_model", {})["chat"] = "grok-4.3"
    c["mode"] = "chat"
    c["stream"] = True
    json.dump(c, open(cfg_path, "w"), indent=4)
    if os.path.exists(template):
        shutil.rmtree(template)
    shutil.copytree(build, template)
    # HOME after one launch (Qt/mesa shader caches etc.) is restored for 'relaunch' runs
    if os.path.exists(template + "_home"):
        shutil.rmtree(template + "_home")
    shutil.copytree(f"{M.P}/home", template + "_home")
    print("template ready:", template)


if __name__ == "__main__":
    main()
