"""The app's icon and desktop entry, as installed in grokdesk.resources."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from PIL import Image

from grokdesk import resources


def test_every_rendered_icon_size_is_a_square_png_of_that_size() -> None:
    for size, name in zip(resources.ICON_SIZES, resources.icon_names(), strict=True):
        with Image.open(io.BytesIO(resources.read_bytes(name))) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)
            assert image.mode == "RGBA"


def test_windows_and_macos_icons_carry_the_sizes_their_systems_pick_from() -> None:
    with Image.open(io.BytesIO(resources.read_bytes("grokdesk.ico"))) as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(io.BytesIO(resources.read_bytes("grokdesk.icns"))) as icns:
        # Retina pairs: 16@2x up to 512@2x (a 1024 px image) for the Dock and Finder.
        assert {(16, 16, 2), (128, 128, 1), (512, 512, 2)} <= set(icns.info["sizes"])


def test_svg_source_is_shipped() -> None:
    assert resources.read_text("grokdesk.svg").lstrip().startswith("<?xml")


def test_a_missing_resource_is_named_in_the_error() -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.png"):
        resources.read_bytes("nope.png")


def test_path_of_gives_a_real_file_for_apis_that_want_a_name() -> None:
    with resources.path_of("icons/grokdesk-32.png") as path:
        assert path.is_file()
        assert path.read_bytes() == resources.read_bytes("icons/grokdesk-32.png")


def test_desktop_entry_launches_grokdesk_with_its_icon() -> None:
    entry = dict(
        line.split("=", 1) for line in resources.read_text("grokdesk.desktop").splitlines() if "=" in line
    )
    assert entry["Exec"] == "grokdesk"
    assert entry["Icon"] == "grokdesk"
    assert entry["Type"] == "Application"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate() -> None:
    with resources.path_of("grokdesk.desktop") as path:
        proc = subprocess.run(
            ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == ""
