"""`grokdesk --install-desktop-entry` / `--uninstall-desktop-entry`: a validated menu entry and
the icons in the user's XDG folders, the same entry packaging/install-linux.sh writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grokdesk import desktopentry, resources
from grokdesk.app import main

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="freedesktop.org menus")


def validator() -> str:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("desktop-file-validate is missing: .ci/run installs desktop-file-utils")
        pytest.skip("desktop-file-validate is not installed (apt install desktop-file-utils)")
    return tool


def assert_valid(entry: Path) -> None:
    result = subprocess.run([validator(), str(entry)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def entry_values(entry: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in entry.read_text(encoding="utf-8").splitlines() if "=" in line)


def make_launcher(folder: Path) -> Path:
    folder.mkdir(parents=True)
    launcher = folder / "grokdesk"
    launcher.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    launcher.chmod(0o755)
    return launcher


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "xdg data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


@pytest.fixture
def launcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed `grokdesk` script, in a folder with a space, that this process 'was started as'."""
    path = make_launcher(tmp_path / "venv with space" / "bin")
    monkeypatch.setattr(sys, "argv", [str(path)])
    return path


def installed_files(data: Path) -> set[Path]:
    """Files under `data`, less the index update-desktop-database keeps (where installed)."""
    return {p for p in data.rglob("*") if p.is_file() and p.name != "mimeinfo.cache"}


def test_install_writes_a_valid_entry_and_every_icon(
    xdg: Path, launcher: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--install-desktop-entry"]) == 0

    entry = xdg / "applications" / "grokdesk.desktop"
    assert_valid(entry)
    values = entry_values(entry)
    assert values["Exec"] == f'"{launcher}"'
    assert values["TryExec"] == str(launcher)
    assert values["Icon"] == "grokdesk"
    for size in resources.ICON_SIZES:
        icon = xdg / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "grokdesk.png"
        assert icon.read_bytes() == resources.read_bytes(f"icons/grokdesk-{size}.png")
    assert (xdg / "icons/hicolor/scalable/apps/grokdesk.svg").read_bytes() == resources.read_bytes(
        "grokdesk.svg"
    )
    assert not [p for p in installed_files(xdg) if p.name.endswith(".partial")]
    out = capsys.readouterr().out
    assert str(entry) in out
    assert str(launcher) in out


def test_uninstall_removes_what_install_added_and_nothing_else(
    xdg: Path, launcher: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other_entry = xdg / "applications" / "other.desktop"
    other_entry.parent.mkdir(parents=True)
    other_entry.write_text("[Desktop Entry]\n", encoding="utf-8")
    conversations = xdg / "GrokDesk" / "grokdesk.sqlite3"
    conversations.parent.mkdir()
    conversations.write_bytes(b"conversations")
    before = installed_files(xdg)

    assert main(["--install-desktop-entry"]) == 0
    assert len(installed_files(xdg) - before) == len(resources.ICON_SIZES) + 2  # PNGs, SVG, entry
    assert main(["--uninstall-desktop-entry"]) == 0

    assert installed_files(xdg) == before
    assert "Removed" in capsys.readouterr().out
    assert main(["--uninstall-desktop-entry"]) == 0
    assert "No GrokDesk menu entry" in capsys.readouterr().out


def test_install_twice_replaces_the_entry(xdg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_launcher(tmp_path / "old" / "bin")
    second = make_launcher(tmp_path / "new" / "bin")
    monkeypatch.setattr(sys, "argv", [str(first)])
    assert main(["--install-desktop-entry"]) == 0
    monkeypatch.setattr(sys, "argv", [str(second)])
    assert main(["--install-desktop-entry"]) == 0
    assert entry_values(xdg / "applications" / "grokdesk.desktop")["TryExec"] == str(second)


def test_the_entry_is_the_one_install_linux_sh_writes(tmp_path: Path) -> None:
    """Same template, same Exec/TryExec: a pip install and a PyInstaller install look alike."""
    home = tmp_path / "home with space"
    home.mkdir()
    build = tmp_path / "dist" / "grokdesk"
    make_launcher(build)
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GROKDESK_BUILD_DIR": str(build),
    }
    script = ROOT / "packaging" / "install-linux.sh"
    proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    by_script = (home / ".local/share/applications/grokdesk.desktop").read_text(encoding="utf-8")

    by_python = desktopentry.render_entry(
        resources.read_text("grokdesk.desktop"), home / ".local" / "opt" / "grokdesk" / "grokdesk"
    )
    assert by_python == by_script


@pytest.mark.parametrize("name", ["it's $HOME", 'quote " and `tick`', "100% back\\slash"])
def test_odd_launcher_paths_are_escaped_validly(tmp_path: Path, name: str) -> None:
    launcher = make_launcher(tmp_path / name / "bin")
    data = tmp_path / "data"
    desktopentry.install(data, launcher)
    entry = desktopentry.entry_path(data)
    assert_valid(entry)
    assert entry_values(entry)["TryExec"].replace("\\\\", "\\") == str(launcher)


def test_an_entry_that_does_not_validate_is_not_installed(
    xdg: Path, launcher: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    validator()
    template = resources.read_text("grokdesk.desktop")
    broken = template.replace("Type=Application\n", "")
    monkeypatch.setattr(desktopentry.resources, "read_text", lambda _name: broken)
    assert main(["--install-desktop-entry"]) == 1
    assert "did not validate" in capsys.readouterr().err
    assert not xdg.exists()


def test_without_an_installed_launcher_it_says_what_to_do(
    xdg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [str(ROOT / "grokdesk" / "__main__.py")])
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python3"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["--install-desktop-entry"]) == 1
    assert "pip or pipx" in capsys.readouterr().err
    assert not xdg.exists()


def test_launcher_found_beside_the_interpreter_for_python_m_grokdesk(tmp_path: Path) -> None:
    bin_dir = tmp_path / "venv" / "bin"
    launcher = make_launcher(bin_dir)
    found = desktopentry.find_launcher(
        str(ROOT / "grokdesk" / "__main__.py"), str(bin_dir / "python3"), frozen=False
    )
    assert found == launcher.resolve()


def test_xdg_data_home_defaults_to_local_share() -> None:
    assert desktopentry.data_home({"HOME": "/home/a"}) == Path("/home/a/.local/share")
    assert desktopentry.data_home({"HOME": "/home/a", "XDG_DATA_HOME": "relative"}) == Path(
        "/home/a/.local/share"
    )
    assert desktopentry.data_home({"HOME": "/home/a", "XDG_DATA_HOME": "/x"}) == Path("/x")
