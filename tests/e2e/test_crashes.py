"""Crashes and quitting mid-stream, with the real app in a child process.

SIGKILL lands while a reply streams, 20 times on the same data folder: every restart
opens, the database passes `PRAGMA integrity_check`, every message sent before a kill
is there and each cut reply is kept, marked interrupted. Quitting while three tabs
stream exits cleanly and keeps all three partial replies."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState, Role
from grokdesk.storage.records import SessionState, TabState
from grokdesk.storage.store import DB_NAME, Store
from tests.data.builders import rich_conversation
from tests.e2e.conftest import FAST_CLIENT, Windows, current, saved_messages
from tests.helpers.app_process import DRAFTED, AppProcess
from tests.helpers.fake_xai import FakeXai
from tests.helpers.fake_xai_scripts import Reply, StallAfter

KILLS = 20
# About six seconds of reply at 10 ms a word: every kill lands mid-stream.
LONG_ANSWER = " ".join(f"word{i}" for i in range(600))
# Lines the app's own logging writes to stderr (the format of app.setup_logging).
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO) ")
# Qt's offscreen platform says this about every top-level window; it is not the app's doing.
OFFSCREEN_NOTE = "This plugin does not support propagateSizeHints()"


def integrity(data_dir: Path) -> list[tuple[str]]:
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    conn.close()
    return result


def session_on_disk(data_dir: Path) -> dict[str, Any]:
    """The saved session as the app wrote it, read through a separate read-only connection."""
    db = data_dir / DB_NAME
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT value FROM session WHERE key = 'session'").fetchone()
        conn.close()
    except sqlite3.Error:
        return {}
    return json.loads(row[0]) if row else {}


def check_everything_sent_is_there(data_dir: Path, sent: list[tuple[str, str]]) -> None:
    """Open the store as the app does at start and find each message and its cut reply.

    The session is saved as it changes, so a restart after a kill reopens the killed tab and
    the next message continues that conversation: each one is looked up by its text.
    """
    with Store.open(data_dir) as store:
        for cid, text in sent:
            messages = store.load_conversation(cid).messages
            at = [i for i, m in enumerate(messages) if m.role is Role.USER and m.plain_text == text]
            assert len(at) == 1, (text, [m.plain_text[:40] for m in messages])
            reply = messages[at[0] + 1]
            assert reply.role is Role.ASSISTANT and reply.state is MessageState.INTERRUPTED
            assert reply.plain_text and LONG_ANSWER.startswith(reply.plain_text)


@pytest.mark.slow
def test_sigkill_mid_stream_twenty_times(qtbot: QtBot, windows: Windows, fake_xai: FakeXai) -> None:
    data_dir = windows.data_dir
    sent: list[tuple[str, str]] = []
    for run in range(KILLS):
        fake_xai.script_next(Reply(text=LONG_ANSWER, chunk_delay=0.01))
        text = f"message sent before kill {run}"
        app = AppProcess(data_dir, fake_xai.base_url, fake_xai.api_key, text)
        (cid,) = app.wait_ready()
        app.kill()
        assert app.process.returncode == -signal.SIGKILL
        assert fake_xai.streams[-1].completed is False  # killed mid-stream
        sent.append((cid, text))
        assert integrity(data_dir) == [("ok",)]
        check_everything_sent_is_there(data_dir, sent)
    assert len(sent) == KILLS

    # The last cut reply in the real window: marked, and Retry completes it.
    window = windows.open(data_dir=data_dir)
    window.open_saved(cid)
    qtbot.waitUntil(
        lambda: window.current_tab() is not None and window.current_tab().controller.conversation.id == cid
    )
    tab = window.current_tab()
    assert tab is not None
    assert "GrokDesk closed while this reply was arriving" in tab.transcript.plain_text()
    reply = tab.controller.conversation.messages[-1]
    tab.transcript.anchorClicked.emit(QUrl(f"act:retry:{reply.id}"))
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=10_000)
    final = tab.controller.conversation.messages[-1]
    assert final.state is MessageState.COMPLETE and final.plain_text == f"Echo: {sent[-1][1]}"


def test_sigkill_keeps_the_open_tabs_and_a_draft_typed_just_before(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    """Two tabs, the first active with an unsent draft typed a moment before `kill -9`:
    all of it is there after the restart."""
    data_dir = windows.data_dir
    fake_xai.script_next(*[Reply(text=LONG_ANSWER, chunk_delay=0.01)] * 2)
    draft = "a draft nobody sent"
    app = AppProcess(data_dir, fake_xai.base_url, fake_xai.api_key, "two", "--tabs", "2", "--draft", draft)
    ids = app.wait_ready()
    app.wait_for(DRAFTED)
    typed = time.monotonic()

    def draft_saved() -> bool:
        session = session_on_disk(data_dir)
        return session.get("active_index") == 0 and [t.get("draft_text") for t in session["tabs"]] == [
            draft,
            "",
        ]

    qtbot.waitUntil(draft_saved, timeout=3000)
    assert time.monotonic() - typed < 2.0  # written within about a second of the typing
    app.kill()
    assert app.process.returncode == -signal.SIGKILL

    window = windows.open(data_dir=data_dir)
    assert [t.controller.conversation.id for t in window.open_tabs()] == ids
    assert window.tabs.currentIndex() == 0
    assert [t.draft_text() for t in window.open_tabs()] == [draft, ""]
    assert [t.composer.toPlainText() for t in window.open_tabs()] == [draft, ""]


def unexpected_stderr(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not LOG_LINE.match(line) and OFFSCREEN_NOTE not in line
    ]


@pytest.mark.slow
def test_quit_while_three_tabs_stream(tmp_path: Path, fake_xai: FakeXai) -> None:
    data_dir = tmp_path / "data"
    fake_xai.script_next(*[Reply(text=LONG_ANSWER, chunk_delay=0.01)] * 3)
    app = AppProcess(data_dir, fake_xai.base_url, fake_xai.api_key, "three at once", "--tabs", "3", "--quit")
    ids = app.wait_ready()
    code, out, err = app.finish()
    assert code == 0 and "QUIT 0" in out
    assert "Task was destroyed but it is pending" not in err
    assert unexpected_stderr(err) == []
    assert len(fake_xai.streams) == 3 and not any(s.completed for s in fake_xai.streams)
    assert integrity(data_dir) == [("ok",)]
    with Store.open(data_dir) as store:
        assert store.interrupted_count == 0  # every reply was saved as stopped, none left streaming
        for number, cid in enumerate(ids, 1):
            user, reply = store.load_conversation(cid).messages
            assert user.plain_text == f"three at once (tab {number})"
            assert reply.state is MessageState.STOPPED
            assert reply.plain_text and LONG_ANSWER.startswith(reply.plain_text)
        session = store.load_session()
    assert [tab.conversation_id for tab in session.tabs] == ids


def test_what_arrived_is_on_disk_within_a_second_even_when_the_stream_stalls(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    """A crash during a stall (the model thinking, a slow network) must not lose the words
    that arrived just before it: the partial reply is saved within a second either way."""
    tab = current(windows.open(client_options={**FAST_CLIENT, "stall_timeout": 30.0}))
    fake_xai.script_next(StallAfter(3))
    tab.composer.setPlainText("stall after a few words")
    tab.send()
    qtbot.waitUntil(
        lambda: bool(tab.controller.streaming_message and tab.controller.streaming_message.plain_text)
    )
    reply = tab.controller.streaming_message
    assert reply is not None
    partial, cid = reply.plain_text, tab.controller.conversation.id
    qtbot.waitUntil(
        lambda: saved_messages(windows.data_dir, cid)[-1][1:3] == (partial, "streaming"), timeout=1500
    )
    assert tab.controller.is_streaming  # still stalled: saved by the clock, not by the end


def start_grokdesk(data_dir: Path, fake_xai: FakeXai) -> subprocess.Popen[str]:
    """`python -m grokdesk` as a user starts it, once its window is shown."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        XAI_API_KEY=fake_xai.api_key,
    )
    command = [sys.executable, "-m", "grokdesk", "--data-dir", str(data_dir), "--base-url", fake_xai.base_url]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline and selector.select(deadline - time.monotonic()):
            line = process.stderr.readline()
            if not line or "main window shown" in line:
                break
    if process.poll() is not None or not line:
        process.kill()
        raise RuntimeError(f"grokdesk did not start: {process.communicate()[1]}")
    return process


