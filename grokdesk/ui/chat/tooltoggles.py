"""The live tool buttons beside the send button: web search, X search, code execution.

Each is a checkable button whose state belongs to the conversation (its settings,
saved with it); the tab's next turns carry the tools that are checked.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QToolButton, QWidget

from grokdesk.core.conversation import ConversationSettings

# (object name, label, setting, tooltip)
_TOGGLES = (
    ("webSearchToggle", "Web", "web_search", "Search the web live and cite sources (xAI bills each search)"),
    ("xSearchToggle", "X", "x_search", "Search posts on X live and cite them (xAI bills each search)"),
    ("codeToggle", "Code", "code_execution", "Let the model run Python code on xAI's servers"),
    (
        "imageGenToggle",
        "Images",
        "image_generation",
        "Let the model make images mid-reply (xAI bills each image)",
    ),
)


class ToolToggles(QObject):
    """Signals: changed(): a button was toggled and the settings were updated."""

    changed = Signal()

    def __init__(self, parent: QWidget, settings: Callable[[], ConversationSettings]) -> None:
        super().__init__(parent)
        self._settings = settings
        self.buttons: dict[str, QToolButton] = {}
        for name, label, field, tip in _TOGGLES:
            button = QToolButton(parent)
            button.setObjectName(name)
            button.setText(label)
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setAccessibleName(tip.split(" (")[0])
            button.toggled.connect(lambda on, f=field: self._toggled(f, on))
            self.buttons[field] = button
        self.load()

    @property
    def web(self) -> QToolButton:
        return self.buttons["web_search"]

    @property
    def x(self) -> QToolButton:
        return self.buttons["x_search"]

    @property
    def code(self) -> QToolButton:
        return self.buttons["code_execution"]

    def load(self) -> None:
        """Show the conversation's settings (after they were replaced, e.g. by the dialog)."""
        settings = self._settings()
        for field, button in self.buttons.items():
            button.blockSignals(True)
            button.setChecked(bool(getattr(settings, field)))
            button.blockSignals(False)

    def _toggled(self, field: str, on: bool) -> None:
        settings = self._settings()
        if getattr(settings, field) != on:
            setattr(settings, field, on)
            self.changed.emit()
