"""`--smoke-send`: the hidden end-to-end check of an installed or frozen app.

After the first paint, optionally attach image files (read and checked in the image
readers' child processes), send a message, wait for the reply, then wait for its
formulas to be typeset (in the math child process). One JSON line reports what a user
would have seen: the reply, its state, the images sent, the formulas typeset, and
whether each child-process pool ran in a child or fell back to a thread. A frozen build
is where a child can fail to start (the executable must turn itself into the child)
or to import what it needs (a module the bundler left out), so it is checked there.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grokdesk.core.conversation import MessageState, Role
from grokdesk.ui.childpool import app_child_pool_states

if TYPE_CHECKING:
    from grokdesk.ui.chat.tab import ConversationTab
    from grokdesk.ui.mainwindow import MainWindow

REPLY_TIMEOUT_S = 30.0
# Typesetting starts a child process and imports ziamath in it: seconds on a cold start.
MATH_TIMEOUT_S = 30.0
POLL_S = 0.05


async def send_and_report(
    window: MainWindow, text: str, model: str | None, attach: Sequence[Path] = ()
) -> int:
    """Send `text` (with `attach`ed images), print one JSON line
    {state, reply, model, error, images_sent, formulas, formulas_typeset, child_pools, ok,
    seconds}; return 0 if the reply completed with text, every image was sent and every
    formula typeset."""
    painted = asyncio.Event()
    window.painted.connect(painted.set)
    if not window.has_painted:
        await painted.wait()
    started = time.perf_counter()
    tab = window.current_tab() or window.new_conversation()
    if model:
        tab.select_model(model)
    tab.restore_draft(text, [])  # the text, with the cursor after it
    if attach:
        await tab.attach_paths(attach)  # placed at the cursor, after the text
    ended = asyncio.Event()
    tab.streaming_changed.connect(lambda streaming: None if streaming else ended.set())
    tab.send()
    result: dict[str, object]
    try:
        await asyncio.wait_for(ended.wait(), REPLY_TIMEOUT_S)
    except TimeoutError:
        result = {"state": "no reply", "reply": "", "error": f"no reply within {REPLY_TIMEOUT_S} s"}
    else:
        messages = tab.controller.conversation.messages
        replies = [m for m in messages if m.role is Role.ASSISTANT]
        prompts = [m for m in messages if m.role is Role.USER]
        last = replies[-1] if replies else None
        result = {
            "state": str(last.state) if last else "no reply",
            "reply": last.plain_text if last else "",
            "model": last.model if last else None,
            "error": last.error if last else "no assistant message",
            "images_sent": len(prompts[-1].images) if prompts else 0,
        }
    formulas, typeset = await _formulas_typeset(tab)
    result.update(formulas=formulas, formulas_typeset=typeset, child_pools=app_child_pool_states())
    result["ok"] = (
        result.get("state") == MessageState.COMPLETE.value
        and bool(result.get("reply"))
        and result.get("images_sent") == len(attach)
        and typeset == formulas
    )
    result["seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


async def _formulas_typeset(tab: ConversationTab) -> tuple[int, int]:
    """How many formulas the transcript shows, and how many were typeset (not drawn as
    their source because typesetting failed), once typesetting has finished."""
    math = tab.transcript.math
    deadline = time.monotonic() + MATH_TIMEOUT_S
    # Typesetting has no "all done" signal (formulas keep arriving while a reply streams);
    # a check run once per build can afford to look every 50 ms.
    while math.pending() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(POLL_S)
    return math.typeset_counts()
