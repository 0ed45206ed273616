"""The bar that says the API key was rejected, with a button to replace it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class KeyNotice(QFrame):
    """Hidden until `show_message`; the conversation and the unsent message stay as they are.

    Signals:
        replace_requested(): the user wants to replace the key (opens Settings).
    """

    replace_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyNotice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.replace_button = QPushButton("Replace key…", self)
        self.replace_button.setObjectName("replaceKeyNoticeButton")
        self.replace_button.clicked.connect(self.replace_requested)
        dismiss = QPushButton("Dismiss", self)
        dismiss.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.addWidget(self.label, 1)
        row.addWidget(self.replace_button)
        row.addWidget(dismiss)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()
