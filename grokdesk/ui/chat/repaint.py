"""Repainting only what a streaming edit changed in a text view.

Qt's text layout asks for the whole frame to be repainted after any change inside a
child frame, and every message of the transcript is one: each streaming update
repainted the whole viewport while following the end (~1.5 ms a paint, a third of an
update's cost), although only its last lines changed. `EditRepaints` takes the
layout's repaint requests over, doing what QTextEdit does with them, except that
inside `only_changed()` a request is cut to start at the first block an edit touched
(the block before it included when something was removed: removing a block's
separator changes the one above).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, QRectF
from PySide6.QtWidgets import QTextEdit


class EditRepaints(QObject):
    def __init__(self, view: QTextEdit) -> None:
        super().__init__(view)
        self._view = view
        self._collecting = False
        self._first: int | None = None  # the first position changed while collecting
        self._removed = False  # ...and whether anything was removed
        document = view.document()
        document.contentsChange.connect(self._on_contents_change)
        # A new layout is connected to the view again by Qt: taken over again.
        document.documentLayoutChanged.connect(self._take_over)
        self._take_over()

    def _take_over(self) -> None:
        layout = self._view.document().documentLayout()
        layout.update.disconnect()  # Qt's own: the view repaints all of the rectangle
        layout.update.connect(self._repaint)

    @contextmanager
    def only_changed(self) -> Iterator[None]:
        """Repaints asked for by edits made inside start at the first changed block."""
        self._collecting = True
        self._first = None
        self._removed = False
        try:
            yield
        finally:
            self._collecting = False
            self._first = None

    def _on_contents_change(self, position: int, removed: int, _added: int) -> None:
        if self._collecting:
            if self._first is None or position < self._first:
                self._first = position
            self._removed = self._removed or removed > 0

    def _repaint(self, rect: QRectF) -> None:
        view = self._view
        viewport = view.viewport()
        if not rect.isValid():
            viewport.update()
            return
        if self._first is not None:
            document = view.document()
            block = document.findBlock(self._first)
            if self._removed and block.previous().isValid():
                block = block.previous()
            top = document.documentLayout().blockBoundingRect(block).top()
            if top > rect.top():
                rect = QRectF(rect.left(), top, rect.width(), max(0.0, rect.bottom() - top))
        bar = view.horizontalScrollBar()
        x = bar.maximum() - bar.value() if view.isRightToLeft() else bar.value()
        y = view.verticalScrollBar().value()
        shown = rect.intersected(QRectF(x, y, viewport.width(), viewport.height())).toAlignedRect()
        if not shown.isEmpty():
            viewport.update(shown.translated(-x, -y))
