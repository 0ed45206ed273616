"""Attaching images to one conversation tab: intake, chips, notices, sending.

The composer's text holds the images in place (ui.composer); this object keeps
what each image is (its checked bytes, thumbnail and detail level), keeps the
strip's chips in the composer's order, explains every refusal with the fix the
user may choose, and warns when the tab's model does not take images. All the
reading and checking runs off the UI thread (`intake.read_image`: child processes,
or threads). Images read at about the same time are shown together, in one edit of
the composer and one update of the strip. Thumbnails and the larger view in the
transcript are ui.transcriptimages.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QColor, QDropEvent, QImage, QTextCursor
from PySide6.QtWidgets import QFileDialog, QWidget

from grokdesk.core.conversation import ImageDetail, ImagePart, Message, Part, TextPart, new_id
from grokdesk.core.images import ImageRefused
from grokdesk.core.models import ModelInfo
from grokdesk.ui.asynctasks import spawn
from grokdesk.ui.chat.composer import COMPOSER_MIME, INLINE_HEIGHT, OBJECT_CHAR, Composer
from grokdesk.ui.images.attachments import CHIP_MIME, AttachmentStrip, NoticeArea
from grokdesk.ui.images.transcriptimages import ThumbnailView, TranscriptImages
from grokdesk.ui.images.viewer import ImageViewer

if TYPE_CHECKING:
    # The intake (its image sources and readers: ~10 ms of dataclasses and Qt classes) is
    # imported when the first image arrives, not before the window's first paint.
    from grokdesk.ui.images.intake import ImageSource, ReadyImage

log = logging.getLogger("grokdesk.ui.chat.imageattach")

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.PNG *.JPG *.JPEG);;All files (*)"
MODEL_NOTICE = "model"
PENDING_NOTICE = "pending"
# Images read within this long of each other are shown in one update of the composer
# and the strip (each update lays both out again); short enough not to be seen.
SHOW_BATCH_MS = 30


def pick_image_files(parent: QWidget) -> list[str]:
    """The file dialog behind the "Attach images…" button."""
    paths, _ = QFileDialog.getOpenFileNames(parent, "Attach images", "", IMAGE_FILTER)
    return paths


@dataclass
class _Attachment:
    source: ImageSource
    detail: ImageDetail
    part: ImagePart | None = None
    thumbnail: QImage | None = None


class ImageAttachments(QObject):
    """The images of the message being written. It never changes the conversation:
    `messages` and `current_model` read it, `model_choices` lists the picker's model
    ids in order, and a switch of model is asked for with a signal.

    Signals:
    attached(str): one image is checked and shown (its chip key).
    intake_finished(): nothing is being read any more.
    model_switch_requested(str): the user chose to switch to this model, which takes images.
    """

    attached = Signal(str)
    intake_finished = Signal()
    model_switch_requested = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        *,
        composer: Composer,
        strip: AttachmentStrip,
        notices: NoticeArea,
        transcript: ThumbnailView,
        messages: Callable[[], Sequence[Message]],
        current_model: Callable[[], str],
        model_choices: Callable[[], list[str]],
        model_info: Callable[[str], ModelInfo | None],
    ) -> None:
        super().__init__(parent)
        self._parent = parent  # the file dialog's parent
        self._current_model = current_model
        self._model_choices = model_choices
        self._composer = composer
        self._strip = strip
        self._notices = notices
        self._model_info = model_info
        self.default_detail = ImageDetail.AUTO
        self.file_picker: Callable[[QWidget], list[str]] = pick_image_files
        self._items: dict[str, _Attachment] = {}
        self._pending: set[str] = set()
        # Read and checked, waiting for the next batch to be shown.
        self._arrived: dict[str, tuple[_Attachment, ReadyImage]] = {}
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(SHOW_BATCH_MS)
        self._show_timer.timeout.connect(self._show_arrived)
        self.shown = TranscriptImages(parent, transcript, messages)
        self._drop_filter = _DropFilter(self)
        composer.mime_handler = self.paste
        composer.images_changed.connect(self._on_images_changed)
        strip.remove_requested.connect(self.remove)
        strip.detail_changed.connect(self._on_detail_changed)
        strip.order_changed.connect(composer.set_image_order)
        strip.view_requested.connect(lambda key: self.shown.open_viewer_for(self._part(key)))

    # -- getting images in ---------------------------------------------------------

    def accept_drops_on(self, *widgets: QWidget) -> None:
        """Files and image data dropped on these widgets attach to the message."""
        for widget in widgets:
            widget.setAcceptDrops(True)
            widget.installEventFilter(self._drop_filter)

    def attach_paths(self, paths: Iterable[str | Path]) -> asyncio.Task[None]:
        from grokdesk.ui.images.intake import FileSource

        sources: list[ImageSource] = []
        for path in map(Path, paths):
            sources.append(FileSource(path.name or str(path), path))
        return self.attach(sources)

    def choose_files(self) -> asyncio.Task[None] | None:
        paths = self.file_picker(self._parent)
        return self.attach_paths(paths) if paths else None

    def paste(self, mime: QMimeData) -> bool:
        """Ctrl+V in the composer: images and copied files attach, text stays text."""
        if mime.hasFormat(COMPOSER_MIME):
            return self._paste_composer_text(bytes(mime.data(COMPOSER_MIME).data()))
        from grokdesk.ui.images.intake import images_in_mime

        found = images_in_mime(mime, "pasted image")
        if not found.sources:
            return False
        self.attach(found.sources)
        return True

    def _paste_composer_text(self, encoded: bytes) -> bool:
        """Text with images copied (or dragged) inside a composer: a copy of an image
        still in the message becomes an attachment of its own."""
        try:
            pieces = json.loads(encoded)
        except ValueError:
            return False
        cursor = self._composer.textCursor()
        present = set(self._composer.image_keys())
        to_read = []
        for piece in pieces if isinstance(pieces, list) else []:
            if isinstance(piece, str):
                cursor.insertText(piece)
                continue
            key = str(piece[0]) if isinstance(piece, list) and piece else ""
            item = self._items.get(key)
            if item is None:
                continue  # an image of another tab's message: its bytes are not here
            if key in present:
                key = new_id()[:16]
                item = _Attachment(item.source, item.detail, item.part, item.thumbnail)
                self._items[key] = item
                if item.part is None:
                    self._pending.add(key)
                    to_read.append(key)
            self._composer.insert_image(key, item.thumbnail or _placeholder(), cursor)
        self._composer.setTextCursor(cursor)
        if to_read:
            spawn(self._read_all(to_read), name="image-intake")
        return True

    def drop(self, mime: QMimeData, cursor: QTextCursor | None = None) -> bool:
        from grokdesk.ui.images.intake import images_in_mime

        found = images_in_mime(mime, "dropped image")
        if not found:
            return False
        for refusal in found.refused:
            self._show_refusal(refusal, None, None)
        if found.sources:
            self.attach(found.sources, cursor)
            if cursor is not None:
                # As with dropped text, typing goes on after what was dropped.
                self._composer.setTextCursor(cursor)
        return True

    def attach(self, sources: list[ImageSource], cursor: QTextCursor | None = None) -> asyncio.Task[None]:
        """Place each source in the composer now (a placeholder) and read them in the pool;
        chips appear as each one is ready. The task ends when all are read."""
        keys = []
        # One edit: the composer puts its text right and the strip follows once, not
        # once per image of a drop of twenty.
        edit = QTextCursor(self._composer.document())
        edit.beginEditBlock()
        for source in sources:
            key = new_id()[:16]
            self._items[key] = _Attachment(source, self.default_detail)
            self._pending.add(key)
            self._composer.insert_image(key, _placeholder(), cursor)
            keys.append(key)
        edit.endEditBlock()
        self.check_model()
        return spawn(self._read_all(keys), name="image-intake")

    async def _read_all(self, keys: list[str]) -> None:
        await asyncio.gather(*(self._read(key) for key in keys))
        self._show_arrived()
        if not self._pending:
            self._notices.remove(PENDING_NOTICE)
            self.intake_finished.emit()

    async def _read(self, key: str) -> None:
        item = self._items.get(key)
        if item is None:
            return
        from grokdesk.ui.images.intake import read_image

        try:
            ready = await read_image(item.source, item.detail)
        except ImageRefused as refusal:
            self._pending.discard(key)
            self._items.pop(key, None)
            where = self._composer.remove_image(key)
            self._show_refusal(refusal, item.source, where)
            return
        except Exception as error:  # a bug or an OS oddity must not lose the others
            log.warning("reading %s failed: %s", item.source.name, type(error).__name__)
            self._pending.discard(key)
            self._items.pop(key, None)
            where = self._composer.remove_image(key)
            self._show_refusal(ImageRefused(item.source.name, "could not be read"), None, where)
            return
        self._arrived[key] = (item, ready)
        if not self._show_timer.isActive():
            self._show_timer.start()

    def _show_arrived(self) -> None:
        """Show the images read since the last batch: their thumbnails in the composer
        and their chips."""
        self._show_timer.stop()
        arrived, self._arrived = self._arrived, {}
        shown: dict[str, QImage] = {}
        for key, (item, ready) in arrived.items():
            self._pending.discard(key)
            if self._items.get(key) is not item:
                continue  # the message was sent or cleared meanwhile
            item.part = ready.part
            item.thumbnail = ready.thumbnail
            shown[key] = ready.thumbnail
        if not shown:
            return
        self._composer.set_images(shown)
        self._sync_chips()
        for key in shown:
            self.attached.emit(key)

    def _show_refusal(
        self, refusal: ImageRefused, source: ImageSource | None, where: QTextCursor | None
    ) -> None:
        notice = self._notices.add(str(refusal))
        fix = refusal.fix
        if fix is not None and source is not None:
            from grokdesk.ui.images.intake import fixed

            notice.add_action(fix.label, lambda: self.attach([fixed(source, fix)], self._valid(where)))

    def _valid(self, cursor: QTextCursor | None) -> QTextCursor | None:
        if cursor is None or cursor.isNull() or cursor.document() is not self._composer.document():
            return None
        if cursor.position() > self._composer.document().characterCount() - 1:
            return None
        return QTextCursor(cursor)

    # -- the chips ---------------------------------------------------------------------

    def keys(self) -> list[str]:
        """Attached images in message order (ready or still being read)."""
        return [k for k in self._composer.image_keys() if k in self._items]

    def parts(self) -> list[ImagePart]:
        """The checked images in message order, with their chosen detail."""
        return [p for p in (self._part(k) for k in self.keys()) if p is not None]

    @property
    def pending(self) -> int:
        return len([k for k in self.keys() if k in self._pending])

    def remove(self, key: str) -> None:
        self._composer.remove_image(key)

    def _part(self, key: str) -> ImagePart | None:
        item = self._items.get(key)
        if item is None or item.part is None:
            return None
        return item.part if item.part.detail is item.detail else replace(item.part, detail=item.detail)

    def _sync_chips(self) -> None:
        entries = []
        for key in self.keys():
            item = self._items[key]
            if item.part is not None and item.thumbnail is not None:
                entries.append((key, self._part(key) or item.part, item.thumbnail))
        self._strip.show_chips(entries)

    def _on_images_changed(self) -> None:
        self._sync_chips()
        if not self.keys():
            self._notices.remove(MODEL_NOTICE)
            self._notices.remove(PENDING_NOTICE)

    def _on_detail_changed(self, key: str, level: str) -> None:
        item = self._items.get(key)
        if item is not None:
            item.detail = ImageDetail(level)

    def set_default_detail(self, level: str) -> None:
        self.default_detail = ImageDetail(level)

    # -- the message ------------------------------------------------------------------

    def composed_parts(self) -> list[Part]:
        """Text and images in the order the composer shows them."""
        segments = self._composer.segments()
        if not any(isinstance(s, tuple) for s in segments):
            text = self._composer.toPlainText()
            return [TextPart(text)] if text.strip() else []
        parts: list[Part] = []
        for segment in segments:
            if isinstance(segment, tuple):
                part = self._part(segment[0])
                if part is not None:
                    parts.append(part)
            elif segment.strip():
                parts.append(TextPart(_trim(segment)))
        return parts

    def ready_to_send(self) -> bool:
        """False (and the user told why) while images are read or the model takes none."""
        pending = self.pending
        if pending:
            images = "image is" if pending == 1 else "images are"
            self._notices.add(f"Wait a moment: {pending} {images} still being read.", key=PENDING_NOTICE)
            return False
        return self.check_model()

    def check_model(self) -> bool:
        """Warn (with a one-click switch) when images are attached to a text-only model."""
        model = self._current_model()
        info = self._model_info(model) if model else None
        if not self.keys() or info is None or info.takes_images:
            self._notices.remove(MODEL_NOTICE)
            return True
        target = self.image_model()
        advice = f" Switch to {target}, or remove the images." if target else " Remove the images to send."
        notice = self._notices.add(f"{model} does not take images.{advice}", key=MODEL_NOTICE)
        if target:
            button = notice.add_action(
                f"Switch to {target}", lambda: self.model_switch_requested.emit(target)
            )
            button.setObjectName("switchModelButton")
        return False

    def image_model(self) -> str | None:
        """The first model in the tab's picker that takes images."""
        for model_id in self._model_choices():
            info = self._model_info(model_id) if model_id else None
            if info is not None and info.takes_images:
                return model_id
        return None

    def before_send(self) -> None:
        """The transcript can show the images of the message about to be added."""
        for key in self.keys():
            item = self._items[key]
            if item.part is not None and item.thumbnail is not None:
                self.shown.register(item.part.sha256, item.thumbnail)

    def clear(self) -> None:
        """Forget every attachment and notice (the message was sent or the draft replaced)."""
        self._items.clear()
        self._pending.clear()
        self._arrived.clear()
        self._notices.clear()
        self._sync_chips()

    # -- drafts ---------------------------------------------------------------------------

    def draft_text(self) -> str:
        """The composer's text with one U+FFFC per image in `parts()`, in place."""
        out = []
        for segment in self._composer.segments():
            if isinstance(segment, tuple):
                if self._part(segment[0]) is not None:
                    out.append(OBJECT_CHAR)
            else:
                out.append(segment)
        return "".join(out)

    def restore(self, text: str, attachments: list[ImagePart]) -> asyncio.Task[None] | None:
        """Put a saved draft back: each U+FFFC in `text` is the next image."""
        self._composer.clear()
        self.clear()
        pieces = text.split(OBJECT_CHAR)
        cursor = QTextCursor(self._composer.document())
        keys: list[str] = []
        for index, piece in enumerate(pieces):
            cursor.insertText(piece)
            if index < len(pieces) - 1 and len(keys) < len(attachments):
                keys.append(self._place(attachments[len(keys)], cursor))
        for part in attachments[len(keys) :]:
            keys.append(self._place(part, cursor))
        self._composer.moveCursor(QTextCursor.MoveOperation.End)
        if not keys:
            return None
        self.check_model()
        return spawn(self._read_all(keys), name="restore-draft-images")

    def _place(self, part: ImagePart, cursor: QTextCursor) -> str:
        from grokdesk.ui.images.intake import CheckedSource

        key = new_id()[:16]
        self._items[key] = _Attachment(CheckedSource(part.name, part), part.detail, part=part)
        self._pending.add(key)
        self._composer.insert_image(key, _placeholder(), cursor)
        return key

    # -- the transcript ------------------------------------------------------------------

    def ensure_thumbnails(self, messages: Iterable[Message]) -> asyncio.Task[None] | None:
        return self.shown.ensure(messages)

    def open_viewer(self, sha256: str) -> ImageViewer | None:
        return self.shown.open_viewer(sha256)

    @property
    def viewers(self) -> list[ImageViewer]:
        return self.shown.viewers


