"""What a new, empty conversation shows: what the selected model can do, and the shortcuts."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

from grokdesk.core.models import ModelInfo
from grokdesk.ui.icons import glyph_html
from grokdesk.ui.look import theme_of

SHORTCUTS = (
    ("Enter", "send (Shift+Enter: new line)"),
    ("Esc", "stop the reply"),
    ("Ctrl+V", "paste or drop images"),
    ("Alt+↑ / Alt+↓", "actions of a message"),
    ("Ctrl+F", "find in the conversation"),
    ("Ctrl+T / Ctrl+W", "new / close conversation"),
    ("Ctrl+K", "search all conversations"),
)
MAX_WIDTH = 520


def describe_model(model: str, info: ModelInfo | None) -> list[str]:
    """Short lines on what `model` can do, from what the API said about it."""
    if not model:
        return ["Pick a model above to start."]
    if info is None:
        return [f"{model}: capabilities not known yet."]
    lines = []
    if info.takes_images:
        lines.append("understands images you attach (JPEG, PNG)")
    else:
        lines.append("text only: pick a vision model to send images")
    if "image" in info.output_modalities:
        lines.append("generates images from a prompt")
    if info.context_window:
        lines.append(f"reads up to {info.context_window:,} tokens of conversation")
    if info.knowledge_cutoff:
        lines.append(f"knows the world up to {info.knowledge_cutoff}")
    return lines


class EmptyState(QLabel):
    """A centred note over the empty transcript; clicks and drops pass through to it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.setAccessibleName("Welcome")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._model = ""
        self._info: ModelInfo | None = None
        parent.installEventFilter(self)

    def show_for(self, model: str, info: ModelInfo | None) -> None:
        self._model, self._info = model, info
        self._render()
        self.show()
        self._place()

    def _render(self) -> None:
        theme = theme_of(self.palette())
        muted = f'style="color:{theme.muted}"'
        spark = glyph_html("sparkle")
        abilities = "".join(
            f"<li>{html.escape(line)}</li>" for line in describe_model(self._model, self._info)
        )
        keys = "".join(
            f'<tr><td align="right" style="padding-right:12px"><b>{html.escape(key)}</b></td>'
            f"<td {muted}>{html.escape(what)}</td></tr>"
            for key, what in SHORTCUTS
        )
        title = html.escape(self._model) if self._model else "GrokDesk"
        self.setText(
            f'<p style="font-size:x-large">{spark}&nbsp;{title}</p>'
            f'<ul style="margin-left:-20px" {muted}>{abilities}</ul>'
            f'<table align="center" cellspacing="2" style="margin-top:12px">{keys}</table>'
        )

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(MAX_WIDTH, parent.width() - 32)
        self.setFixedWidth(max(200, width))
        self.adjustSize()
        self.move((parent.width() - self.width()) // 2, max(8, (parent.height() - self.height()) // 3))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._model:
            self._render()
