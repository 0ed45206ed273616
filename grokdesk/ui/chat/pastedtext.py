"""Very long pastes as text attachments ("Pasted text" chips) instead of composer text.

Laying out megabytes of text in the composer blocks the UI thread for seconds (Qt
lays out every line of a QTextEdit), so a paste over 100,000 characters or 2,000
lines (`is_long_paste`) is kept aside as a chip showing its size. It is sent as one
more text part after the typed text, in a code fence so the model sees where it
starts and ends, and is saved with the message like any other text. The chip's menu
shows the text (in a read-only plain-text view, which lays out lazily), puts it back
into the composer, or removes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from grokdesk.core.conversation import TextPart, new_id
from grokdesk.core.longtext import byte_size, is_long_paste, line_count
from grokdesk.ui.chat.composer import Composer

CHIP_NAME = "Pasted text"
_TICKS = re.compile("`{3,}")


def fenced(text: str) -> str:
    """`text` in a Markdown code fence longer than any backtick run inside it."""
    # Most pastes hold no fence at all: looking for one backtick is a fast scan (0.15 ms
    # for 5 MB), for three a slower one (5-6 ms), the pattern slower still.
    has_fence = "`" in text and "```" in text
    longest = max((len(run) for run in _TICKS.findall(text)), default=0) if has_fence else 0
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}\n{body}{fence}"


def size_label(text: str) -> str:
    """ "4.8 MB · 80,000 lines"."""
    return f"{byte_size(text)} · {line_count(text):,} lines"


@dataclass(frozen=True, slots=True)
class Pasted:
    key: str
    text: str
    part: TextPart  # as it is sent: fenced (made once, the meter asks for it often)


class PastedTexts(QObject):
    """The "Pasted text" chips of one composer.

    Signals:
        changed(): a paste was added, removed or put back.
    """

    changed = Signal()

    def __init__(self, composer: Composer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._composer = composer
        self._items: list[Pasted] = []
        self.strip = QWidget(parent)
        self.strip.setObjectName("pastedTextStrip")
        self._row = QHBoxLayout(self.strip)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(6)
        self._row.addStretch(1)
        self.strip.hide()
        composer.large_text_handler = self.add
        composer.is_large_text = is_long_paste

    def texts(self) -> list[str]:
        return [item.text for item in self._items]

    def keyed_texts(self) -> list[tuple[str, str]]:
        """(key, text) of each paste in order; a paste keeps its key while its chip lives."""
        return [(item.key, item.text) for item in self._items]

    def chips(self) -> list[QToolButton]:
        keys = {item.key for item in self._items}
        return [
            c for c in self.strip.findChildren(QToolButton, "pastedTextChip") if c.property("key") in keys
        ]

    def parts(self) -> list[TextPart]:
        """The pastes as text parts, in the order they were pasted."""
        return [item.part for item in self._items]

    def add(self, text: str, key: str | None = None) -> None:
        """A chip for `text`; `key` given: the same paste put back from a saved draft."""
        item = Pasted(key or new_id(), text, TextPart(fenced(text)))
        self._items.append(item)
        chip = QToolButton(self.strip)
        chip.setObjectName("pastedTextChip")
        chip.setProperty("key", item.key)
        size = size_label(text)  # once: counting the lines of 5 MB takes ~4 ms
        chip.setText(f"{CHIP_NAME} · {size}")
        chip.setToolTip("Sent as text after your message. Click to view it or put it back in the message.")
        chip.setAccessibleName(f"{CHIP_NAME}, {size}")
        chip.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(chip)
        menu.addAction("View", lambda: self.view(item.key))
        menu.addAction("Put back in the message", lambda: self.expand(item.key))
        menu.addAction("Remove", lambda: self.remove(item.key))
        chip.setMenu(menu)
        self._row.insertWidget(self._row.count() - 1, chip)
        self.strip.show()
        self.changed.emit()

    def remove(self, key: str) -> str | None:
        item = next((i for i in self._items if i.key == key), None)
        if item is None:
            return None
        self._items.remove(item)
        for chip in self.strip.findChildren(QToolButton, "pastedTextChip"):
            if chip.property("key") == key:
                chip.hide()
                chip.deleteLater()
        self.strip.setVisible(bool(self._items))
        self.changed.emit()
        return item.text

    def expand(self, key: str) -> None:
        """Put the paste back into the composer's text at the cursor (the user asked,
        knowing it is long)."""
        text = self.remove(key)
        if text is not None:
            cursor: QTextCursor = self._composer.textCursor()
            cursor.insertText(text)

    def view(self, key: str) -> QDialog | None:
        item = next((i for i in self._items if i.key == key), None)
        if item is None:
            return None
        dialog = QDialog(self.strip.window())
        dialog.setObjectName("pastedTextViewer")
        dialog.setWindowTitle(f"{CHIP_NAME} ({size_label(item.text)})")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view = QPlainTextEdit(dialog)
        view.setReadOnly(True)
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        view.setPlainText(item.text)
        layout = QVBoxLayout(dialog)
        layout.addWidget(view)
        dialog.resize(720, 520)
        dialog.show()
        return dialog

    def clear(self) -> None:
        for item in list(self._items):
            self.remove(item.key)
