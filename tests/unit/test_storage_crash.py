"""A GrokDesk killed with SIGKILL mid-reply loses nothing it had saved and restarts cleanly, again and again."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from grokdesk.core.conversation import MessageState, Role
from grokdesk.storage.store import DB_NAME, Store

# The child plays the app: it saves the user's message, then a streaming reply once per
# flush, and reports each flush after save_message has returned (i.e. after the commit).
CHILD = r"""
import sys
from pathlib import Path
from grokdesk.core.conversation import Conversation, Message, MessageState, Role
from grokdesk.storage.store import Store

data_dir, run = Path(sys.argv[1]), int(sys.argv[2])
store = Store.open(data_dir)
summaries = store.list_conversations()
if summaries:
    conv = store.load_conversation(summaries[0].id)
else:
    conv = Conversation(title="Crash test", model="grok-4")
    store.save_conversation(conv)
position = len(conv.messages)
question = Message.text(Role.USER, f"question {run}")
store.save_message(conv.id, question, position)
print("user", question.id, flush=True)
reply = Message(Role.ASSISTANT, model="grok-4", state=MessageState.STREAMING)
for chunk in range(100_000):
    reply.append_text(f"<{run}:{chunk}>")
    store.save_message(conv.id, reply, position + 1)
    print("flushed", reply.id, len(reply.plain_text), flush=True)
"""

RUNS = 5


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_mid_reply_loses_nothing_that_was_saved(tmp_path: Path) -> None:
    acknowledged: list[tuple[str, str, int]] = []  # (question id, reply id, reply length saved)
    for run in range(RUNS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), str(run)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        kind, question_id = child.stdout.readline().split()
        assert kind == "user"
        reply_id, saved = "", 0
        for _ in range(3 + 4 * run):  # kill at a different point each run
            kind, reply_id, length = child.stdout.readline().split()
            saved = int(length)
        child.kill()  # SIGKILL on POSIX: no cleanup, no close()
        child.wait(timeout=30)
        child.stdout.close()
        assert child.stderr is not None
        child.stderr.close()
        acknowledged.append((question_id, reply_id, saved))

        assert integrity(tmp_path / DB_NAME) == "ok"
        store = Store.open(tmp_path)
        try:
            assert store.interrupted_count == 1
            conv = store.load_conversation(store.list_conversations()[0].id)
            assert len(conv.messages) == 2 * (run + 1)
            for index, (qid, rid, length) in enumerate(acknowledged):
                question, reply = conv.messages[2 * index], conv.messages[2 * index + 1]
                assert (question.id, question.role, question.plain_text) == (
                    qid,
                    Role.USER,
                    f"question {index}",
                )
                assert (reply.id, reply.role, reply.state) == (rid, Role.ASSISTANT, MessageState.INTERRUPTED)
                # Everything acknowledged is there; at most the flushes after the last report are extra.
                assert len(reply.plain_text) >= length
                chunks = reply.plain_text.count("<")
                assert reply.plain_text == "".join(f"<{index}:{c}>" for c in range(chunks))
        finally:
            store.close()
