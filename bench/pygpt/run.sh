#!/bin/bash
# py-gpt (pygpt-net) start-up to window and idle memory on this machine, and GrokDesk measured the
# same way (Xvfb, spawn to MapNotify; process-tree RSS/PSS 10 s later). py-gpt lives in its own venv
# under $PEER_DIR (default bench/out/pygpt), never in the project's dependencies.
#   bench/pygpt/run.sh            # install once (~13 min, 2.8 GiB), then RUNS=5 launches of each
# Env: RUNS (5), PEER_DIR, PEER_DISPLAY (:77), GROKDESK_PYTHON (python3 on PATH; use the project's venv),
#      SKIP_APT=1 (system packages already there).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export PEER_DIR=${PEER_DIR:-$HERE/../out/pygpt}
mkdir -p "$PEER_DIR"; export PEER_DIR=$(cd "$PEER_DIR" && pwd)
export PEER_DISPLAY=${PEER_DISPLAY:-:77}
export GROKDESK_PYTHON=${GROKDESK_PYTHON:-python3}
RUNS=${RUNS:-5}
PY=$PEER_DIR/venv/bin/python
[ -x "$PEER_DIR/venv/bin/pygpt" ] || "$HERE/install.sh" || exit 1
mkdir -p "$PEER_DIR/results"
cd "$PEER_DIR"
# One first launch builds the workdir template (licence accepted, updater off), as in the earlier study.
[ -d "$PEER_DIR/template" ] || timeout 300 $PY "$HERE/prep_template.py" > "$PEER_DIR/prep.log" 2>&1
timeout 900 $PY "$HERE/startup.py" --scenario relaunch --cache warm --runs "$RUNS" \
  --out "$PEER_DIR/results/startup_relaunch_warm.json" > "$PEER_DIR/results/startup.log" 2>&1
timeout 600 $PY "$HERE/grokdesk_startup.py" --runs "$RUNS" --out "$PEER_DIR/results/grokdesk_startup.json" \
  > "$PEER_DIR/results/grokdesk_startup.log" 2>&1
# Our Xvfb only (its pid file), never others'.
[ -f "$PEER_DIR/xvfb.pid" ] && kill "$(cat "$PEER_DIR/xvfb.pid")" 2>/dev/null && rm -f "$PEER_DIR/xvfb.pid"
$GROKDESK_PYTHON "$HERE/summarize.py" "$PEER_DIR/results"
