"""The fault matrix, end to end: the real window against a fake xAI server that fails
in every way the issue lists. For each fault the user's message is on disk, a partial
reply is kept and marked, the transcript says what to do, the window never froze, the
composer works again, Retry (automatic or clicked) succeeds once the server recovers,
and the log never holds the key."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState, Role
from grokdesk.storage.store import Store
from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.mainwindow import MainWindow
from tests.e2e.conftest import StallProbe, Windows, current, key_variants, saved_messages
from tests.helpers.fake_xai import CHAT, RESPONSES, TURNS, FakeXai
from tests.helpers.fake_xai_scripts import (
    IMAGE_NOT_SUPPORTED_BODY,
    MISSING_KEY_BODY,
    CloseWithoutAnswer,
    DropAfter,
    Error,
    Malformed,
    NeverAnswer,
    Reply,
    Script,
    StallAfter,
    StreamError,
    bad_key_body,
    prompt_too_long_body,
    unknown_model_body,
)
from tests.helpers.tls_server import SelfSignedServer

QUESTION = "Please explain the fault matrix in some detail"
ANSWER = f"Echo: {QUESTION}"
# Typically under 0.1 s here; the bound leaves room for a loaded 2-core CI machine.
MAX_STALL_S = 2.0


@dataclass(frozen=True)
class Fault:
    scripts: tuple[Script, ...]
    says: str  # what the transcript tells the user (part of it)
    attempts: int = 1  # requests the client makes before it gives up or succeeds
    recovers_by_itself: bool = False  # automatic retry before the first token
    partial: bool = False  # part of the reply arrived before the failure
    key_notice: bool = False
    tab_notice: str = ""
    extra: dict[str, object] = field(default_factory=dict)


FAULTS = {
    "400-bad-key": Fault((Error(400, bad_key_body("xai-wrong-key-000000000000000000")),), "API key was rejected", key_notice=True),
    "401": Fault((Error(401, MISSING_KEY_BODY),), "API key was not accepted", key_notice=True),
    "403-no-credits": Fault((Error(403),), "no credits left"),
    "404-retired-model": Fault((Error(404, unknown_model_body("grok-3")),), "does not exist", tab_notice="not available"),
    "400-context-too-long": Fault((Error(400, prompt_too_long_body(1000, 2345)),), "too long for the model"),
    "400-image-rejected": Fault((Error(400, IMAGE_NOT_SUPPORTED_BODY),), "cannot read images"),
    "429-retry-after": Fault((Error(429, retry_after=0.3), Reply()), "", attempts=2, recovers_by_itself=True),
    "429-no-retry-after": Fault((Error(429), Error(429), Reply()), "", attempts=3, recovers_by_itself=True),
    "429-exhausted": Fault((Error(429),) * 3, "Too many requests", attempts=3),
    "429-retry-after-too-long": Fault((Error(429, retry_after=120),), "asks to wait 120 seconds"),
    "502-html-page": Fault((Error(502),) * 3, "busy or failing", attempts=3),
    "500": Fault((Error(500), Reply()), "", attempts=2, recovers_by_itself=True),
    "503": Fault((Error(503), Reply()), "", attempts=2, recovers_by_itself=True),
    "503-exhausted": Fault((Error(503),) * 3, "busy or failing", attempts=3),
    "closed-before-answer": Fault((CloseWithoutAnswer(), Reply()), "", attempts=2, recovers_by_itself=True),
    "error-in-200-stream": Fault((StreamError(after_chunks=3),), "stopped the reply with an error", partial=True),
    "malformed-json": Fault((Malformed(after=3),), "could not be read", partial=True),
    "dropped-mid-stream": Fault((DropAfter(3),), "connection dropped", partial=True),
    "stalled-stream": Fault((StallAfter(3),), "stopped arriving", partial=True),
    "ended-without-finish": Fault((Reply(finish_reason=None, send_done=False),), "ended before it was complete", partial=True),
    "never-answers": Fault((NeverAnswer(),), "did not answer in time"),
}  # fmt: skip


def send(qtbot: QtBot, tab: ConversationTab, text: str, timeout: int = 10_000) -> None:
    qtbot.keyClicks(tab.composer, text)
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    assert tab.controller.is_streaming
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=timeout)


def click_retry(qtbot: QtBot, tab: ConversationTab, message_id: str) -> None:
    tab.transcript.anchorClicked.emit(QUrl(f"act:retry:{message_id}"))
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=10_000)


def composer_works(qtbot: QtBot, tab: ConversationTab) -> None:
    assert tab.send_button.isEnabled() and not tab.stop_button.isEnabled()
    qtbot.keyClicks(tab.composer, "still typing")
    assert tab.composer.toPlainText() == "still typing"
    tab.composer.clear()


def assert_recovered(qtbot: QtBot, tab: ConversationTab) -> None:
    messages = tab.controller.conversation.messages
    assert [m.role for m in messages] == [Role.USER, Role.ASSISTANT]
    assert messages[-1].state is MessageState.COMPLETE and messages[-1].plain_text == ANSWER
    assert ANSWER in tab.transcript.plain_text()


def assert_key_not_logged(log_file: Path, caplog: pytest.LogCaptureFixture, key: str) -> None:
    logged = log_file.read_bytes()
    assert logged, "the app's log file is empty: the test did not exercise logging"
    for needle in key_variants(key):
        assert needle not in logged
    bare = key.removeprefix("xai-")
    assert key not in caplog.text and bare not in caplog.text


def reopen_and_check(data_dir: Path, conversation_id: str) -> None:
    """After quitting, the store opens and holds the question and the recovered answer."""
    with Store.open(data_dir) as store:
        conversation = store.load_conversation(conversation_id)
    texts = [(m.role, m.plain_text, m.state) for m in conversation.messages]
    assert texts == [
        (Role.USER, QUESTION, MessageState.COMPLETE),
        (Role.ASSISTANT, ANSWER, MessageState.COMPLETE),
    ]


# Every fault on the Responses API (the default); the ones whose stream shape differs
# between the two APIs also on Chat Completions.
CASES = [(name, "responses") for name in FAULTS] + [(name, "chat") for name, f in FAULTS.items() if f.partial]


@pytest.mark.parametrize(("name", "api"), CASES, ids=[f"{n}-{a}" for n, a in CASES])
def test_fault_is_explained_and_retry_recovers(  # noqa: PLR0917 (fixtures)
    name: str,
    api: str,
    qtbot: QtBot,
    windows: Windows,
    fake_xai: FakeXai,
    app_log: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fault = FAULTS[name]
    window = windows.open(api=api)
    tab = current(window)
    probe = StallProbe().start()
    fake_xai.script_next(*fault.scripts)
    started = time.monotonic()
    send(qtbot, tab, QUESTION)
    cid = tab.controller.conversation.id
    assert fake_xai.count(TURNS) == fault.attempts
    assert fake_xai.count(RESPONSES if api == "responses" else CHAT) == fault.attempts

    if fault.recovers_by_itself:
        assert_recovered(qtbot, tab)
        if name == "429-retry-after":
            assert time.monotonic() - started >= 0.3  # the server's Retry-After was waited out
    else:
        question, reply = tab.controller.conversation.messages
        assert reply.state is MessageState.FAILED
        shown = tab.transcript.plain_text()
        assert fault.says in shown and "Retry" in shown
        assert question.plain_text in shown
        if fault.partial:
            assert reply.plain_text and ANSWER.startswith(reply.plain_text)
            assert reply.plain_text in shown
        else:
            assert reply.plain_text == ""
        assert window.key_notice.isVisible() is fault.key_notice
        if fault.tab_notice:
            assert tab.notice.isVisible() and fault.tab_notice in tab.notice.label.text()
        # On disk now, while the window is open: the question, and the marked partial reply.
        expected = [
            ("user", QUESTION, "complete", None),
            ("assistant", reply.plain_text, "failed", reply.error),
        ]
        qtbot.waitUntil(lambda: saved_messages(windows.data_dir, cid) == expected, timeout=5000)
        composer_works(qtbot, tab)
        click_retry(qtbot, tab, reply.id)
        assert fake_xai.count(TURNS) == fault.attempts + 1
        assert_recovered(qtbot, tab)
    longest = probe.stop()
    assert probe.ticks > 0 and longest < MAX_STALL_S, f"the UI stalled for {longest:.3f} s"
    composer_works(qtbot, tab)
    windows.close(window)
    reopen_and_check(windows.data_dir, cid)
    assert_key_not_logged(app_log, caplog, fake_xai.api_key)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_then_server_comes_up(
    qtbot: QtBot, windows: Windows, app_log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    window = windows.open(base_url=f"http://127.0.0.1:{port}/v1")
    tab = current(window)
    probe = StallProbe().start()
    send(qtbot, tab, QUESTION)
    _question, reply = tab.controller.conversation.messages
    assert reply.state is MessageState.FAILED
    assert "Could not connect to 127.0.0.1" in tab.transcript.plain_text()
    composer_works(qtbot, tab)
    server = FakeXai(api_key=windows.fake.api_key)
    server.requested_port = port
    with server:
        click_retry(qtbot, tab, reply.id)
        assert server.count(TURNS) == 1
        assert_recovered(qtbot, tab)
    assert probe.stop() < MAX_STALL_S
    cid = tab.controller.conversation.id
    windows.close(window)
    reopen_and_check(windows.data_dir, cid)
    assert_key_not_logged(app_log, caplog, windows.fake.api_key)


def test_self_signed_tls_is_refused_and_the_key_never_sent(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai, app_log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with SelfSignedServer() as tls:
        window: MainWindow = windows.open(base_url=tls.base_url)
        tab = current(window)
        probe = StallProbe().start()
        send(qtbot, tab, QUESTION)
        assert probe.stop() < MAX_STALL_S  # before the server's own shutdown blocks this thread
        assert tls.handshakes >= 1
        assert tls.http_bytes == 0  # the request (and its Authorization header) never left
    _question, reply = tab.controller.conversation.messages
    assert reply.state is MessageState.FAILED
    assert "could not be verified" in tab.transcript.plain_text()
    composer_works(qtbot, tab)
    # The user corrects the server address, then clicks Retry.
    probe = StallProbe().start()
    window.connection.reconfigure(base_url=fake_xai.base_url, proxy="system")
    click_retry(qtbot, tab, reply.id)
    assert_recovered(qtbot, tab)
    assert probe.stop() < MAX_STALL_S
    cid = tab.controller.conversation.id
    windows.close(window)
    reopen_and_check(windows.data_dir, cid)
    assert_key_not_logged(app_log, caplog, fake_xai.api_key)
