"""The per-message action bar: quiet icon buttons shown under the message the pointer
is over (or the one chosen with the keyboard), instead of a row of links per message.

One bar serves the whole transcript; it floats in the gap below a message, so it
never covers text. Every button has a tooltip and an accessible name, and the bar is
reachable from the keyboard: Alt+Up / Alt+Down in the transcript choose a message and
focus its first button, Left/Right (or Tab) move between buttons, Esc goes back.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QMenu, QToolButton, QWidget

from grokdesk.core.conversation import Message, MessageState, Role
from grokdesk.ui.icons import icon, set_icon

ICON_SIZE = 16
BAR_HEIGHT = 28


class MessageActionBar(QFrame):
    """Signals:
    triggered(str, str): (action, message id): copy, copy_md, edit, delete, regenerate,
        retry, continue, usage.
    navigate(int): Alt+Up (-1) / Alt+Down (+1) pressed on the bar.
    dismissed(): Esc pressed on the bar.
    """

    triggered = Signal(str, str)
    navigate = Signal(int)
    dismissed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("messageActions")
        self.setAccessibleName("Message actions")
        self.setFixedHeight(BAR_HEIGHT)
        self.message_id = ""
        self._buttons: dict[str, QToolButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 1, 2, 1)
        layout.setSpacing(1)
        for name, glyph, tip in (
            ("copy", "copy", "Copy the text"),
            ("edit", "pencil-simple", "Edit"),
            ("regenerate", "arrows-clockwise", "Regenerate this reply"),
            ("retry", "arrow-clockwise", "Retry"),
            ("continue", "arrow-bend-down-right", "Continue the reply"),
            ("delete", "trash", "Delete"),
            ("more", "dots-three", "More actions"),
        ):
            button = QToolButton(self)
            button.setObjectName("messageAction")
            button.setProperty("action", name)
            set_icon(button, glyph, tip, size=ICON_SIZE)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.installEventFilter(self)
            if name != "more":
                button.clicked.connect(lambda _checked=False, n=name: self._trigger(n))
            layout.addWidget(button)
            self._buttons[name] = button
        self._menu = QMenu(self)
        self._menu.setObjectName("messageMoreMenu")
        more = self._buttons["more"]
        more.setMenu(self._menu)
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._menu_actions: dict[str, QAction] = {}
        for name, text, glyph in (
            ("copy_md", "Copy as Markdown", "file-text"),
            ("usage", "Show usage", "chart-bar"),
        ):
            action = self._menu.addAction(text)
            action.setIcon(icon(glyph))
            action.setObjectName(f"messageAction_{name}")
            action.triggered.connect(lambda _checked=False, n=name: self._trigger(n))
            self._menu_actions[name] = action
        self.hide()

    # -- what is offered -------------------------------------------------------------

    def set_message(self, message: Message, *, usage: str = "", usage_shown: bool = False) -> None:
        """Offer the actions that apply to `message` (usage: its tokens and cost, if known)."""
        self.message_id = message.id
        notice = message.role is Role.NOTICE
        assistant = message.role is Role.ASSISTANT
        failed = message.state in (MessageState.FAILED, MessageState.INTERRUPTED)
        cut = message.finish_reason == "length" and message.state is MessageState.COMPLETE
        visible = {
            "copy": not notice,
            "edit": not notice,
            "regenerate": assistant and not failed,
            "retry": assistant and failed,
            "continue": assistant and cut,
            "delete": True,
            "more": not notice,
        }
        for name, button in self._buttons.items():
            button.setVisible(visible[name])
        delete = self._buttons["delete"]
        delete.setToolTip("Dismiss" if notice else "Delete")
        delete.setAccessibleName(delete.toolTip())
        more = self._buttons["more"]
        more.setToolTip(f"More actions\n{usage}" if usage else "More actions")
        usage_action = self._menu_actions["usage"]
        usage_action.setVisible(bool(usage))
        usage_action.setText("Hide usage" if usage_shown else f"Show usage ({usage})" if usage else "")
        self.adjustSize()

    def button(self, action: str) -> QToolButton | None:
        """The visible button for `action`, if the current message offers one."""
        button = self._buttons.get(action)
        return button if button is not None and not button.isHidden() else None

    def menu_action(self, action: str) -> QAction | None:
        """The "More" menu's entry for `action` (copy_md, usage), if offered."""
        entry = self._menu_actions.get(action)
        return entry if entry is not None and entry.isVisible() else None

    def visible_buttons(self) -> list[QToolButton]:
        return [b for b in self._buttons.values() if not b.isHidden()]

    def focus_first(self) -> None:
        buttons = self.visible_buttons()
        if buttons:
            buttons[0].setFocus(Qt.FocusReason.TabFocusReason)

    def has_focus_inside(self) -> bool:
        return any(b.hasFocus() for b in self._buttons.values()) or self._menu.isVisible()

    def _trigger(self, action: str) -> None:
        if self.message_id:
            self.triggered.emit(action, self.message_id)

    # -- keyboard --------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            if alt and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self.navigate.emit(-1 if key == Qt.Key.Key_Up else 1)
                return True
            if key == Qt.Key.Key_Escape:
                self.dismissed.emit()
                return True
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                buttons = self.visible_buttons()
                if watched in buttons:
                    step = -1 if key == Qt.Key.Key_Left else 1
                    index = (buttons.index(watched) + step) % len(buttons)
                    buttons[index].setFocus(Qt.FocusReason.TabFocusReason)
                    return True
        return super().eventFilter(watched, event)
