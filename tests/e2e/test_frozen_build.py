"""The double-click app: build it with packaging/build.sh, then run the frozen binary.

Slow (a build takes about a minute here, more on a cold pip cache), so it runs only when
asked: `GROKDESK_TEST_FROZEN=1 python -m pytest -m slow tests/e2e/test_frozen_build.py`.
`GROKDESK_FROZEN_BINARY=dist/grokdesk/grokdesk` reuses an existing build instead of building.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 900

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("GROKDESK_TEST_FROZEN") != "1",
        reason="builds the frozen app; set GROKDESK_TEST_FROZEN=1",
    ),
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the frozen-build run is checked on Linux"
    ),
]


def _load_smoke_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "grokdesk_smoke_stream", ROOT / "packaging" / "smoke_stream.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


smoke = _load_smoke_module()


@pytest.fixture(scope="module")
def frozen_binary() -> Path:
    reuse = os.environ.get("GROKDESK_FROZEN_BINARY")
    if reuse:
        binary = Path(reuse).resolve()
        assert binary.is_file(), f"GROKDESK_FROZEN_BINARY={reuse} does not exist"
        return binary
    proc = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    print(proc.stdout.strip().splitlines()[-1])  # the size and time line, shown with -s
    binary = ROOT / "dist" / "grokdesk" / "grokdesk"
    assert binary.is_file()
    return binary


@pytest.mark.timeout(BUILD_TIMEOUT_S + 120)
def test_frozen_app_starts_paints_and_exits_cleanly(frozen_binary: Path) -> None:
    result = smoke.run_smoke(frozen_binary)
    assert result.returncode == 0, f"stderr:\n{result.stderr[-3000:]}\nlog:\n{result.log[-3000:]}"
    assert result.passed, result.checks
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(BUILD_TIMEOUT_S + 120)
def test_frozen_app_streams_a_reply_from_the_fake_server(frozen_binary: Path) -> None:
    result = smoke.run_stream(frozen_binary)
    assert result.returncode == 0, f"stderr:\n{result.stderr[-3000:]}\nlog:\n{result.log[-3000:]}"
    assert result.passed, result.checks


@pytest.mark.timeout(BUILD_TIMEOUT_S + 120)
def test_frozen_app_reads_images_and_typesets_math_in_child_processes(frozen_binary: Path) -> None:
    result = smoke.run_children(frozen_binary)
    assert result.returncode == 0, f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    assert result.passed, result.checks


@pytest.mark.timeout(BUILD_TIMEOUT_S + 120)
def test_frozen_build_leaves_out_unused_qt_parts(frozen_binary: Path) -> None:
    internal = frozen_binary.parent / "_internal"
    names = {p.name for p in internal.rglob("*")}
    for unwanted in ("libQt6Qml.so.6", "libQt6Quick.so.6", "libQt6Pdf.so.6", "libqgtk3.so", "libgtk-3.so.0"):
        assert unwanted not in names
    assert (internal / "grokdesk" / "resources" / "grokdesk.svg").is_file()
    assert (internal / "certifi" / "cacert.pem").is_file()
