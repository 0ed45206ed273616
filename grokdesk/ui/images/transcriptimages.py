"""Images in the transcript: thumbnails made off the UI thread, a larger view on click.

Messages loaded from the store (or imported) arrive without thumbnails; they are
made in the intake pool and the messages showing them are re-rendered when ready.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from PySide6.QtCore import QObject
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from grokdesk.core.conversation import ImagePart, Message
from grokdesk.ui.asynctasks import spawn
from grokdesk.ui.images.viewer import ImageViewer


class ThumbnailView(Protocol):
    """What this needs of the transcript: somewhere to put thumbnails, and a redraw."""

    def set_thumbnail(self, sha256: str, image: QImage) -> None: ...

    def message_changed(self, message: Message) -> None: ...


class TranscriptImages(QObject):
    """The thumbnails one tab's transcript can show, and the viewers it opened.

    ``messages`` returns the conversation's messages as shown now (newest last),
    where an image clicked in the transcript is looked up.
    """

    def __init__(
        self, parent: QWidget, transcript: ThumbnailView, messages: Callable[[], Sequence[Message]]
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._transcript = transcript
        self._messages = messages
        self._known: set[str] = set()  # sha256 of images the transcript can show (or soon)
        self.viewers: list[ImageViewer] = []
        # Buttons every viewer offers: (label, object name, what it does with the image).
        self.actions: list[tuple[str, str, Callable[[ImagePart], object]]] = []

    def register(self, sha256: str, thumbnail: QImage) -> None:
        """A thumbnail made already (the composer's, for a message about to be sent)."""
        self._transcript.set_thumbnail(sha256, thumbnail)
        self._known.add(sha256)

    def ensure(self, messages: Iterable[Message]) -> asyncio.Task[None] | None:
        """Make the thumbnails these messages lack, then re-render the messages."""
        shown = list(messages)
        missing: dict[str, ImagePart] = {}
        for message in shown:
            for part in message.images:
                if part.sha256 not in self._known:
                    missing[part.sha256] = part
        if not missing:
            return None
        self._known.update(missing)
        return spawn(self._make(missing, shown), name="transcript-thumbnails")

    async def _make(self, missing: dict[str, ImagePart], messages: list[Message]) -> None:
        from grokdesk.ui.images.intake import intake_executor, make_thumbnail

        loop = asyncio.get_running_loop()
        images = await asyncio.gather(
            *(loop.run_in_executor(intake_executor(), make_thumbnail, p.data) for p in missing.values())
        )
        transcript = self._transcript
        for sha, image in zip(missing, images, strict=True):
            transcript.set_thumbnail(sha, image)
        for message in messages:
            if any(p.sha256 in missing for p in message.images):
                transcript.message_changed(message)

    def open_viewer(self, sha256: str) -> ImageViewer | None:
        """A larger view of the image with this hash (a transcript thumbnail clicked)."""
        return self.open_viewer_for(self._find(sha256))

    def open_viewer_for(self, part: ImagePart | None) -> ImageViewer | None:
        if part is None:
            return None
        viewer = ImageViewer(part, self._parent)
        for label, name, run in self.actions:
            viewer.add_action(label, name, run)
        self.viewers.append(viewer)
        # Closed viewers delete themselves; forget them first (their wrappers go stale).
        viewer.finished.connect(lambda _result, v=viewer: self._forget(v))
        viewer.show()
        spawn(self._decode_for(viewer, part.data), name="image-viewer")
        return viewer

    def _forget(self, viewer: ImageViewer) -> None:
        self.viewers = [v for v in self.viewers if v is not viewer]

    async def _decode_for(self, viewer: ImageViewer, data: bytes) -> None:
        from grokdesk.ui.images.intake import intake_executor

        loop = asyncio.get_running_loop()
        image = await loop.run_in_executor(intake_executor(), QImage.fromData, data)
        if any(v is viewer for v in self.viewers):
            viewer.set_image(image)

    def _find(self, sha256: str) -> ImagePart | None:
        for message in reversed(self._messages()):
            for part in message.images:
                if part.sha256 == sha256:
                    return part
        return None
