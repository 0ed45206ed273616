"""The check, before any QApplication, that Qt can open a window: missing libraries are
named with their package instead of Qt's abort."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from grokdesk.platformcheck import (
    BASE_LIBRARIES,
    EXIT_NO_PLATFORM,
    PACKAGES,
    PLATFORM_LIBRARIES,
    candidate_platforms,
    check_platform,
    try_load,
)
from tests.helpers.elf import needed_libraries

X11 = {"DISPLAY": ":0"}


def without(*missing: str) -> object:
    """A loader that finds every library except `missing`."""
    return lambda name: name not in missing


def test_everything_present_with_a_display_is_fine() -> None:
    assert check_platform(X11, without(), system="linux") is None


def test_missing_xcb_cursor_is_named_with_its_package() -> None:
    problem = check_platform(X11, without("libxcb-cursor.so.0"), system="linux")
    assert problem is not None
    assert problem.missing == ("libxcb-cursor.so.0",)
    assert problem.packages == ("libxcb-cursor0",)
    assert "libxcb-cursor.so.0" in problem.message
    assert "sudo apt install libxcb-cursor0" in problem.message
    assert "xcb" in problem.message


def test_every_missing_library_is_listed_once_in_one_install_command() -> None:
    problem = check_platform(
        X11, without("libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"), system="linux"
    )
    assert problem is not None
    assert set(problem.packages) == {"libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"}
    assert "sudo apt install libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1" in problem.message


def test_a_library_qt_itself_needs_is_reported_whatever_the_platform() -> None:
    problem = check_platform({"QT_QPA_PLATFORM": "offscreen"}, without("libEGL.so.1"), system="linux")
    assert problem is not None
    assert problem.packages == ("libegl1",)


def test_offscreen_and_minimal_need_no_window_system_library() -> None:
    xcb_and_wayland = [*PLATFORM_LIBRARIES["xcb"], *PLATFORM_LIBRARIES["wayland"]]
    for platform in ("offscreen", "minimal", "vnc:size=800x600"):
        env = {"QT_QPA_PLATFORM": platform}
        assert check_platform(env, without(*xcb_and_wayland), system="linux") is None


def test_wayland_session_works_without_the_xcb_libraries() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert check_platform(env, without("libxcb-cursor.so.0"), system="linux") is None


def test_wayland_session_falls_back_to_xcb_when_the_wayland_plugin_cannot_load() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert check_platform(env, without("libwayland-cursor.so.0"), system="linux") is None


def test_wayland_session_with_both_plugins_broken_names_both() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    problem = check_platform(env, without("libwayland-cursor.so.0", "libxcb-cursor.so.0"), system="linux")
    assert problem is not None
    assert problem.packages == ("libwayland-cursor0", "libxcb-cursor0")
    assert "wayland and xcb" in problem.message


def test_no_display_at_all_is_said_plainly() -> None:
    problem = check_platform({}, without(), system="linux")
    assert problem is not None
    assert "DISPLAY is not set" in problem.message
    assert "QT_QPA_PLATFORM=offscreen" in problem.message


def test_macos_and_windows_are_not_checked() -> None:
    for system in ("darwin", "win32"):
        assert check_platform({}, without(*PACKAGES), system=system) is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ["xcb"]),
        ({"WAYLAND_DISPLAY": "wayland-0"}, ["wayland", "xcb"]),
        ({"XDG_SESSION_TYPE": "wayland"}, ["wayland", "xcb"]),
        ({"QT_QPA_PLATFORM": "xcb:dpi=96"}, ["xcb"]),
        ({"QT_QPA_PLATFORM": "wayland;xcb", "WAYLAND_DISPLAY": "w"}, ["wayland", "xcb"]),
        ({"QT_QPA_PLATFORM": "offscreen", "WAYLAND_DISPLAY": "w"}, ["offscreen"]),
    ],
)
def test_candidates_follow_qt(env: dict[str, str], expected: list[str]) -> None:
    assert candidate_platforms(env) == expected


def test_try_load_finds_a_present_library_and_not_an_absent_one(tmp_path: Path) -> None:
    assert try_load("libc.so.6", extra_dirs=[])
    assert not try_load("libgrokdesk-no-such-library.so.0", extra_dirs=[tmp_path])


# -- the table matches what the installed PySide6 really links against ---------------------------

# The C runtime: Python itself cannot run without it.
RUNTIME = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1"}


def qt_dir() -> Path:
    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "Qt"


def external_needs(roots: Iterable[Path]) -> set[str]:
    """Every library outside PySide6 that `roots` and the Qt libraries they load link against."""
    bundled = qt_dir() / "lib"
    seen: set[str] = set()
    external: set[str] = set()
    todo = list(roots)
    while todo:
        for name in needed_libraries(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            if (bundled / name).is_file():
                todo.append(bundled / name)
            elif name not in RUNTIME and not name.startswith("ld-linux"):
                external.add(name)
    return external


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux wheels only")
def test_the_tables_cover_every_library_pyside6_needs() -> None:
    lib = qt_dir() / "lib"
    platforms = qt_dir() / "plugins" / "platforms"
    base = external_needs(
        lib / name for name in ("libQt6Core.so.6", "libQt6Gui.so.6", "libQt6Widgets.so.6", "libQt6DBus.so.6")
    )
    if not base:
        pytest.skip("not an ELF64 little-endian PySide6")
    assert base <= set(BASE_LIBRARIES)
    for family, plugin in (("xcb", "libqxcb.so"), ("wayland", "libqwayland.so")):
        assert external_needs([platforms / plugin]) - base <= set(PLATFORM_LIBRARIES[family]), family
    named = {*BASE_LIBRARIES, *PLATFORM_LIBRARIES["xcb"], *PLATFORM_LIBRARIES["wayland"]}
    assert named <= set(PACKAGES)


# -- the real command --------------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux")
def test_grokdesk_exits_with_the_message_instead_of_qt_abort(tmp_path: Path) -> None:
    # X11 asked for, but no display: whatever this machine has installed, the check
    # stops the start before Qt would abort (missing xcb libraries, or no display).
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env.update(QT_QPA_PLATFORM="xcb", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    proc = subprocess.run(
        [sys.executable, "-m", "grokdesk", "--smoke", "--data-dir", str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == EXIT_NO_PLATFORM, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]], proc.stderr  # one message, printed once, no Qt abort text
    assert lines[0].startswith("GrokDesk cannot open a window:")
    log_text = (tmp_path / "data" / "logs" / "grokdesk.log").read_text(encoding="utf-8")
    assert lines[0] in log_text
