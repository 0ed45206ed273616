"""The automation contract's command line, run as a user runs it: a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from grokdesk import __version__
from tests.data.builders import image_bytes
from tests.helpers.fake_xai import TURNS, FakeXai


def run_app(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    environment = dict(
        os.environ, QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring"
    )
    environment.pop("XAI_API_KEY", None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "grokdesk", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def smoke_send(
    fake_xai: FakeXai, tmp_path: Path, text: str, *options: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """`--smoke-send TEXT` against the fake server with its key in the environment: the
    finished process and the JSON line it printed last ({} when it printed none)."""
    result = run_app(
        "--data-dir",
        str(tmp_path / "data"),
        "--base-url",
        fake_xai.base_url,
        "--smoke-send",
        text,
        *options,
        env={"XAI_API_KEY": fake_xai.api_key},
    )
    lines = result.stdout.strip().splitlines()
    return result, json.loads(lines[-1]) if lines else {}


def test_version() -> None:
    result = run_app("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"GrokDesk {__version__}"


def test_smoke_paints_and_exits_zero_with_data_dir_from_the_environment(tmp_path: Path) -> None:
    data = tmp_path / "from-env"
    result = run_app(
        "--smoke", env={"GROKDESK_DATA_DIR": str(data), "GROKDESK_BASE_URL": "http://127.0.0.1:9/v1"}
    )
    assert result.returncode == 0, result.stderr
    assert (data / "grokdesk.sqlite3").is_file()
    assert (data / "logs" / "grokdesk.log").is_file()


def test_smoke_send_streams_a_reply_with_the_key_from_the_environment(
    fake_xai: FakeXai, tmp_path: Path
) -> None:
    result, report = smoke_send(fake_xai, tmp_path, "Hello from the command line", "--model", "grok-3")
    assert result.returncode == 0, result.stderr
    assert report["ok"] is True
    assert report["reply"] == "Echo: Hello from the command line"
    sent = fake_xai.requests_to(TURNS)[-1]
    assert sent.headers["authorization"] == f"Bearer {fake_xai.api_key}"
    # Used for that run, never saved: not in any file the app wrote.
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert fake_xai.api_key.encode() not in path.read_bytes(), path


def test_smoke_send_reports_images_read_and_formulas_typeset_in_child_processes(
    fake_xai: FakeXai, tmp_path: Path
) -> None:
    """What packaging/smoke_stream.py checks in a frozen build, here from the source: the
    image readers and the math typesetter work in their child processes."""
    photo = tmp_path / "photo.png"
    photo.write_bytes(image_bytes(size=(64, 48)))
    result, report = smoke_send(
        fake_xai, tmp_path, "Is $e^{i\\pi} + 1 = 0$?", "--smoke-attach", str(photo), "--model", "grok-4.3"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert report["reply"] == "Echo: Is $e^{i\\pi} + 1 = 0$? [1 image]"  # the fake counts images
    assert report["images_sent"] == 1
    assert report["formulas"] >= 1 and report["formulas_typeset"] == report["formulas"]
    assert report["child_pools"] == {"image intake": "in a child", "math typesetting": "in a child"}
    sent = json.dumps(fake_xai.requests_to(TURNS)[-1].json)
    assert "data:image/png;base64," in sent
