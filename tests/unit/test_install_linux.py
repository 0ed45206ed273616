"""packaging/install-linux.sh puts a build, its menu entry and icons into a user's folders, and takes them out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "install-linux.sh"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux install script")


def run_script(home: Path, build: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GROKDESK_BUILD_DIR": str(build),
    }
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def fake_build(tmp_path: Path) -> Path:
    """A stand-in one-folder build: an executable that prints a version, plus a data file."""
    build = tmp_path / "dist" / "grokdesk"
    (build / "_internal").mkdir(parents=True)
    (build / "_internal" / "marker.txt").write_text("bundled", encoding="utf-8")
    binary = build / "grokdesk"
    binary.write_text("#!/bin/sh\necho 'GrokDesk test build'\n", encoding="utf-8")
    binary.chmod(0o755)
    return build


def test_install_puts_app_entry_and_icons_in_the_user_folders(tmp_path: Path, fake_build: Path) -> None:
    home = tmp_path / "home with space"
    home.mkdir()
    proc = run_script(home, fake_build)
    assert proc.returncode == 0, proc.stderr

    opt = home / ".local" / "opt" / "grokdesk"
    assert (opt / "_internal" / "marker.txt").read_text(encoding="utf-8") == "bundled"
    launcher = home / ".local" / "bin" / "grokdesk"
    assert launcher.is_symlink()
    assert subprocess.run([str(launcher)], capture_output=True, text=True, check=True).stdout.strip() == (
        "GrokDesk test build"
    )

    entry = (home / ".local" / "share" / "applications" / "grokdesk.desktop").read_text(encoding="utf-8")
    assert f'Exec="{opt}/grokdesk"' in entry.splitlines()
    assert f"TryExec={opt}/grokdesk" in entry.splitlines()
    icons = home / ".local" / "share" / "icons" / "hicolor"
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        assert (icons / f"{size}x{size}" / "apps" / "grokdesk.png").is_file()
    assert (icons / "scalable" / "apps" / "grokdesk.svg").is_file()
    if shutil.which("desktop-file-validate"):
        validated = subprocess.run(
            ["desktop-file-validate", str(home / ".local/share/applications/grokdesk.desktop")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert validated.returncode == 0, validated.stdout


def test_uninstall_removes_what_install_added_and_keeps_user_data(tmp_path: Path, fake_build: Path) -> None:
    home = tmp_path / "home"
    data = home / ".local" / "share" / "GrokDesk"
    data.mkdir(parents=True)
    (data / "grokdesk.sqlite3").write_bytes(b"conversations")
    assert run_script(home, fake_build).returncode == 0

    proc = run_script(home, fake_build, "--uninstall")
    assert proc.returncode == 0, proc.stderr
    assert not (home / ".local" / "opt" / "grokdesk").exists()
    assert not (home / ".local" / "bin" / "grokdesk").exists()
    assert not (home / ".local" / "share" / "applications" / "grokdesk.desktop").exists()
    assert not list((home / ".local" / "share" / "icons").rglob("grokdesk.*"))
    assert (data / "grokdesk.sqlite3").read_bytes() == b"conversations"


def test_install_without_a_build_says_how_to_make_one(tmp_path: Path) -> None:
    proc = run_script(tmp_path, tmp_path / "missing")
    assert proc.returncode == 1
    assert "packaging/build.sh" in proc.stderr
