#!/bin/bash
# Every GrokDesk benchmark, one after the other (about 12 minutes on 2 cores, plus the data built once
# into bench/out/). Figures go to stdout and bench/out/results.jsonl. py-gpt is separate: bench/pygpt/run.sh.
#   bench/run_all.sh [python]     (default: the python on PATH; use the project's venv)
set -u
PY=${1:-${PYTHON:-python3}}
HERE=$(cd "$(dirname "$0")" && pwd)
status=0
for script in bench_startup bench_streaming bench_long_conversation bench_search bench_memory bench_image_intake bench_math; do
  echo "== $script"
  timeout 900 "$PY" "$HERE/$script.py" 2>"$HERE/out/$script.stderr" || { echo "!! $script failed (see bench/out/$script.stderr)"; status=1; }
done
exit $status
