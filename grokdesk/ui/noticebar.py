"""A dismissible bar above the composer: a sentence and, optionally, one action."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class NoticeBar(QFrame):
    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.action_button = QPushButton(self)
        self.action_button.setObjectName(object_name + "Action")
        self.action_button.clicked.connect(self._run)
        dismiss = QPushButton("Dismiss", self)
        dismiss.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.addWidget(self.label, 1)
        row.addWidget(self.action_button)
        row.addWidget(dismiss)
        self._action: Callable[[], object] | None = None
        self.hide()

    def show_notice(self, text: str, action: tuple[str, Callable[[], object]] | None = None) -> None:
        self.label.setText(text)
        self._action = action[1] if action else None
        self.action_button.setVisible(action is not None)
        if action:
            self.action_button.setText(action[0])
        self.show()

    def _run(self) -> None:
        action = self._action
        self.hide()
        if action is not None:
            action()
