"""The composer: where a message is written before it is sent."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

SEND_ON_ENTER = "enter"
SEND_ON_CTRL_ENTER = "ctrl+enter"


class Composer(QPlainTextEdit):
    """A multi-line editor. Enter sends and Shift+Enter breaks the line (or, with the
    ctrl+enter setting, Enter breaks the line); Ctrl+Enter always sends; Esc asks to
    stop a streaming reply; Up in an empty composer recalls the last sent message.

    Signals:
        send_requested(): the user asked to send.
        stop_requested(): Esc was pressed.
    """

    send_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, send_key: str = SEND_ON_ENTER) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setAccessibleName("Message composer")
        self.setPlaceholderText("Write a message… (Enter sends, Shift+Enter for a new line)")
        self.setTabChangesFocus(True)
        self.send_key = send_key
        self.last_sent = ""

    def set_send_key(self, send_key: str) -> None:
        self.send_key = send_key
        if send_key == SEND_ON_CTRL_ENTER:
            self.setPlaceholderText("Write a message… (Ctrl+Enter sends)")
        else:
            self.setPlaceholderText("Write a message… (Enter sends, Shift+Enter for a new line)")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
            shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
            if ctrl or (self.send_key == SEND_ON_ENTER and not shift):
                self.send_requested.emit()
                return
            self.insertPlainText("\n")
            return
        if key == Qt.Key.Key_Escape:
            self.stop_requested.emit()
            return
        if key == Qt.Key.Key_Up and not self.toPlainText() and self.last_sent:
            self.setPlainText(self.last_sent)
            self.moveCursor(self.textCursor().MoveOperation.End)
            return
        super().keyPressEvent(event)
