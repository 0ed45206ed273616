"""The attachment strip (one chip per image) and the notices about images.

A chip shows the thumbnail, name, size and detail level of one attached image,
with a remove button; chips are dragged to reorder them. The chips mirror the
images in the composer's text (see ui.imageattach): the strip says what the user
did, the owner changes the message.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QDrag,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from grokdesk.core.conversation import ImageDetail, ImagePart
from grokdesk.core.images import format_size

CHIP_MIME = "application/x-grokdesk-attachment"
CHIP_THUMB = 48
_NAME_CHARS = 24


def chip_thumbnail(thumbnail: QImage) -> QImage:
    """`thumbnail` at the size a chip shows it (at most CHIP_THUMB a side)."""
    if max(thumbnail.width(), thumbnail.height()) <= CHIP_THUMB:
        return thumbnail
    return thumbnail.scaled(
        CHIP_THUMB, CHIP_THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class DetailButton(QToolButton):
    """The detail level of one chip ("auto", "low", "high"): a button naming the level
    that opens a menu of the three. Not a QComboBox: under the application's style sheet
    each combo box builds and styles its hidden popup (a list view, its scroll bars and
    frames, nine widgets) as soon as it is polished, which was most of the cost of a chip
    when twenty photos arrive at once. The menu is made on the first click.

    Signals:
    level_changed(str): the user (or `setCurrentText`) chose another level.
    """

    level_changed = Signal(str)

    def __init__(self, level: ImageDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentDetail")
        self.setToolTip("Detail: auto lets Grok choose; low costs fewer tokens; high reads fine print")
        self._level = level.value
        self.setText(f"{self._level} ▾")
        self._menu: QMenu | None = None
        self.clicked.connect(self._open_menu)

    # Named as QComboBox's methods: what set the level through the combo box still does.
    def currentText(self) -> str:
        return self._level

    def currentData(self) -> str:
        return self._level

    def setCurrentText(self, text: str) -> None:
        if text == self._level or text not in {level.value for level in ImageDetail}:
            return
        self._level = text
        self.setText(f"{text} ▾")
        if self._menu is not None:
            for action in self._menu.actions():
                action.setChecked(action.data() == text)
        self.level_changed.emit(text)

    def _open_menu(self) -> None:
        if self._menu is None:
            self._menu = QMenu(self)
            self._menu.setObjectName("attachmentDetailMenu")
            group = QActionGroup(self._menu)
            for level in ImageDetail:
                action = self._menu.addAction(level.value)
                action.setData(level.value)
                action.setCheckable(True)
                action.setActionGroup(group)
                action.triggered.connect(lambda _checked=False, v=level.value: self.setCurrentText(v))
        for action in self._menu.actions():
            action.setChecked(action.data() == self._level)
        self._menu.popup(self.mapToGlobal(self.rect().bottomLeft()))


class AttachmentChip(QFrame):
    """Signals:
    remove_requested(str): the key of the chip whose remove button was clicked.
    detail_changed(str, str): (key, "auto" | "low" | "high").
    move_requested(str, int): (key, -1 or +1) from the context menu or Alt+Left/Right.
    view_requested(str): the chip was double-clicked (or Enter pressed on it): show it larger.

    Its parts are placed once, at a fixed size, without layouts: twenty chips arriving
    together each cost the strip a layout and a polish of every part (see DetailButton).
    """

    remove_requested = Signal(str)
    detail_changed = Signal(str, str)
    move_requested = Signal(str, int)
    view_requested = Signal(str)

    def __init__(self, key: str, part: ImagePart, thumbnail: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentChip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.key = key
        self.part = part
        self.setAccessibleName(f"Attached image {part.name}")
        self.setToolTip(
            f"{part.name}\n{part.width} x {part.height} pixels, {format_size(part.size)}\nDrag to reorder"
        )
        self.thumb = QLabel(self)
        self.thumb.setObjectName("attachmentThumbnail")
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if not thumbnail.isNull():
            self.thumb.setPixmap(QPixmap.fromImage(chip_thumbnail(thumbnail)))
        shown = part.name if len(part.name) <= _NAME_CHARS else part.name[: _NAME_CHARS - 1] + "…"
        self.name_label = QLabel(shown, self)
        self.name_label.setObjectName("attachmentName")
        self.size_label = QLabel(format_size(part.size), self)
        self.size_label.setObjectName("attachmentSize")
        self.detail = DetailButton(part.detail, self)
        self.detail.setAccessibleName(f"Detail level of {part.name}")
        self.detail.level_changed.connect(lambda level: self.detail_changed.emit(self.key, level))
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("attachmentRemove")
        self.remove_button.setText("✕")
        self.remove_button.setAccessibleName(f"Remove {part.name}")
        self.remove_button.setToolTip("Remove this image from the message")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self.key))
        self._place_parts()
        self._press: QPoint | None = None
        # Reordering without a mouse: the chip's context menu (and its shortcuts when focused).
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for text, keys, step in (("Move left", "Alt+Left", -1), ("Move right", "Alt+Right", 1)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _checked=False, s=step: self.move_requested.emit(self.key, s))
            self.addAction(action)
        view = QAction("View larger", self)
        view.setShortcut(QKeySequence(Qt.Key.Key_Return))
        view.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        view.triggered.connect(lambda: self.view_requested.emit(self.key))
        self.addAction(view)
        remove = QAction("Remove", self)
        remove.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(lambda: self.remove_requested.emit(self.key))
        self.addAction(remove)

    def _place_parts(self) -> None:
        """Thumbnail at the left, name, size and detail level in a column, the remove
        button at the top right; the chip's size follows (and never changes)."""
        metrics = self.fontMetrics()
        line = metrics.height()
        detail = self.detail.sizeHint()
        remove = self.remove_button.sizeHint()
        text_width = max(
            metrics.horizontalAdvance(self.name_label.text()),
            metrics.horizontalAdvance(self.size_label.text()),
            detail.width(),
        )
        height = max(CHIP_THUMB, 2 * line + detail.height())
        left, top = 4, 2
        self.thumb.setGeometry(left, top + (height - CHIP_THUMB) // 2, CHIP_THUMB, CHIP_THUMB)
        column = left + CHIP_THUMB + 6
        self.name_label.setGeometry(column, top, text_width, line)
        self.size_label.setGeometry(column, top + line, text_width, line)
        self.detail.setGeometry(column, top + 2 * line, detail.width(), detail.height())
        self.remove_button.setGeometry(column + text_width + 4, top, remove.width(), remove.height())
        self.setFixedSize(column + text_width + 4 + remove.width() + 2, top + height + 2)

    @property
    def detail_level(self) -> ImageDetail:
        return ImageDetail(self.detail.currentData())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        start = self._press
        if start is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        if (event.position().toPoint() - start).manhattanLength() < QApplication.startDragDistance():
            return
        self._press = None
        mime = QMimeData()
        mime.setData(CHIP_MIME, self.key.encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(self.grab())
        drag.setHotSpot(start)
        drag.exec(Qt.DropAction.MoveAction)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.view_requested.emit(self.key)


class AttachmentStrip(QWidget):
    """The row of chips under the composer; hidden while empty.

    Signals:
    remove_requested(str), detail_changed(str, str), view_requested(str): from a chip.
    order_changed(list): the keys in their new order after a chip was dragged.
    """

    remove_requested = Signal(str)
    detail_changed = Signal(str, str)
    view_requested = Signal(str)
    order_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentStrip")
        self.setAccessibleName("Attached images")
        self.setAcceptDrops(True)
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._row = QWidget(self._scroll)
        self._layout = QHBoxLayout(self._row)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addStretch(1)
        self._scroll.setWidget(self._row)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._scroll)
        self._chips: dict[str, AttachmentChip] = {}
        self._chip_height = 0  # of the tallest chip shown since the strip was last empty
        self.hide()

    # -- contents ------------------------------------------------------------------

    def chips(self) -> list[AttachmentChip]:
        """The chips in the order shown."""
        found = (self._layout.itemAt(i) for i in range(self._layout.count()))
        return [w for item in found if item is not None and isinstance(w := item.widget(), AttachmentChip)]

    def keys(self) -> list[str]:
        return [chip.key for chip in self.chips()]

    def chip(self, key: str) -> AttachmentChip | None:
        return self._chips.get(key)

    def show_chips(self, entries: list[tuple[str, ImagePart, QImage]]) -> None:
        """Show exactly these chips, in this order, reusing the ones shown."""
        wanted = {key for key, _, _ in entries}
        for key in [k for k in self._chips if k not in wanted]:
            chip = self._chips.pop(key)
            self._layout.removeWidget(chip)
            chip.deleteLater()
        added: list[AttachmentChip] = []
        for index, (key, part, thumbnail) in enumerate(entries):
            shown = self._chips.get(key)
            if shown is None:
                chip = AttachmentChip(key, part, thumbnail, self._row)
                chip.remove_requested.connect(self.remove_requested)
                chip.detail_changed.connect(self.detail_changed)
                chip.view_requested.connect(self.view_requested)
                chip.move_requested.connect(lambda k, step: self.move_chip(k, self.keys().index(k) + step))
                self._chips[key] = chip
                self._layout.insertWidget(index, chip)
                added.append(chip)
            elif self._layout.indexOf(shown) != index:
                # Only chips out of place move: twenty chips arriving one by one stay cheap.
                self._layout.removeWidget(shown)
                self._layout.insertWidget(index, shown)
        self.setVisible(bool(entries))
        if not entries:
            self._chip_height = 0
        # Only the new chips are measured, and the strip resized only when they are
        # taller: twenty chips arriving one by one measured all of them each time.
        height = max((c.sizeHint().height() for c in added), default=0)
        if height > self._chip_height:
            self._chip_height = height
            self._scroll.setFixedHeight(height + self._scroll.horizontalScrollBar().sizeHint().height())

    def move_chip(self, key: str, index: int) -> None:
        """Move chip `key` to position `index` (as a drag would) and tell the owner."""
        keys = self.keys()
        if key not in keys:
            return
        keys.remove(key)
        keys.insert(max(0, min(index, len(keys))), key)
        if keys != self.keys():
            self.order_changed.emit(keys)

    # -- dragging chips ------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept_chips(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_chips(event)

    @staticmethod
    def _accept_chips(event: QDragMoveEvent) -> None:
        # QDragEnterEvent is a QDragMoveEvent: one check for both.
        if event.mimeData().hasFormat(CHIP_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        if mime.hasFormat(CHIP_MIME):
            key = bytes(mime.data(CHIP_MIME).data()).decode()
            self.move_chip(key, self._index_at(event.position().toPoint()))
            event.acceptProposedAction()
        else:
            event.ignore()

    def _index_at(self, point: QPoint) -> int:
        """Where a chip dropped at `point` (strip coordinates) goes, not counting itself."""
        x = self._row.mapFrom(self, point).x()
        index = 0
        for chip in self.chips():
            if chip.geometry().center().x() < x:
                index += 1
        return index


class AttachmentNotice(QFrame):
    """One dismissible notice: a sentence and up to a few one-click actions.

    Signals:
    dismissed(): the notice was closed.
    """

    dismissed = Signal()

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentNotice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#attachmentNotice { background: rgba(208, 52, 44, 0.12); }")
        self.label = QLabel(text, self)
        self.label.setObjectName("attachmentNoticeText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("attachmentNoticeDismiss")
        self.close_button.setText("✕")
        self.close_button.setAccessibleName("Dismiss")
        self.close_button.clicked.connect(self.dismiss)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(6, 2, 2, 2)
        self._layout.addWidget(self.label, 1)
        self._layout.addWidget(self.close_button)

    def text(self) -> str:
        return self.label.text()

    def add_action(self, label: str, slot: Callable[[], object], *, dismisses: bool = True) -> QPushButton:
        button = QPushButton(label, self)
        button.setObjectName("attachmentNoticeAction")

        def clicked() -> None:
            slot()
            if dismisses:
                self.dismiss()

        button.clicked.connect(clicked)
        self._layout.insertWidget(self._layout.count() - 1, button)
        return button

    def action_buttons(self) -> list[QPushButton]:
        """The notice's buttons (not QWidget.actions(), which lists QActions)."""
        return self.findChildren(QPushButton, "attachmentNoticeAction")

    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
        self.deleteLater()


class NoticeArea(QWidget):
    """The notices above the strip, newest last. A notice with a `key` replaces the
    one shown with the same key (the text-only-model warning is shown once)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentNotices")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._keyed: dict[str, AttachmentNotice] = {}
        self.hide()

    def add(self, text: str, *, key: str | None = None) -> AttachmentNotice:
        if key is not None:
            self.remove(key)
        notice = AttachmentNotice(text, self)
        notice.dismissed.connect(lambda n=notice: self._forget(n))
        self._layout.addWidget(notice)
        if key is not None:
            self._keyed[key] = notice
        self.show()
        return notice

    def remove(self, key: str) -> None:
        notice = self._keyed.pop(key, None)
        if notice is not None:
            notice.dismiss()

    def keyed(self, key: str) -> AttachmentNotice | None:
        return self._keyed.get(key)

    def notices(self) -> list[AttachmentNotice]:
        return [n for n in self.findChildren(AttachmentNotice) if not n.isHidden()]

    def texts(self) -> list[str]:
        return [n.text() for n in self.notices()]

    def clear(self) -> None:
        for notice in self.notices():
            notice.dismiss()

    def _forget(self, notice: AttachmentNotice) -> None:
        self._layout.removeWidget(notice)
        for key, shown in list(self._keyed.items()):
            if shown is notice:
                del self._keyed[key]
        if not self.notices():
            self.hide()
