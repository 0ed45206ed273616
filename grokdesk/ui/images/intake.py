"""Image intake off the UI thread: reading, checking, thumbnailing and encoding.

Nothing here runs on the UI thread, so dropping twenty 9 MiB photos keeps the window
responsive. Files and image bytes are read, checked and thumbnailed in child
processes (`ui.childpool`): decoding a photo in a thread of this process held the
interpreter lock the UI thread needs, long enough to stall frames. Raw image data
from the clipboard (a QImage) and the thumbnails of images checked before are made in
`intake_executor()` threads, as is everything when no child process can be started.
QImage (not QPixmap) is safe to create and scale in a worker thread. The checks
themselves are `grokdesk.core.images`; this module only feeds them bytes and makes the
thumbnails the chips, the composer and the transcript show.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from abc import ABC, abstractmethod
from concurrent.futures import BrokenExecutor, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QSize, Qt, QUrl
from PySide6.QtGui import QImage, QImageReader

from grokdesk.core.conversation import ImageDetail, ImagePart
from grokdesk.core.images import (
    MAX_PIXELS_TO_SCALE,
    Fix,
    ImageRefused,
    apply_fix,
    check_image_bytes,
    check_image_file,
)
from grokdesk.ui.childpool import ChildPool, app_child_pool, spawn_pool

# The transcript's thumbnails are at most this big; chips and the composer scale these down.
THUMB_BOX = 160
# A refused file is read whole only when the user asks for a fix; beyond this a fix
# would need more memory than it is worth.
MAX_FIX_SOURCE_BYTES = 256 * 1024 * 1024
# The checks decode every pixel: leave one core to the UI thread (dropping
# twenty large photos must keep the window responsive). Not a lower thread priority: a
# worker preempted while it holds the GIL stalls the UI thread (priority inversion,
# measured with bench/bench_image_intake.py).
_WORKERS = max(1, min(4, (os.cpu_count() or 2) - 1))
# Child processes run at a lower priority than the UI (and hold no lock of ours), so
# they may use every core.
_PROCESSES = max(1, min(4, os.cpu_count() or 2))
_executor: ThreadPoolExecutor | None = None
POOL_NAME = "image intake"


def intake_executor() -> ThreadPoolExecutor:
    """The shared pool every tab's image work runs in."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="image-intake")
    return _executor


@dataclass(frozen=True, slots=True)
class ReadyImage:
    """A checked image and its thumbnail (at most THUMB_BOX pixels a side)."""

    part: ImagePart
    thumbnail: QImage


