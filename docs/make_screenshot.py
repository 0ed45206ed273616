"""Render the README screenshots from the real app: one fixed demo scene, light and dark.

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb python docs/make_screenshot.py
    QT_QPA_PLATFORM=offscreen python docs/make_screenshot.py     # also works

The scene is a saved conversation (a question with an image; a reply with reasoning,
a web search with its sources, a table and code) opened in the real main window against the fake xAI server from
tests/, so nothing reaches the network. It writes docs/screenshot-light.png and
docs/screenshot-dark.png.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (1320, 940)
QUESTION = "Compare native Qt widgets with an embedded browser for a chat app, and describe this picture:"
REASONING = (
    "Two ways to build a chat transcript: start-up time and memory decide it, so a short table, "
    "then a minimal streaming example and a note on the image."
)
REPLY = """Qt's rich text engine renders a subset of HTML and CSS [[1]](https://doc.qt.io/qt-6/richtext-html-subset.html),
while a browser engine ships a whole web runtime [[2]](https://wiki.qt.io/QtWebEngine). Here is how the two
approaches compare on a typical laptop:

| Approach | Start-up | Memory | Text selection |
|---|---|---|---|
| Native Qt widgets | **0.3 s** | 90 MB | native |
| Embedded browser | 2.1 s | 400 MB | web-like |

A reply streams in over server-sent events; with `httpx` it takes a few lines:

```python
async def stream(client, body):
    async with client.stream("POST", "/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                yield line[6:]  # one JSON chunk per event
```

> The picture is a smooth gradient from blue to orange: a test image, no people in it.
"""
OTHER_TITLES = (
    "Trip to Lisbon: three-day plan",
    "Regex for ISO dates",
    "Summarise the release notes",
    "SQLite WAL vs rollback journal",
    "Birthday card ideas",
)


def sample_png() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (320, 200))
    pixels = image.load()
    assert pixels is not None
    for x in range(320):
        for y in range(200):
            pixels[x, y] = (40 + x * 200 // 320, 90 + y // 4, 220 - x * 180 // 320)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def demo_conversations() -> list[object]:
    from grokdesk.core.conversation import Conversation, Message, Role, TextPart, Usage
    from grokdesk.core.images import check_image_bytes
    from grokdesk.core.sources import Source
    from grokdesk.core.tools import ToolCall, ToolKind, ToolStatus

    # A fixed clock, so the screenshots do not change from run to run.
    at = time.mktime((2026, 3, 14, 14, 2, 0, 0, 0, -1))
    image = check_image_bytes(sample_png(), "gradient.png")
    question = Message(Role.USER, [TextPart(QUESTION), image], created_at=at)
    reply = Message.text(
        Role.ASSISTANT,
        REPLY,
        model="grok-4.3",
        reasoning=REASONING,
        created_at=at + 9,
        usage=Usage(prompt_tokens=1210, completion_tokens=236, reasoning_tokens=41, total_tokens=1487),
    )
    reply.tools.append(
        ToolCall(
            "ws_1", ToolKind.WEB, "web_search", query="Qt rich text HTML subset", status=ToolStatus.COMPLETED
        )
    )
    reply.sources.extend(
        [
            Source("https://doc.qt.io/qt-6/richtext-html-subset.html", "Supported HTML Subset"),
            Source("https://wiki.qt.io/QtWebEngine", "QtWebEngine"),
        ]
    )
    demo = Conversation(
        title="Native widgets or a browser?",
        model="grok-4.3",
        messages=[question, reply],
        created_at=at,
        updated_at=at + 60,
    )
    others = [
        Conversation(
            title=title,
            model="grok-3",
            messages=[Message.text(Role.USER, title, created_at=at - 3600 * (i + 1))],
            created_at=at - 3600 * (i + 1),
            updated_at=at - 3600 * (i + 1),
        )
        for i, title in enumerate(OTHER_TITLES)
    ]
    return [demo, *others]


def main() -> int:
    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from grokdesk.app import create_main_window
    from grokdesk.core.conversation import Conversation
    from grokdesk.ui.asynctasks import install_asyncgen_hooks
    from grokdesk.ui.look import apply_look
    from tests.helpers.fake_xai import FakeXai

    app = QApplication(sys.argv[:1])
    app.setApplicationName("GrokDesk")
    fake = FakeXai().start()  # before qasync.run, which makes every new loop a Qt one

    async def shoot(data: Path, theme: str, out: Path) -> None:
        window = create_main_window(data_dir=data, base_url=fake.base_url, api_key=fake.api_key)
        apply_look(theme, window.settings.font_size)
        window.resize(*SIZE)
        window.show()
        window.resizeDocks([window.library_dock], [290], Qt.Orientation.Horizontal)
        await asyncio.sleep(0.6)  # the model list and the library load after the first paint
        # The demo replaces the empty tab a first start opens.
        demo = next(c for c in demo_conversations() if isinstance(c, Conversation))
        tab = window.open_conversation(demo)
        for other in window.open_tabs():
            if other is not tab:
                window.close_tab(window.tabs.indexOf(other))
        tab.select_model("grok-4.3")
        await asyncio.sleep(0.6)  # thumbnails are made off the UI thread
        reply = demo.messages[1]
        tab.transcript.anchorClicked.emit(_url(f"reasoning:{reply.id}"))
        tab.composer.setPlainText("Also compare memory after a long conversation")
        await asyncio.sleep(0.2)
        bar = tab.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())
        tab.transcript.show_actions(reply.id)  # as when the pointer rests on the reply
        await asyncio.sleep(0.3)
        window.grab().save(str(out))
        await window.shutdown_all()
        window.close()

    async def run() -> None:
        install_asyncgen_hooks(asyncio.get_running_loop())
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder)
            await seed(data)
            for theme in ("light", "dark"):
                out = ROOT / "docs" / f"screenshot-{theme}.png"
                await shoot(data, theme, out)
                print(f"saved {out}")

    async def seed(data: Path) -> None:
        """Save the demo conversations, so the library lists them."""
        window = create_main_window(data_dir=data, base_url=fake.base_url, api_key=fake.api_key)
        for conversation in demo_conversations():
            assert isinstance(conversation, Conversation)
            for message in conversation.messages:
                window._sink.save_message(conversation, message)
        await window.shutdown_all()
        window.deleteLater()

    try:
        qasync.run(run())
    finally:
        fake.stop()
    return 0


def _url(text: str) -> object:
    from PySide6.QtCore import QUrl

    return QUrl(text)


if __name__ == "__main__":
    sys.exit(main())
