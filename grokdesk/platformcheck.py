"""Can Qt open a window here? Checked before the QApplication exists, without Qt.

When a library Qt's platform plugin needs is missing (libxcb-cursor0 is missing on many
Ubuntu installs, and Qt >= 6.5 needs it), Qt prints a misleading "could not load the Qt
platform plugin" and aborts the interpreter, so nothing after it can explain. This module
decides the same question first, with the dynamic loader, and names the library and the
Debian/Ubuntu package to install.

The library lists are the DT_NEEDED entries of PySide6's platform plugins and of the Qt
libraries they load, less Qt's own bundled libraries and the C runtime that Python itself
needs (tests/unit/test_platformcheck.py re-reads them from the installed PySide6, so a
PySide6 upgrade that needs another library fails that test until the table is updated).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Exit status of `grokdesk` when no window can be opened.
EXIT_NO_PLATFORM: Final = 3

#: The Debian/Ubuntu package that ships each library (the same names on both).
PACKAGES: Final[Mapping[str, str]] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libgcc_s.so.1": "libgcc-s1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libstdc++.so.6": "libstdc++6",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
}

#: What QtCore, QtGui, QtWidgets and QtDBus need whatever the platform (offscreen included).
BASE_LIBRARIES: Final = (
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "libz.so.1",
    "libzstd.so.1",
    "libglib-2.0.so.0",
    "libgthread-2.0.so.0",
    "libdbus-1.so.3",
    "libGL.so.1",
    "libEGL.so.1",
    "libX11.so.6",
    "libxkbcommon.so.0",
    "libfontconfig.so.1",
    "libfreetype.so.6",
)

#: What each checked platform plugin needs on top of BASE_LIBRARIES. Other plugins
#: (offscreen, minimal, vnc, eglfs...) are not checked: they need nothing more here or
#: are chosen only by someone who set them up on purpose.
PLATFORM_LIBRARIES: Final[Mapping[str, tuple[str, ...]]] = {
    "xcb": (
        "libxcb.so.1",
        "libX11-xcb.so.1",
        "libxkbcommon-x11.so.0",
        "libxcb-cursor.so.0",
        "libxcb-icccm.so.4",
        "libxcb-image.so.0",
        "libxcb-keysyms.so.1",
        "libxcb-randr.so.0",
        "libxcb-render-util.so.0",
        "libxcb-render.so.0",
        "libxcb-shape.so.0",
        "libxcb-shm.so.0",
        "libxcb-sync.so.1",
        "libxcb-util.so.1",
        "libxcb-xfixes.so.0",
        "libxcb-xkb.so.1",
    ),
    "wayland": ("libwayland-client.so.0", "libwayland-cursor.so.0"),
}

_LABELS: Final = {"xcb": "xcb (X11)", "wayland": "wayland"}

CanLoad = Callable[[str], bool]


@dataclass(frozen=True)
class PlatformProblem:
    """Why no platform Qt would try can work here, and what to install."""

    missing: tuple[str, ...]  # library file names, in the order found
    packages: tuple[str, ...]  # Debian/Ubuntu packages providing them
    message: str


def candidate_platforms(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order, as Qt >= 6.5 chooses them on Linux.

    `QT_QPA_PLATFORM` is a ';'-separated list, each name optionally followed by
    ':options'. Unset, Qt tries wayland first in a Wayland session, then falls back to xcb.
    """
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        names = [part.split(":", 1)[0].strip() for part in chosen.split(";")]
        return [name for name in names if name]
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return ["wayland", "xcb"]
    return ["xcb"]


def _family(platform: str) -> str:
    # wayland-egl, wayland-brcm... load the same client library as plain wayland.
    return "wayland" if platform.startswith("wayland") else platform


def _has_display(family: str, env: Mapping[str, str]) -> bool:
    if family == "xcb":
        return bool(env.get("DISPLAY"))
    # Qt's wayland plugin falls back to the compositor's default socket name, which
    # cannot be told from here: trust it.
    return True


def missing_libraries(names: Iterable[str], can_load: CanLoad) -> list[str]:
    return [name for name in names if not can_load(name)]


def check_platform(
    env: Mapping[str, str], can_load: CanLoad, *, system: str = sys.platform
) -> PlatformProblem | None:
    """None when Qt should be able to open a window; otherwise what stops it.

    Pure decision: `can_load(library_file_name)` answers whether the dynamic loader finds
    a library (see `try_load`), so tests can simulate a missing one.
    """
    if not system.startswith("linux"):
        return None  # macOS and Windows plugins need nothing outside the wheel
    base_missing = missing_libraries(BASE_LIBRARIES, can_load)
    if base_missing:
        return _problem(base_missing, "Qt (the toolkit GrokDesk draws its windows with) needs")
    tried: list[tuple[str, list[str]]] = []
    no_display = False
    for platform in candidate_platforms(env):
        family = _family(platform)
        if family not in PLATFORM_LIBRARIES:
            return None
        missing = missing_libraries(PLATFORM_LIBRARIES[family], can_load)
        if missing:
            tried.append((family, missing))
        elif _has_display(family, env):
            return None
        else:
            no_display = True
    if tried:
        libraries = [name for _family_name, names in tried for name in names]
        plugins = " and ".join(_LABELS.get(f, f) for f, _names in tried)
        plural = "s need" if len(tried) > 1 else " needs"
        return _problem(libraries, f"Qt's {plugins} platform plugin{plural}")
    if no_display:
        return PlatformProblem(
            missing=(),
            packages=(),
            message=(
                "GrokDesk cannot open a window: no display found (DISPLAY is not set). "
                "Start it from a desktop session, or set QT_QPA_PLATFORM=offscreen to run without a screen."
            ),
        )
    return None


def _problem(libraries: Sequence[str], who: str) -> PlatformProblem:
    unique = tuple(dict.fromkeys(libraries))
    packages = tuple(dict.fromkeys(PACKAGES.get(name, name) for name in unique))
    one = len(unique) == 1
    names = unique[0] if one else f"{', '.join(unique[:-1])} and {unique[-1]}"
    return PlatformProblem(
        missing=unique,
        packages=packages,
        message=(
            f"GrokDesk cannot open a window: {who} {names}, which {'is' if one else 'are'} not installed. "
            f"On Debian or Ubuntu install {'it' if one else 'them'} with: "
            f"sudo apt install {' '.join(packages)} "
            f"(elsewhere, the package that provides {'it' if one else 'each'})."
        ),
    )


def _search_dirs() -> list[Path]:
    """Folders Qt's plugins find libraries in besides the system's: PySide6's own lib
    folder and, in a frozen build, the bundle (both reached through the plugins' rpath)."""
    dirs: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs += [Path(bundle), Path(bundle) / "PySide6" / "Qt" / "lib"]
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        dirs += [Path(p) / "Qt" / "lib" for p in spec.submodule_search_locations]
    return dirs


def try_load(name: str, extra_dirs: Sequence[Path] | None = None) -> bool:
    """Whether the dynamic loader can load the library `name` (e.g. "libxcb-cursor.so.0"),
    from the system's search path or the folders where Qt finds its bundled libraries."""
    try:
        ctypes.CDLL(name)
        return True
    except OSError:
        pass
    for folder in _search_dirs() if extra_dirs is None else extra_dirs:
        candidate = folder / name
        if candidate.is_file():
            try:
                ctypes.CDLL(os.fspath(candidate))
                return True
            except OSError:
                continue
    return False
