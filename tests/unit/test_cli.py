"""`grokdesk export` and `grokdesk import` through the real entry point, on real databases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grokdesk.app import main
from grokdesk.storage.store import Store
from tests.data.builders import rich_conversation

CHATGPT_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "chatgpt" / "conversations.json"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder holding two conversations, one with images."""
    folder = tmp_path / "data"
    store = Store.open(folder)
    try:
        store.replace_conversation(rich_conversation("Cats and the Eiffel tower"))
        store.replace_conversation(rich_conversation("Second look"))
    finally:
        store.close()
    return folder


def titles(folder: Path) -> list[str]:
    store = Store.open(folder)
    try:
        return sorted(s.title for s in store.list_conversations())
    finally:
        store.close()


def test_export_markdown(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "md"
    assert main(["--data-dir", str(data_dir), "export", "--format", "md", "--out", str(out)]) == 0
    files = sorted(out.glob("*.md"))
    assert len(files) == 2
    text = next(f for f in files if f.name.startswith("Cats")).read_text(encoding="utf-8")
    assert text.startswith("# Cats and the Eiffel tower")
    assert "A tabby cat sitting near the Eiffel tower." in text
    # Images are written beside it and linked.
    cats_images = [p for p in out.glob("*_files/*") if p.parent.name.startswith("Cats")]
    assert {p.suffix for p in cats_images} == {".png", ".jpg"}
    assert all(f"]({p.parent.name}/{p.name})" in text for p in cats_images)
    assert capsys.readouterr().out.strip() == f"Exported 2 conversations as Markdown to {out}"


def test_export_json_round_trips_through_import(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "json"
    assert main(["--data-dir", str(data_dir), "export", "--format", "json", "--out", str(out)]) == 0
    [file] = list(out.glob("*.json"))
    document = json.loads(file.read_text(encoding="utf-8"))
    assert len(document["conversations"]) == 2
    assert capsys.readouterr().out.strip() == f"Exported 2 conversations to {file}"

    fresh = tmp_path / "fresh"
    assert main(["--data-dir", str(fresh), "import", str(file)]) == 0
    assert titles(fresh) == ["Cats and the Eiffel tower", "Second look"]
    assert capsys.readouterr().out.strip() == "Imported 2 conversations."
    # Importing the same file again adds nothing.
    assert main(["--data-dir", str(fresh), "import", str(file)]) == 0
    assert capsys.readouterr().out.strip() == "Imported 0 conversations (2 already there)."
    assert len(titles(fresh)) == 2


def test_import_chatgpt_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "data"
    assert main(["--data-dir", str(folder), "import", str(CHATGPT_SAMPLE)]) == 0
    imported = titles(folder)
    assert "Sourdough starter help" in imported
    assert capsys.readouterr().out.strip() == f"Imported {len(imported)} conversation" + (
        "s." if len(imported) != 1 else "."
    )


def test_malformed_file_is_refused_and_nothing_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "data"
    bad = tmp_path / "conversations.json"
    # Valid JSON, but the second conversation has no message tree: all or nothing.
    sample = json.loads(CHATGPT_SAMPLE.read_text(encoding="utf-8"))
    bad.write_text(json.dumps([sample[0], {"title": "broken", "mapping": 3}]), encoding="utf-8")
    assert main(["--data-dir", str(folder), "import", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "conversations.json was not imported" in captured.err
    assert "message tree" in captured.err
    assert titles(folder) == []


def test_not_json_at_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text("{ this is not json", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "data"), "import", str(bad)]) == 1
    assert "notes.json is not valid JSON" in capsys.readouterr().err
    assert titles(tmp_path / "data") == []


def test_good_files_import_beside_a_refused_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "empty.json"
    bad.write_text("{}", encoding="utf-8")
    folder = tmp_path / "data"
    assert main(["--data-dir", str(folder), "import", str(bad), str(CHATGPT_SAMPLE)]) == 1
    captured = capsys.readouterr()
    assert "empty.json is neither a GrokDesk export nor a ChatGPT" in captured.err
    assert captured.out.startswith("Imported ")
    assert "Sourdough starter help" in titles(folder)


def test_second_process_on_the_same_folder_is_told(data_dir: Path, tmp_path: Path) -> None:
    holder = Store.open(data_dir)  # this process plays the running GrokDesk
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "grokdesk",
                "--data-dir",
                str(data_dir),
                "export",
                "--format",
                "md",
                "--out",
                str(tmp_path / "out"),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.close()
    assert result.returncode == 2
    assert "Another GrokDesk is already using the data folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_export_from_a_folder_without_data_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo"
    assert (
        main(["--data-dir", str(missing), "export", "--format", "json", "--out", str(tmp_path / "out")]) == 1
    )
    assert "no saved conversations" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_export_to_a_file_instead_of_a_folder(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken"
    target.write_text("not a folder", encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "export", "--format", "md", "--out", str(target)]) == 1
    assert f"cannot write the export to {target}" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("options_first", [True, False], ids=["options-first", "options-after"])
def test_options_before_or_after_the_command(
    options_first: bool, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """People type options after the command too (pip, git and docker take both)."""
    options = ["--data-dir", str(data_dir), "--base-url", "http://127.0.0.1:9/v1", "--verbose"]
    command = ["export", "--format", "json", "--out", str(tmp_path / "out")]
    assert main(options + command if options_first else command + options) == 0
    [file] = list((tmp_path / "out").glob("*.json"))
    capsys.readouterr()

    fresh = tmp_path / "fresh"
    command = ["import", str(file)]
    fresh_options = ["--data-dir", str(fresh), "--verbose"]
    assert main(fresh_options + command if options_first else command + fresh_options) == 0
    assert titles(fresh) == ["Cats and the Eiffel tower", "Second look"]
    assert capsys.readouterr().out.strip() == "Imported 2 conversations."
