"""The context meter's label in a tab's header ("~6,354 / 131,072 tokens").

A plain QLabel's minimum width is its text's: each new count changed the tab's minimum
width, and where the window had no room to spare the main window took the difference from
the library (180 → 81 px when the first count appeared, measured in the tests' 720 px
window) and laid the whole transcript out again at the new width (49 ms with a 10,000-line
code block on screen). This label asks for no minimum width: it takes what the header has
left and, when that is too little, shows its text cut short with an ellipsis (the tooltip
has it all).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel


class MeterLabel(QLabel):
    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def shown_text(self) -> str:
        """The text as painted: whole, or cut to the label's width."""
        width = max(self.contentsRect().width(), 0)
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, width)

    def paintEvent(self, event: QPaintEvent) -> None:
        shown = self.shown_text()
        if shown == self.text():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment().value),
            self.palette(),
            self.isEnabled(),
            shown,
            self.foregroundRole(),
        )
        painter.end()
