"""The tab widget of conversations: new, close, move, rename, middle click."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QInputDialog, QStyle, QTabBar, QTabWidget, QToolButton, QWidget

from grokdesk.ui.icons import set_icon

STREAMING_MARK = "● "


class ConversationTabs(QTabWidget):
    """Signals:
    new_tab_requested(): the + button.
    close_requested(int): close button or middle click on a tab.
    rename_requested(int, str): the user renamed a tab by double click.
    """

    new_tab_requested = Signal()
    close_requested = Signal(int)
    rename_requested = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationTabs")
        self.setAccessibleName("Conversations")
        self.setMovable(True)
        self.setTabsClosable(True)
        self.setDocumentMode(True)
        self.setElideMode(Qt.TextElideMode.ElideRight)
        self.setUsesScrollButtons(True)
        plus = QToolButton(self)
        plus.setObjectName("newTabButton")
        plus.setProperty("flat", True)
        set_icon(plus, "plus", "New conversation (Ctrl+T)")
        plus.setAccessibleName("New conversation")
        plus.clicked.connect(self.new_tab_requested)
        self.setCornerWidget(plus, Qt.Corner.TopRightCorner)
        self.tabCloseRequested.connect(self.close_requested)
        self.tabBarDoubleClicked.connect(self._rename)
        self.tabBar().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.tabBar()
            and event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.MiddleButton
        ):
            index = self.tabBar().tabAt(event.position().toPoint())
            if index >= 0:
                self.close_requested.emit(index)
                return True
        return super().eventFilter(watched, event)

    def tabInserted(self, index: int) -> None:
        """Each tab gets a quiet close icon of the app's icon set instead of the style's."""
        super().tabInserted(index)
        bar = self.tabBar()
        side = QTabBar.ButtonPosition(
            bar.style().styleHint(QStyle.StyleHint.SH_TabBar_CloseButtonPosition, None, bar)
        )
        close = QToolButton(bar)
        close.setObjectName("closeTabButton")
        close.setProperty("flat", True)
        close.setAutoRaise(True)
        set_icon(close, "x", "Close conversation (Ctrl+W)", size=12)
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(lambda _checked=False, b=close: self._close_clicked(b))
        replaced = bar.tabButton(index, side)
        bar.setTabButton(index, side, close)
        if replaced is not None:
            replaced.deleteLater()

    def _close_clicked(self, button: QToolButton) -> None:
        bar = self.tabBar()
        for index in range(bar.count()):
            if button in (
                bar.tabButton(index, QTabBar.ButtonPosition.LeftSide),
                bar.tabButton(index, QTabBar.ButtonPosition.RightSide),
            ):
                self.close_requested.emit(index)
                return

    def set_label(self, index: int, title: str, *, streaming: bool) -> None:
        shown = title or "New conversation"
        self.setTabText(index, (STREAMING_MARK if streaming else "") + shown.replace("&", "&&"))
        self.setTabToolTip(index, shown + (" (replying…)" if streaming else ""))

    def _rename(self, index: int) -> None:
        if index < 0:
            return
        current = self.tabToolTip(index).removesuffix(" (replying…)")
        title, accepted = QInputDialog.getText(self, "Rename conversation", "Title:", text=current)
        if accepted and title.strip():
            self.rename_requested.emit(index, title.strip())