def make_thumbnail(data: bytes, box: int = THUMB_BOX) -> QImage:
    """A small QImage of JPEG or PNG bytes; JPEGs are decoded at reduced scale."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > box:
        size.scale(QSize(box, box), Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(size)
    image = reader.read()
    buffer.close()
    if image.isNull():
        return image
    if max(image.width(), image.height()) > box:
        image = image.scaled(
            box, box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image


def png_bytes(image: QImage) -> bytes:
    """Raw image data (a paste, a drop from a browser) encoded as PNG."""
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # The stubs type the format as bytes, but PySide6 6.11 refuses bytes here at run time.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(array.data())


# -- sources: what the user gave us, and how to read it in a worker ---------------------------


@dataclass(frozen=True)
class ImageSource(ABC):
    """Something to attach. `name` is what messages call it."""

    name: str

    @property
    def portable(self) -> bool:
        """Whether a child process can read it (it pickles, and reading it is work)."""
        return True

    @property
    def bytes_here_possible(self) -> bool:
        """Whether `bytes_here` may answer (so a child does not send the bytes back)."""
        return False

    def bytes_here(self, size: int, sha256: str) -> bytes | None:
        """The checked bytes (`size` long, this SHA-256) got again in this process, so a
        child need not send them back; None when they cannot be (then it sends them)."""
        return None

    @abstractmethod
    def check(self, detail: ImageDetail) -> ImagePart:
        """The checked image, or ImageRefused."""

    @abstractmethod
    def raw_bytes(self) -> bytes:
        """All the bytes, for a fix the user chose (convert, scale down)."""


@dataclass(frozen=True)
class FileSource(ImageSource):
    path: Path

    def check(self, detail: ImageDetail) -> ImagePart:
        return check_image_file(self.path, detail=detail)

    @property
    def bytes_here_possible(self) -> bool:
        return True

    def bytes_here(self, size: int, sha256: str) -> bytes | None:
        # Read unbuffered, in one call: the kernel fills the new bytes with the interpreter
        # lock released, where unpickling them from a child copied them with it held.
        try:
            with self.path.open("rb", buffering=0) as stream:
                data = stream.read(size + 1)
        except OSError:
            return None
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            return None  # changed since it was checked
        return data

    def raw_bytes(self) -> bytes:
        info = self.path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ImageRefused(self.name, "is not a regular file")
        with self.path.open("rb") as stream:
            data = stream.read(MAX_FIX_SOURCE_BYTES + 1)
        if len(data) > MAX_FIX_SOURCE_BYTES:
            raise ImageRefused(self.name, "is too large to convert")
        return data


@dataclass(frozen=True)
class BytesSource(ImageSource):
    data: bytes

    def check(self, detail: ImageDetail) -> ImagePart:
        return check_image_bytes(self.data, self.name, detail=detail)

    @property
    def bytes_here_possible(self) -> bool:
        return True

    def bytes_here(self, size: int, sha256: str) -> bytes | None:
        return self.data if len(self.data) == size else None  # checked as they are

    def raw_bytes(self) -> bytes:
        return self.data


@dataclass(frozen=True)
class QImageSource(ImageSource):
    """Raw image data from a paste or a drop; sent as PNG."""

    image: QImage

    @property
    def portable(self) -> bool:
        return False  # a QImage does not pickle

    def check(self, detail: ImageDetail) -> ImagePart:
        pixels = self.image.width() * self.image.height()
        if pixels > MAX_PIXELS_TO_SCALE:
            raise ImageRefused(
                self.name, f"is {self.image.width()} x {self.image.height()} pixels, too large"
            )
        return check_image_bytes(png_bytes(self.image), self.name, detail=detail)

    def raw_bytes(self) -> bytes:
        return png_bytes(self.image)


@dataclass(frozen=True)
class CheckedSource(ImageSource):
    """An image checked before (a restored draft): only the thumbnail is left to make."""

    part: ImagePart

    @property
    def portable(self) -> bool:
        return False  # only a thumbnail to make: not worth sending the bytes to a child

    def check(self, detail: ImageDetail) -> ImagePart:
        return self.part

    def raw_bytes(self) -> bytes:
        return self.part.data


@dataclass(frozen=True)
class FixedSource(ImageSource):
    """`original` after the fix the user chose; checked again like any other image."""

    original: ImageSource
    fix: Fix

    @property
    def portable(self) -> bool:
        return self.original.portable

    def check(self, detail: ImageDetail) -> ImagePart:
        fixed = apply_fix(self.fix, self.original.raw_bytes(), self.original.name)
        return check_image_bytes(fixed, self.name, detail=detail)

    def raw_bytes(self) -> bytes:
        return apply_fix(self.fix, self.original.raw_bytes(), self.original.name)


def fixed(source: ImageSource, fix: Fix) -> FixedSource:
    """The source after `fix`, named after what it becomes ("holiday.webp" -> "holiday.png")."""
    name = source.name
    if fix is Fix.CONVERT_TO_PNG:
        name = str(Path(name).with_suffix(".png")) if Path(name).suffix else name + ".png"
    return FixedSource(name, source, fix)


def read_source(source: ImageSource, detail: ImageDetail) -> ReadyImage:
    """Check and thumbnail one source (in a worker); raises ImageRefused."""
    part = source.check(detail)
    if part.detail is not detail and not isinstance(source, CheckedSource):
        part = replace(part, detail=detail)
    return ReadyImage(part, make_thumbnail(part.data))


@dataclass(frozen=True, slots=True)
class _Pixels:
    """A QImage as plain data, to come back from a child process."""

    width: int
    height: int
    bytes_per_line: int
    format: int
    data: bytes

    @staticmethod
    def of(image: QImage) -> _Pixels:
        if image.isNull():
            return _Pixels(0, 0, 0, 0, b"")
        return _Pixels(
            image.width(),
            image.height(),
            image.bytesPerLine(),
            image.format().value,
            bytes(image.constBits()),
        )

    def image(self) -> QImage:
        if not self.width:
            return QImage()
        view = QImage(self.data, self.width, self.height, self.bytes_per_line, QImage.Format(self.format))
        return view.copy()  # its own pixels: `view` points into `data`


@dataclass(frozen=True, slots=True)
class _FromChild:
    """What a child sends back: the checked image, without its bytes when this process
    can get them again (`ImageSource.bytes_here`), and the thumbnail as plain data.

    A 9 MiB photo unpickled in this process is copied into new memory by the pool's
    result thread while it holds the interpreter lock: each one stalled the UI thread."""

    part: ImagePart
    size: int
    bytes_sent: bool
    thumbnail: _Pixels


def _read_in_child(source: ImageSource, detail: ImageDetail) -> _FromChild:
    """`read_source` in a child process."""
    ready = read_source(source, detail)
    part, size = ready.part, ready.part.size
    bytes_sent = not source.bytes_here_possible
    if not bytes_sent:
        part = replace(part, data=b"")
    return _FromChild(part, size, bytes_sent, _Pixels.of(ready.thumbnail))


def _with_bytes(source: ImageSource, detail: ImageDetail, sent: _FromChild) -> ReadyImage:
    """The child's image with its bytes got here (in a worker thread); checked again
    here when they changed since the child read them."""
    if sent.bytes_sent:
        return ReadyImage(sent.part, sent.thumbnail.image())
    data = source.bytes_here(sent.size, sent.part.sha256)
    if data is None:
        return read_source(source, detail)
    return ReadyImage(replace(sent.part, data=data), sent.thumbnail.image())


def intake_processes() -> ChildPool:
    """The application's image-reading child processes (started on first use)."""
    return app_child_pool(POOL_NAME, spawn_pool(_PROCESSES))


