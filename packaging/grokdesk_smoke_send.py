"""`grokdesk --smoke-send TEXT`: the frozen app sends one message and exits when the reply ends.

A hidden option for checking a built app end to end (packaging/smoke_stream.py runs it against
the fake xAI server). It starts exactly as `grokdesk` does, through grokdesk.app's public pieces
(`setup_logging`, `create_main_window`), waits for the first paint, sends TEXT from the current
tab, waits for the stream to end, prints one JSON line and exits 0 if the reply completed with
text. Bundled through packaging/grokdesk_entry.py; once grokdesk.app has the option itself,
delete this module and the two lines in the entry script.

    grokdesk --smoke-send "Hello" [--base-url URL] [--data-dir DIR] [--model ID]
    -> {"state": "complete", "reply": "...", "model": "...", "seconds": 0.8}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence

REPLY_TIMEOUT_S = 30.0


async def _send_and_wait(args: argparse.Namespace) -> dict[str, object]:
    from grokdesk.app import create_main_window, resolve_data_dir
    from grokdesk.core.conversation import MessageState, Role
    from grokdesk.ui.asynctasks import install_asyncgen_hooks

    install_asyncgen_hooks(asyncio.get_running_loop())
    window = create_main_window(data_dir=resolve_data_dir(args.data_dir), base_url=args.base_url)
    painted = asyncio.Event()
    window.painted.connect(painted.set)
    window.show()
    await painted.wait()
    start = time.perf_counter()
    tab = window.current_tab() or window.new_conversation()
    if args.model:
        tab.select_model(args.model)
    ended = asyncio.Event()
    tab.streaming_changed.connect(lambda streaming: None if streaming else ended.set())
    tab.composer.setPlainText(args.smoke_send)
    tab.send()
    result: dict[str, object]
    try:
        await asyncio.wait_for(ended.wait(), REPLY_TIMEOUT_S)
    except TimeoutError:
        result = {"state": "no reply", "reply": "", "error": f"no reply ended within {REPLY_TIMEOUT_S} s"}
    else:
        replies = [m for m in tab.controller.conversation.messages if m.role is Role.ASSISTANT]
        last = replies[-1] if replies else None
        result = {
            "state": str(last.state) if last else "no reply",
            "reply": last.plain_text if last else "",
            "model": last.model if last else None,
            "error": last.error if last else "no assistant message",
        }
        result["ok"] = bool(last and last.state is MessageState.COMPLETE and last.plain_text)
    result["seconds"] = round(time.perf_counter() - start, 3)
    window.close()
    await window.shutdown_all()
    return result


def main(argv: Sequence[str]) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from grokdesk.app import resolve_data_dir, setup_logging

    parser = argparse.ArgumentParser(prog="grokdesk")
    parser.add_argument("--smoke-send", required=True, metavar="TEXT")
    parser.add_argument("--data-dir")
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    args = parser.parse_args(list(argv))
    setup_logging(resolve_data_dir(args.data_dir))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # as run_gui: shut down ourselves
    result = qasync.run(_send_and_wait(args))
    print(json.dumps(result), flush=True)
    return 0 if result.get("ok") else 1
