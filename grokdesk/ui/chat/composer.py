"""The composer: where a message is written before it is sent.

Text and images interleave: each attached image is an inline image object in the
document (one U+FFFC character whose format names `attach:<key>`), so the user
places it between words like a character, and `segments()` gives text and image
keys in the order the request must keep (the API takes text and images interleaved
in any order, and the model reads them in that order).

The document is the one record of the message being written: whatever changes it
(typing, pasting, undo, a programmatic `setPlainText`), it is put right at once so
that only U+FFFC characters carry an image and each image appears once. Qt gives
text inserted by `setPlainText` the format at the cursor, which after an image is
that image's: without this, every character would become a copy of the image.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QImage, QKeyEvent, QTextCharFormat, QTextCursor, QTextDocument, QTextImageFormat
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

SEND_ON_ENTER = "enter"
SEND_ON_CTRL_ENTER = "ctrl+enter"
OBJECT_CHAR = "\ufffc"
# Copied composer text with images: a JSON list of strings and [key] items.
COMPOSER_MIME = (
    "application/x-grokdesk-composer"  # what QTextDocument.toPlainText() shows for an inline object
)
_SCHEME = "attach:"
# Height of an image inside the composer's text.
INLINE_HEIGHT = 40


class Composer(QTextEdit):
    """A multi-line editor. Enter sends and Shift+Enter breaks the line (or, with the
    ctrl+enter setting, Enter breaks the line); Ctrl+Enter always sends; Esc asks to
    stop a streaming reply; Up in an empty composer recalls the last sent message.

    `mime_handler`, when set, gets pasted or dropped mime data first and returns True
    when it took it (images, files); everything else is pasted as plain text.

    Signals:
        send_requested(): the user asked to send.
        stop_requested(): Esc was pressed.
        images_changed(): image objects were added, removed or moved in the text.
    """

    send_requested = Signal()
    stop_requested = Signal()
    images_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, send_key: str = SEND_ON_ENTER) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setAccessibleName("Message composer")
        self.setAcceptRichText(False)
        self.setPlaceholderText("Write a message… (Enter sends, Shift+Enter for a new line)")
        self.setTabChangesFocus(True)
        self.send_key = send_key
        self.last_sent = ""
        self.mime_handler: Callable[[QMimeData], bool] | None = None
        # Takes a paste too long to lay out here (it becomes a text attachment).
        self.large_text_handler: Callable[[str], None] | None = None
        self.is_large_text: Callable[[str], bool] = lambda _text: False
        self._image_keys: list[str] = []
        # The span changed since the document was last put right: [start, end).
        self._changed: tuple[int, int] | None = None
        self._normalizing = False
        self.document().contentsChange.connect(self._note_change)
        self.document().contentsChanged.connect(self._on_contents_changed)

    def set_send_key(self, send_key: str) -> None:
        self.send_key = send_key
        if send_key == SEND_ON_CTRL_ENTER:
            self.setPlaceholderText("Write a message… (Ctrl+Enter sends)")
        else:
            self.setPlaceholderText("Write a message… (Enter sends, Shift+Enter for a new line)")

    def setPlainText(self, text: str) -> None:
        # Qt formats the new text as the character at the cursor, which may be an image:
        # start from plain text instead of correcting it afterwards.
        self.setCurrentCharFormat(QTextCharFormat())
        super().setPlainText(text)

    def setText(self, text: str) -> None:
        self.setCurrentCharFormat(QTextCharFormat())
        super().setText(text)

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

    # -- pasting -------------------------------------------------------------------

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasImage() or source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if self.mime_handler is not None and self.mime_handler(source):
            return
        if source.hasText():
            text = source.text()
            if self.large_text_handler is not None and self.is_large_text(text):
                self.large_text_handler(text)
                return
            # Rich text from a web page or an editor is pasted as the text a person sees.
            self.insertPlainText(text)
        elif source.hasHtml():
            super().insertFromMimeData(source)  # acceptRichText is off: pasted as plain text

    # -- images in the text ---------------------------------------------------------

    def insert_image(self, key: str, image: QImage, cursor: QTextCursor | None = None) -> None:
        """Put image `key` at `cursor` (default: the text cursor), shown as `image`."""
        # Only the resource: `set_image` would look for `key` in the whole text, once per
        # image of a drop of twenty, before it is even there.
        self.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(_SCHEME + key), image)
        fmt = QTextImageFormat()
        fmt.setName(_SCHEME + key)
        fmt.setHeight(INLINE_HEIGHT)
        if not image.isNull() and image.height() > 0:
            fmt.setWidth(max(1, round(image.width() * INLINE_HEIGHT / image.height())))
        target = cursor if cursor is not None else self.textCursor()
        target.insertImage(fmt)
        if cursor is None:
            self.setTextCursor(target)

    def set_image(self, key: str, image: QImage) -> None:
        """Show `image` for `key` (a placeholder becomes the real thumbnail)."""
        self.set_images({key: image})

    def set_images(self, images: dict[str, QImage]) -> None:
        """`set_image` for several images in one edit (one layout, one change signal)."""
        for key, image in images.items():
            url = QUrl(_SCHEME + key)
            self.document().addResource(QTextDocument.ResourceType.ImageResource, url, image)
        cursor = QTextCursor(self.document())
        editing = False
        for position, found in self._image_positions():
            if found not in images:
                continue
            image = images[found]
            if not editing:
                cursor.beginEditBlock()
                editing = True
            cursor.setPosition(position)
            cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
            fmt = cursor.charFormat().toImageFormat()
            if not image.isNull() and image.height() > 0:
                fmt.setWidth(max(1, round(image.width() * INLINE_HEIGHT / image.height())))
            cursor.setCharFormat(fmt)
        if editing:
            cursor.endEditBlock()

    def remove_image(self, key: str) -> QTextCursor | None:
        """Take image `key` out of the text; returns a cursor where it was."""
        for position, found in reversed(self._image_positions()):
            if found == key:
                cursor = QTextCursor(self.document())
                cursor.setPosition(position)
                cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
                return cursor
        return None

    def image_keys(self) -> list[str]:
        """The keys of the images in the text, in text order, each once."""
        return list(dict.fromkeys(key for _, key in self._image_positions()))

    def set_image_order(self, keys: list[str]) -> None:
        """Put the images in the order `keys`, keeping the places they sit in the text."""
        positions = self._image_positions()
        if [key for _, key in positions] == keys or sorted(keys) != sorted(k for _, k in positions):
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        for (position, _), key in zip(positions, keys, strict=True):
            cursor.setPosition(position)
            cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
            fmt = cursor.charFormat().toImageFormat()
            fmt.setName(_SCHEME + key)
            image = self.document().resource(QTextDocument.ResourceType.ImageResource, QUrl(_SCHEME + key))
            if isinstance(image, QImage) and image.height() > 0:
                fmt.setWidth(max(1, round(image.width() * INLINE_HEIGHT / image.height())))
            cursor.setCharFormat(fmt)
        cursor.endEditBlock()

    def segments(self, start: int = 0, end: int | None = None) -> list[str | tuple[str]]:
        """The text in order (or its part from `start` to `end`): strings for text,
        `(key,)` for each image (once per image)."""
        stop = self.document().characterCount() if end is None else end
        out: list[str | tuple[str]] = []
        text: list[str] = []
        seen: set[str] = set()
        block = self.document().begin()
        while block.isValid():
            if block != self.document().begin() and start <= block.position() - 1 < stop:
                text.append("\n")
            iterator = block.begin()
            while not iterator.atEnd():
                fragment = iterator.fragment()
                first = max(start, fragment.position())
                last = min(stop, fragment.position() + fragment.length())
                if first < last:
                    piece = fragment.text()[first - fragment.position() : last - fragment.position()]
                    fmt = fragment.charFormat()
                    name = fmt.toImageFormat().name() if fmt.isImageFormat() else ""
                    if name.startswith(_SCHEME):
                        key = name.removeprefix(_SCHEME)
                        for char in piece:
                            if char != OBJECT_CHAR:
                                text.append(char)
                            elif key not in seen:
                                seen.add(key)
                                out.append("".join(text))
                                text = []
                                out.append((key,))
                    else:
                        text.append(piece)
                iterator += 1
            block = block.next()
        out.append("".join(text))
        return [s for s in out if s != ""]

    def createMimeDataFromSelection(self) -> QMimeData:
        """Copied or dragged text keeps its images (as keys the owner resolves on paste)."""
        rendered = super().createMimeDataFromSelection()
        cursor = self.textCursor()
        pieces = self.segments(cursor.selectionStart(), cursor.selectionEnd())
        if not any(isinstance(p, tuple) for p in pieces):
            return rendered
        # Qt's text mime data lists a fixed set of formats: copy them into a plain one.
        mime = QMimeData()
        for fmt in rendered.formats():
            mime.setData(fmt, rendered.data(fmt))
        encoded = [p if isinstance(p, str) else list(p) for p in pieces]
        mime.setData(COMPOSER_MIME, json.dumps(encoded).encode())
        return mime

    def text_without_images(self) -> str:
        return self.toPlainText().replace(OBJECT_CHAR, "")

    def _image_positions(self) -> list[tuple[int, str]]:
        """(position, key) of each image character, in text order."""
        if OBJECT_CHAR not in self.document().toRawText():
            return []
        return [(position, key) for position, key, char in self._image_chars() if char == OBJECT_CHAR]

    def _image_chars(self, start: int = 0, end: int | None = None) -> list[tuple[int, str, str]]:
        """(position, key, character) of every character formatted as an attached image
        in the blocks from `start` to `end`."""
        found: list[tuple[int, str, str]] = []
        document = self.document()
        block = document.findBlock(start) if start else document.begin()
        last = document.findBlock(end) if end is not None else document.lastBlock()
        while block.isValid():
            iterator = block.begin()
            while not iterator.atEnd():
                fragment = iterator.fragment()
                fmt = fragment.charFormat()
                if fmt.isImageFormat():
                    name = fmt.toImageFormat().name()
                    if name.startswith(_SCHEME):
                        key = name.removeprefix(_SCHEME)
                        found.extend(
                            (fragment.position() + i, key, char) for i, char in enumerate(fragment.text())
                        )
                iterator += 1
            if block == last:
                break
            block = block.next()
        return found

    def _note_change(self, position: int, _removed: int, added: int) -> None:
        if self._normalizing:
            return
        start, end = position, position + added
        if self._changed is not None:
            start, end = min(start, self._changed[0]), max(end, self._changed[1])
        self._changed = (start, end)

    def _normalize(self) -> None:
        """Only a U+FFFC character may carry an image, and each image appears once:
        other characters with an image's format become plain text again, and a second
        copy of an image is taken out."""
        changed, self._changed = self._changed, None
        if changed is None:
            return
        limit = self.document().characterCount() - 1
        start, end = min(changed[0], limit), min(changed[1], limit)
        in_change = self._image_chars(start, end)
        plain = [position for position, _, char in in_change if char != OBJECT_CHAR]
        duplicates: list[int] = []
        if any(char == OBJECT_CHAR for _, _, char in in_change):
            seen: set[str] = set()
            for position, key in self._image_positions():
                if key in seen:
                    duplicates.append(position)
                seen.add(key)
        if not plain and not duplicates:
            return
        self._normalizing = True
        try:
            cursor = QTextCursor(self.document())
            # Part of the edit that caused it: one undo step undoes both.
            cursor.joinPreviousEditBlock()
            for position in plain:
                cursor.setPosition(position)
                cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
                cursor.setCharFormat(QTextCharFormat())
            for position in reversed(duplicates):
                cursor.setPosition(position)
                cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
            cursor.endEditBlock()
            if self.currentCharFormat().isImageFormat() or plain:
                # What is typed next is text, whatever format the replaced text had.
                self.setCurrentCharFormat(QTextCharFormat())
        finally:
            self._normalizing = False

    def _on_contents_changed(self) -> None:
        if self._normalizing:
            return
        self._normalize()
        keys = self.image_keys()
        if keys != self._image_keys:
            self._image_keys = keys
            self.images_changed.emit()


class ComposerBox(QFrame):
    """One rounded box holding the attachments, the text and a tool row.

    The tool row reads, left to right: the leading tools (attach, the role menu), the
    tool buttons added with `add_tool_button` (search and other per-turn toggles), a
    stretch, and the send/stop pair at the right end, of which one shows at a time.
    """

    def __init__(self, composer: Composer, attachments: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerBox")
        self.composer = composer
        composer.setParent(self)
        column = QVBoxLayout(self)
        column.setContentsMargins(10, 8, 8, 6)
        column.setSpacing(4)
        column.addWidget(attachments)
        column.addWidget(composer)
        self._column = column
        self.tool_row = QHBoxLayout()
        self.tool_row.setSpacing(2)
        self.tool_row.setContentsMargins(0, 0, 0, 0)
        self._leading = QHBoxLayout()
        self._leading.setSpacing(2)
        self._tools = QHBoxLayout()
        self._tools.setSpacing(2)
        self._trailing = QHBoxLayout()
        self._trailing.setSpacing(6)
        self.tool_row.addLayout(self._leading)
        self.tool_row.addLayout(self._tools)
        self.tool_row.addStretch(1)
        self.tool_row.addLayout(self._trailing)
        column.addLayout(self.tool_row)
        composer.document().documentLayout().documentSizeChanged.connect(lambda _size: self._fit_height())
        self._fit_height()
        composer.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The box shows the focus of the text inside it (style sheets cannot ask).
        if watched is self.composer and event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.setProperty("focused", event.type() == QEvent.Type.FocusIn)
            self.style().unpolish(self)
            self.style().polish(self)
        return super().eventFilter(watched, event)

    def add_attachment_row(self, widget: QWidget) -> None:
        """Another row of attachments, above the text."""
        self._column.insertWidget(self._column.indexOf(self.composer), widget)

    def add_leading(self, widget: QWidget) -> None:
        """A tool at the left end of the row (attach, the role menu)."""
        self._leading.addWidget(widget)

    def add_tool_button(self, button: QAbstractButton) -> None:
        """A per-turn tool (e.g. a web search toggle), after the leading tools.

        A QToolButton is made flat to match the row; checkable buttons show their
        checked state with the accent colour."""
        if isinstance(button, QToolButton):
            button.setAutoRaise(True)
            button.setProperty("flat", True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._tools.addWidget(button)

    def add_trailing(self, widget: QWidget) -> None:
        """A control at the right end (the send and stop buttons)."""
        self._trailing.addWidget(widget)

    def _fit_height(self) -> None:
        """Grow with the text from two lines up to about eight, then scroll."""
        metrics = self.composer.fontMetrics()
        document = self.composer.document()
        content = round(document.size().height()) + 4
        low = metrics.lineSpacing() * 2 + 12
        high = metrics.lineSpacing() * 8 + 12
        self.composer.setFixedHeight(max(low, min(high, content)))
