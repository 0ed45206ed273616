#!/usr/bin/env bash
# Build the GrokDesk double-click app on Linux or macOS, from a clean checkout, in one command:
#
#   packaging/build.sh              one folder: dist/grokdesk/grokdesk (Linux), dist/GrokDesk.app (macOS)
#   packaging/build.sh --onefile    one file:   dist/grokdesk-onefile (starts ~1.5 s slower: it unpacks)
#   packaging/build.sh --console    keep a console (debugging; same as GROKDESK_CONSOLE=1)
#
# Creates build/venv with the app and its `package` extra (PyInstaller), then runs
# packaging/grokdesk.spec. Env: PYTHON (interpreter for the venv, default python3),
# GROKDESK_SKIP_INSTALL=1 (reuse build/venv as it is).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SPEC_ARGS=()
for arg in "$@"; do
    case "$arg" in
        --onefile) SPEC_ARGS+=(--onefile) ;;
        --console) export GROKDESK_CONSOLE=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

VENV="$ROOT/build/venv"
PY="$VENV/bin/python"
start=$(date +%s)

if [[ "${GROKDESK_SKIP_INSTALL:-0}" != 1 || ! -x "$PY" ]]; then
    if [[ ! -x "$PY" ]]; then
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    "$PY" -m pip install -q --disable-pip-version-check --upgrade pip
    # A regular (not editable) install: PyInstaller then sees grokdesk and grokdesk.resources
    # exactly as a user's site-packages would, package data included.
    "$PY" -m pip install -q --disable-pip-version-check ".[package]"
    "$PY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall .
fi
installed=$(date +%s)

# Run from build/ with -P (no current folder on sys.path): the analysis must import the
# installed grokdesk (which has grokdesk.resources), not the source tree's.
(cd "$ROOT/build" && "$PY" -P -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/packaging/grokdesk.spec" ${SPEC_ARGS[@]+-- "${SPEC_ARGS[@]}"})
done_at=$(date +%s)

if [[ ${#SPEC_ARGS[@]} -gt 0 ]]; then
    case "$(uname -s)" in
        Linux) OUT="dist/grokdesk-onefile" ;;
        *) OUT="dist/GrokDesk-onefile" ;;
    esac
elif [[ "$(uname -s)" == Darwin ]]; then
    OUT="dist/GrokDesk.app"
else
    OUT="dist/grokdesk"
fi
size=$(du -sh "$OUT" | cut -f1)
files=$(find "$OUT" -type f | wc -l | tr -d ' ')
echo "built $OUT: $size in $files files; install $((installed - start)) s, PyInstaller $((done_at - installed)) s"