class _DropFilter(QObject):
    """Catches drags of files or image data on the widgets of a tab."""

    def __init__(self, owner: ImageAttachments) -> None:
        super().__init__(owner)
        self._owner = owner

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        assert isinstance(event, QDropEvent)
        mime = event.mimeData()
        from grokdesk.ui.images.intake import has_attachable

        if mime is None or mime.hasFormat(CHIP_MIME) or not has_attachable(mime):
            return False
        if kind != QEvent.Type.Drop:
            event.acceptProposedAction()
            return True
        cursor = None
        composer = self._owner._composer
        if watched is composer.viewport():
            cursor = composer.cursorForPosition(event.position().toPoint())
        if self._owner.drop(mime, cursor):
            event.acceptProposedAction()
            return True
        return False


def _trim(text: str) -> str:
    """Text beside an image without the spaces and line breaks that only separate it
    from the image; the indentation of a first full line (code) is kept."""
    head = text.lstrip(" \t")
    if head.startswith(("\n", "\r")):
        head = head.lstrip("\r\n")
    return head.rstrip()


_PLACEHOLDER: list[QImage] = []


def _placeholder() -> QImage:
    """What the composer shows while an image is read (one image, shared)."""
    if not _PLACEHOLDER:
        image = QImage(INLINE_HEIGHT, INLINE_HEIGHT, QImage.Format.Format_ARGB32)
        image.fill(QColor(128, 128, 128, 80))
        _PLACEHOLDER.append(image)
    return _PLACEHOLDER[0]
