#!/usr/bin/env bash
# Install a built GrokDesk (packaging/build.sh) for the current user, no root needed:
#
#   packaging/install-linux.sh              install dist/grokdesk
#   packaging/install-linux.sh --uninstall  remove everything this script installed
#
#   ~/.local/opt/grokdesk/                          the one-folder build
#   ~/.local/bin/grokdesk                           symlink to its binary
#   ~/.local/share/applications/grokdesk.desktop    menu entry (Exec is the absolute path, so it
#                                                   works even where ~/.local/bin is not on PATH)
#   ~/.local/share/icons/hicolor/NxN/apps/grokdesk.png and scalable/apps/grokdesk.svg
#
# `grokdesk --install-desktop-entry` (grokdesk/desktopentry.py) writes the same entry, from the same
# template, and the same icons for a pip or pipx install: keep the two in step
# (tests/unit/test_desktop_entry.py compares their entries).
#
# Honours XDG_DATA_HOME; GROKDESK_BUILD_DIR installs another build folder. Your conversations and settings are not touched by either direction.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
OPT="$HOME/.local/opt/grokdesk"
BIN="$HOME/.local/bin"
APPS="$DATA_HOME/applications"
ICONS="$DATA_HOME/icons/hicolor"
SIZES=(16 22 24 32 48 64 128 256 512)

refresh_caches() {
    # Best effort: desktops also notice the files without these tools.
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$APPS" || true
    # Only refresh an existing user icon cache: creating one would hide icons other apps add later
    # without refreshing it.
    if [[ -f "$ICONS/icon-theme.cache" ]] && command -v gtk-update-icon-cache >/dev/null; then
        gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
    fi
}

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -rf "$OPT"
    [[ -L "$BIN/grokdesk" ]] && rm -f "$BIN/grokdesk"
    rm -f "$APPS/grokdesk.desktop" "$ICONS/scalable/apps/grokdesk.svg"
    for n in "${SIZES[@]}"; do rm -f "$ICONS/${n}x${n}/apps/grokdesk.png"; done
    refresh_caches
    echo "GrokDesk removed (your data folder is kept)."
    exit 0
elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [--uninstall]" >&2
    exit 2
fi

BUILD="${GROKDESK_BUILD_DIR:-$ROOT/dist/grokdesk}"
if [[ ! -x "$BUILD/grokdesk" ]]; then
    echo "No build at $BUILD: run packaging/build.sh first." >&2
    exit 1
fi

# Copy to a fresh folder, then swap, so a failed copy never leaves half an app behind.
mkdir -p "$(dirname "$OPT")" "$BIN" "$APPS" "$ICONS/scalable/apps"
rm -rf "$OPT.new"
cp -a "$BUILD" "$OPT.new"
rm -rf "$OPT"
mv "$OPT.new" "$OPT"
ln -sfn "$OPT/grokdesk" "$BIN/grokdesk"

for n in "${SIZES[@]}"; do
    install -D -m 644 "$ROOT/resources/icons/grokdesk-$n.png" "$ICONS/${n}x${n}/apps/grokdesk.png"
done
install -m 644 "$ROOT/resources/grokdesk.svg" "$ICONS/scalable/apps/grokdesk.svg"

# Exec is quoted (a home folder may contain spaces); TryExec takes a plain path.
sed -e "s|^Exec=.*|Exec=\"$OPT/grokdesk\"|" -e "s|^TryExec=.*|TryExec=$OPT/grokdesk|" \
    "$ROOT/resources/grokdesk.desktop" > "$APPS/grokdesk.desktop"
chmod 644 "$APPS/grokdesk.desktop"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$APPS/grokdesk.desktop"
fi
refresh_caches

echo "GrokDesk installed: $OPT (menu entry: $APPS/grokdesk.desktop, command: $BIN/grokdesk)"
case ":$PATH:" in
    *":$BIN:"*) ;;
    *) echo "Note: $BIN is not on your PATH; the menu entry works regardless." ;;
esac
