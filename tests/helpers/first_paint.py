"""Start the real app as `grokdesk --smoke` does and report what the user saw when.

Prints one JSON line at the window's first paint and one when the current tab's
conversation has been painted (`--smoke` then exits as usual):

    PAINT {"chat_modules": [...], "tabs": [...], "title": "..."}
    CONTENT {"focus": "...", "transcript": "...", "draft": "...", "chat_modules": [...]}

`chat_modules` are those of CHAT_STACK already imported at that moment.

    python -m tests.helpers.first_paint --data-dir D --base-url URL   (key in XAI_API_KEY)
"""

from __future__ import annotations

import json
import sys
from typing import Any

import grokdesk.app as app_module

# What a tab's conversation needs and the window's first paint does not.
CHAT_STACK = (
    "grokdesk.ui.chat.tab",
    "grokdesk.ui.chat.transcript",
    "grokdesk.ui.chat.controller",
    "grokdesk.ui.chat.composer",
    "grokdesk.core.markdown",
    "grokdesk.core.request",
)

_create = app_module.create_main_window


def _loaded() -> list[str]:
    return [name for name in CHAT_STACK if name in sys.modules]


def _create_and_report(**kwargs: Any) -> Any:
    window = _create(**kwargs)

    def painted() -> None:
        tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        report = {"chat_modules": _loaded(), "tabs": tabs, "title": window.windowTitle()}
        print("PAINT " + json.dumps(report), flush=True)

    def content() -> None:
        from PySide6.QtWidgets import QApplication

        focused = QApplication.focusWidget()
        tab = window.current_tab()
        report = {
            "focus": focused.objectName() if focused is not None else "",
            "transcript": tab.transcript.plain_text() if tab is not None else "",
            "draft": tab.composer.toPlainText() if tab is not None else "",
            "chat_modules": _loaded(),
        }
        print("CONTENT " + json.dumps(report), flush=True)

    window.painted.connect(painted)
    window.content_painted.connect(content)
    return window


app_module.create_main_window = _create_and_report  # run_gui looks the name up at call time

if __name__ == "__main__":
    sys.exit(app_module.main(["--smoke", *sys.argv[1:]]))
