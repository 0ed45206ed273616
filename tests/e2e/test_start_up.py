"""Start-up as a user sees it, in a separate process as `grokdesk` runs: the window paints
first (its restored tabs labelled), then the conversation on screen, ready for typing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from grokdesk.core.conversation import Conversation, Message, Role, TextPart
from grokdesk.storage.records import SessionState, TabState
from grokdesk.storage.store import Store
from tests.helpers.fake_xai import FakeXai

ROOT = Path(__file__).resolve().parents[2]


def saved_tabs(data_dir: Path) -> list[Conversation]:
    """Two saved conversations open as tabs, the second one on screen, with a draft."""
    conversations = [
        Conversation(
            title=title,
            model="grok-3",
            messages=[
                Message(Role.USER, [TextPart(question)]),
                Message(Role.ASSISTANT, [TextPart(answer)], model="grok-3"),
            ],
        )
        for title, question, answer in (
            ("Tides", "Why are there two tides a day?", "The Moon pulls the near and the far side."),
            ("Bread", "How long should dough rise?", "About an hour, until it doubles."),
        )
    ]
    store = Store.open(data_dir)
    try:
        for conversation in conversations:
            store.replace_conversation(conversation)
        store.save_session(
            SessionState(
                tabs=[
                    TabState(conversation_id=conversations[0].id, model="grok-3"),
                    TabState(conversation_id=conversations[1].id, model="grok-3", draft_text="and rye?"),
                ],
                active_index=1,
            )
        )
    finally:
        store.close()
    return conversations


def start(fake_xai: FakeXai, data_dir: Path) -> dict[str, dict[str, object]]:
    """Run `grokdesk --smoke` through tests/helpers/first_paint.py: its two reports."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        XAI_API_KEY=fake_xai.api_key,
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.helpers.first_paint",
            "--data-dir",
            str(data_dir),
            "--base-url",
            fake_xai.base_url,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    reports = {}
    for line in result.stdout.splitlines():
        kind, _, body = line.partition(" ")
        if kind in ("PAINT", "CONTENT"):
            reports[kind] = json.loads(body)
    assert set(reports) == {"PAINT", "CONTENT"}, result.stdout
    return reports


def test_the_window_paints_its_tabs_before_the_chat_stack_loads_then_the_conversation(
    fake_xai: FakeXai, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    tides, bread = saved_tabs(data_dir)
    reports = start(fake_xai, data_dir)

    first = reports["PAINT"]
    # The first paint already names every restored tab and the window after the one on
    # screen, without the modules the conversations need (imported right after it).
    assert first["tabs"] == [tides.title, bread.title]
    assert first["title"] == f"{bread.title} — GrokDesk"
    assert first["chat_modules"] == []

    content = reports["CONTENT"]
    # Then the conversation on screen, with its draft, and typing goes into the message.
    assert "How long should dough rise?" in str(content["transcript"])
    assert "About an hour, until it doubles." in str(content["transcript"])
    assert content["draft"] == "and rye?"
    assert content["focus"] == "composer"
    assert "grokdesk.ui.chat.tab" in list(content["chat_modules"])  # type: ignore[arg-type]