async def read_image(source: ImageSource, detail: ImageDetail, pool: ChildPool | None = None) -> ReadyImage:
    """Check and thumbnail one source off the UI thread: in a child process when it
    is worth one and one can be started, else in a thread. Raises ImageRefused."""
    loop = asyncio.get_running_loop()
    if source.portable:
        pool = pool or intake_processes()
        future: Future[_FromChild] | None = None
        try:
            # Submitted from a thread: the first submissions start the children.
            future = await loop.run_in_executor(
                intake_executor(), pool.submit, _read_in_child, source, detail
            )
        except (OSError, RuntimeError, BrokenExecutor) as error:
            pool.give_up(error)
        if future is not None:
            try:
                sent = await asyncio.wrap_future(future)
            except BrokenExecutor as error:  # BrokenProcessPool: a child died (or could not start)
                pool.give_up(error)
            else:
                return await loop.run_in_executor(intake_executor(), _with_bytes, source, detail, sent)
    return await loop.run_in_executor(intake_executor(), read_source, source, detail)


# -- mime data: drops and pastes -----------------------------------------------------------------


@dataclass
class MimeImages:
    """What a drop or paste holds: local files, raw images, and web addresses refused."""

    sources: list[ImageSource]
    refused: list[ImageRefused]

    def __bool__(self) -> bool:
        return bool(self.sources or self.refused)


_RAW_MIME = (("image/png", ".png"), ("image/jpeg", ".jpg"))


def images_in_mime(mime: QMimeData, raw_name: str = "pasted image") -> MimeImages:
    """Local file URLs first; else raw image bytes or image data; web URLs are refused.

    Only reads what the mime data holds (no file I/O): cheap on the UI thread."""
    sources: list[ImageSource] = []
    refused: list[ImageRefused] = []
    web: list[QUrl] = []
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                sources.append(FileSource(path.name or str(path), path))
            elif url.scheme() in ("http", "https"):
                web.append(url)
    if not sources:
        for fmt, suffix in _RAW_MIME:
            if mime.hasFormat(fmt):
                data = bytes(mime.data(fmt).data())
                if data:
                    sources.append(BytesSource(raw_name + suffix, data))
                    break
    if not sources and mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            # A copy: the mime data (the clipboard) may change while a worker reads it.
            sources.append(QImageSource(raw_name + ".png", image.copy()))
    if not sources:
        refused = [ImageRefused(_url_name(url), _WEB_REASON) for url in web]
    return MimeImages(sources, refused)


_WEB_REASON = "was dragged from the web; save it and drop the file instead"


def _url_name(url: QUrl) -> str:
    parts = urlsplit(url.toString())
    name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return name or parts.netloc or url.toString()


def has_attachable(mime: QMimeData) -> bool:
    """Whether a drag may be accepted (files, image data, or web addresses to explain)."""
    return mime.hasUrls() or mime.hasImage() or any(mime.hasFormat(fmt) for fmt, _ in _RAW_MIME)
