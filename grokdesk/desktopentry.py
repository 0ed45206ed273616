"""The applications-menu entry and icons for a pip or pipx install on Linux (no Qt).

Writes the same files packaging/install-linux.sh writes for a PyInstaller build, from the
same template (resources/grokdesk.desktop) with the same Exec and TryExec lines, so both
kinds of install look alike to the desktop and either one's uninstall removes the other's:

    $XDG_DATA_HOME/applications/grokdesk.desktop
    $XDG_DATA_HOME/icons/hicolor/NxN/apps/grokdesk.png and scalable/apps/grokdesk.svg

($XDG_DATA_HOME defaults to ~/.local/share.) The data folder is never touched.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

# resources/ becomes grokdesk.resources only when pip installs it (package-dir in
# pyproject), which mypy cannot follow: imported by name. Without it (a source checkout
# never installed) this module cannot be imported, and nothing offers a menu entry.
resources = importlib.import_module("grokdesk.resources")

ENTRY_NAME: Final = "grokdesk.desktop"
ICON_NAME: Final = "grokdesk"
LAUNCHER_NAME: Final = "grokdesk"


class DesktopEntryError(OSError):
    """The entry could not be written or did not validate; the message says why."""


@dataclass(frozen=True)
class Installed:
    entry: Path
    launcher: Path

    def describe(self) -> str:
        return f"Added GrokDesk to the applications menu ({self.entry}, starts {self.launcher})."


def supported(system: str = sys.platform) -> bool:
    """Desktop entries are the freedesktop.org menus of Linux and the BSDs."""
    return system not in ("win32", "cygwin", "darwin")


def data_home(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME, or ~/.local/share when it is unset or relative (the spec says to
    ignore a relative one)."""
    raw = env.get("XDG_DATA_HOME", "")
    if raw and Path(raw).is_absolute():
        return Path(raw)
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "share"


def entry_path(data: Path) -> Path:
    return data / "applications" / ENTRY_NAME


def icon_targets(data: Path) -> list[tuple[str, Path]]:
    """(resource name, where it goes) for every icon the entry's Icon= name resolves to."""
    hicolor = data / "icons" / "hicolor"
    targets = [
        (f"icons/grokdesk-{size}.png", hicolor / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png")
        for size in resources.ICON_SIZES
    ]
    targets.append(("grokdesk.svg", hicolor / "scalable" / "apps" / f"{ICON_NAME}.svg"))
    return targets


def is_installed(data: Path) -> bool:
    return entry_path(data).is_file()


def find_launcher(
    argv0: str | None = None, executable: str | None = None, *, frozen: bool | None = None
) -> Path | None:
    """The installed `grokdesk` command this process was started from, or the one pip put
    beside this interpreter, or the one on PATH; None when there is none (a source run)."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    if getattr(sys, "frozen", False) if frozen is None else frozen:
        return Path(executable).resolve()
    candidates = []
    if Path(argv0).name == LAUNCHER_NAME:
        candidates.append(Path(argv0))
    if executable:
        candidates.append(Path(executable).parent / LAUNCHER_NAME)
    found = shutil.which(LAUNCHER_NAME)
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate.resolve()
    return None


def _exec_quote(path: Path) -> str:
    """One Exec argument, quoted as the Desktop Entry spec asks: inside double quotes,
    '"', '`', '$' and '\\' are escaped with a backslash; '%' doubles (field codes); then
    the value's own backslashes are escaped once more (Exec is a string value)."""
    text = str(path)
    for char in ("\\", '"', "`", "$"):
        text = text.replace(char, "\\" + char)
    text = f'"{text}"'.replace("%", "%%")
    return text.replace("\\", "\\\\")


def render_entry(template: str, launcher: Path) -> str:
    """The template with Exec (quoted: a home folder may contain spaces) and TryExec (a
    plain path) pointing at `launcher`; install-linux.sh makes the same two substitutions."""
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            lines.append("Exec=" + _exec_quote(launcher))
        elif line.startswith("TryExec="):
            lines.append("TryExec=" + str(launcher).replace("\\", "\\\\"))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def validate(text: str) -> None:
    """Run desktop-file-validate on the entry when it is installed (it is optional, like
    in install-linux.sh); raise DesktopEntryError with its complaints."""
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        return
    with tempfile.TemporaryDirectory(prefix="grokdesk-entry-") as folder:
        candidate = Path(folder) / ENTRY_NAME
        candidate.write_text(text, encoding="utf-8")
        result = subprocess.run([tool, str(candidate)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).replace(str(candidate), ENTRY_NAME).strip()
        raise DesktopEntryError(f"The menu entry did not validate: {output}")


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename, so a menu never reads half an entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.chmod(0o644)
    partial.replace(path)


def _refresh_caches(data: Path) -> None:
    """Best effort, as in install-linux.sh: desktops notice the files without these too."""
    apps = data / "applications"
    tool = shutil.which("update-desktop-database")
    if tool:
        subprocess.run([tool, "-q", str(apps)], capture_output=True, check=False)
    # Only refresh an existing user icon cache: creating one would hide icons other apps
    # add later without refreshing it.
    hicolor = data / "icons" / "hicolor"
    gtk_cache = shutil.which("gtk-update-icon-cache")
    if gtk_cache and (hicolor / "icon-theme.cache").is_file():
        subprocess.run([gtk_cache, "-q", "-t", str(hicolor)], capture_output=True, check=False)


def install(data: Path, launcher: Path) -> Installed:
    """Write the icons and the entry (validated first); raise DesktopEntryError on failure."""
    text = render_entry(resources.read_text(ENTRY_NAME), launcher)
    validate(text)
    try:
        for name, target in icon_targets(data):
            _write(target, resources.read_bytes(name))
        _write(entry_path(data), text.encode("utf-8"))
    except OSError as exc:
        raise DesktopEntryError(
            f"Cannot write the menu entry: {exc.strerror or exc} ({exc.filename})"
        ) from exc
    _refresh_caches(data)
    return Installed(entry=entry_path(data), launcher=launcher)


def uninstall(data: Path) -> list[Path]:
    """Remove the entry and the icons; returns what was removed."""
    removed = []
    for target in [entry_path(data), *(path for _name, path in icon_targets(data))]:
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DesktopEntryError(f"Cannot remove {target}: {exc.strerror or exc}") from exc
        removed.append(target)
    if removed:
        _refresh_caches(data)
    return removed