def test_sigterm_quits_like_ctrl_q(tmp_path: Path, fake_xai: FakeXai) -> None:
    """A logout's SIGTERM to `python -m grokdesk`: exit 0 with the open tabs saved (SIGINT
    and SIGHUP take the same way: tests/ui/test_quit_signals.py)."""
    signum = signal.SIGTERM
    data_dir = tmp_path / "data"
    first, second = rich_conversation("First"), rich_conversation("Second")
    with Store.open(data_dir) as store:
        store.replace_conversation(first)
        store.replace_conversation(second)
        store.save_session(
            SessionState(
                tabs=[TabState(first.id, draft_text="half a thought"), TabState(second.id)], active_index=1
            )
        )
    process = start_grokdesk(data_dir, fake_xai)
    # Taken away behind the app's back: only the quit can write it again.
    with sqlite3.connect(data_dir / DB_NAME, timeout=5) as conn:
        conn.execute("DELETE FROM session")
    conn.close()
    process.send_signal(signum)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert f"{signum.name} received" in err
    session = session_on_disk(data_dir)
    assert [t["conversation_id"] for t in session["tabs"]] == [first.id, second.id]
    assert [t["draft_text"] for t in session["tabs"]] == ["half a thought", ""]
    assert session["active_index"] == 1
    assert integrity(data_dir) == [("ok",)]


def test_sigterm_while_two_tabs_stream_stops_and_saves_the_replies(tmp_path: Path, fake_xai: FakeXai) -> None:
    data_dir = tmp_path / "data"
    fake_xai.script_next(*[Reply(text=LONG_ANSWER, chunk_delay=0.01)] * 2)
    app = AppProcess(data_dir, fake_xai.base_url, fake_xai.api_key, "logging out", "--tabs", "2")
    ids = app.wait_ready()
    app.process.send_signal(signal.SIGTERM)
    code, out, err = app.finish()
    assert code == 0 and "QUIT 0" in out, err
    assert unexpected_stderr(err) == []
    with Store.open(data_dir) as store:
        assert store.interrupted_count == 0  # stopped and saved, not cut off
        for cid in ids:
            _user, reply = store.load_conversation(cid).messages
            assert reply.state is MessageState.STOPPED and LONG_ANSWER.startswith(reply.plain_text)
        assert [tab.conversation_id for tab in store.load_session().tabs] == ids
