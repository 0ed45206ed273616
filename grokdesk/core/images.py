"""Checking image attachments on their bytes before anything is sent.

Grok takes JPEG or PNG only, at most 10 MiB each (xAI's docs). The
format is judged by magic bytes, never by the name. Every refusal names the file
and the reason in plain words and may offer a `Fix` that the user can choose;
nothing is converted or scaled silently.

Pillow's own decompression-bomb check lives in `Image.open` and reports through
`warnings` (global, not thread-safe to silence). We open images through the
plugin factories directly, which read only the header, and apply our own pixel
limit before any pixel is decoded.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
import stat
from base64 import b64encode
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from grokdesk.core.conversation import ImageDetail, ImagePart

if TYPE_CHECKING:
    # Pillow is imported by the first image checked or decoded, not with this module:
    # requests and token budgets import it (for `data_url`) before the window's first paint.
    from PIL import Image, ImageFile

# 10 MiB in xAI's 2024-2025 docs and its SDK (20 MiB in the 2026 docs); the stricter value is safe.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Larger than any photo a phone takes, small enough to decode without exhausting memory.
MAX_PIXELS = 50_000_000
# 8000 px per side was the measured maximum on grok-2-vision (a third-party measurement).
MAX_SIDE = 8000
# scale_to_fit must decode the source; beyond this it would need gigabytes.
MAX_PIXELS_TO_SCALE = 4 * MAX_PIXELS

MIME_JPEG = "image/jpeg"
MIME_PNG = "image/png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
PNG_IEND = b"IEND\xaeB`\x82"

# Formats Pillow decodes natively and safely (no external programs such as
# Ghostscript for EPS): the only ones offered a conversion to PNG.
CONVERTIBLE_FORMATS = ("WEBP", "GIF", "BMP", "DIB", "TIFF", "AVIF", "ICO", "PPM", "QOI", "JPEG", "PNG")

_HEADER_BYTES = 64
_BMP_DIB_SIZES = {size.to_bytes(4, "little") for size in (12, 40, 52, 56, 64, 108, 124)}
_MIB = 1024 * 1024


class Fix(StrEnum):
    """A remedy the user may choose for a refused image."""

    CONVERT_TO_PNG = "convert_to_png"
    SCALE_DOWN = "scale_down"

    @property
    def label(self) -> str:
        return "Convert to PNG" if self is Fix.CONVERT_TO_PNG else "Scale down to fit"


class ImageRefused(Exception):
    """An image that cannot be sent; `str()` is a sentence naming the file."""

    def __init__(self, name: str, reason: str, fix: Fix | None = None) -> None:
        self.name = name
        self.reason = reason
        self.fix = fix
        super().__init__(f"{name} {reason}")

    def __reduce__(self) -> tuple[type[ImageRefused], tuple[str, str, Fix | None]]:
        # Made again from its three fields when it comes back from a child process
        # (the default would pass only the sentence).
        return (ImageRefused, (self.name, self.reason, self.fix))


@dataclass(frozen=True, slots=True)
class _Sniffed:
    mime: str | None  # set only for JPEG and PNG
    description: str  # "a WebP image", "a PDF document", ...


def format_size(size: int) -> str:
    """Bytes in the units people read: "14.2 MiB", "312 KiB", "18 bytes"."""
    if size >= 1024 * _MIB:
        return f"{size / (1024 * _MIB):.1f} GiB"
    if size >= _MIB:
        return f"{size / _MIB:.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size} byte" if size == 1 else f"{size} bytes"


_LIMIT_TEXT = format_size(MAX_IMAGE_BYTES).replace(".0 ", " ")


def sniff(header: bytes) -> _Sniffed:
    """What the first bytes of a file say it is."""
    if header.startswith(JPEG_SIGNATURE):
        return _Sniffed(MIME_JPEG, "a JPEG image")
    if header.startswith(PNG_SIGNATURE):
        return _Sniffed(MIME_PNG, "a PNG image")
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return _Sniffed(None, "a WebP image")
    if header[:6] in (b"GIF87a", b"GIF89a"):
        return _Sniffed(None, "a GIF image")
    if header[4:8] == b"ftyp":
        brand = header[8:12]
        if brand in (b"avif", b"avis"):
            return _Sniffed(None, "an AVIF image")
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return _Sniffed(None, "a HEIC/HEIF image")
        return _Sniffed(None, "a video or other media file")
    # "BM" plus a known DIB header size, so a text starting "BMW ..." is not a bitmap.
    if header[:2] == b"BM" and header[14:18] in _BMP_DIB_SIZES:
        return _Sniffed(None, "a BMP image")
    if header[:4] in (b"II*\x00", b"MM\x00*"):
        return _Sniffed(None, "a TIFF image")
    if header[:4] == b"\x00\x00\x01\x00":
        return _Sniffed(None, "an ICO icon")
    if header.startswith(b"%PDF-"):
        return _Sniffed(None, "a PDF document")
    if header[:8] == b"\x00\x00\x00\x0cjP  ":
        return _Sniffed(None, "a JPEG 2000 image")
    text = header.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in header.lower()):
        return _Sniffed(None, "an SVG drawing")
    if _looks_like_text(header):
        return _Sniffed(None, "a text file")
    return _Sniffed(None, "not a JPEG or PNG image")


def _looks_like_text(header: bytes) -> bool:
    try:
        decoded = header.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the header is still text.
        if error.start < len(header) - 3:
            return False
        decoded = header[: error.start].decode("utf-8")
    return bool(decoded) and all(ch.isprintable() or ch in "\t\r\n\f" for ch in decoded)


def check_image_file(path: Path, *, detail: ImageDetail = ImageDetail.AUTO) -> ImagePart:
    """Read and check one file; raises ImageRefused with a plain reason."""
    name = path.name or str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImageRefused(name, "no longer exists") from None
    except OSError as error:
        raise ImageRefused(name, f"cannot be read ({error.strerror or error})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageRefused(name, "is a folder, not an image file")
    if not stat.S_ISREG(info.st_mode):
        # Devices and pipes may never end (/dev/zero) or block forever (a FIFO).
        raise ImageRefused(name, "is not a regular file (a device, pipe or socket)")
    if not os.access(path, os.R_OK):
        raise ImageRefused(name, "cannot be read: permission denied")
    try:
        with path.open("rb") as stream:
            header = stream.read(_HEADER_BYTES)
            if info.st_size > MAX_IMAGE_BYTES and sniff(header).mime:
                raise _too_large(name, info.st_size)
            # Never more than limit + 1: a file that grows while read cannot hang us.
            data = header + stream.read(MAX_IMAGE_BYTES + 1 - len(header))
    except PermissionError:
        raise ImageRefused(name, "cannot be read: permission denied") from None
    except OSError as error:
        raise ImageRefused(name, f"cannot be read ({error.strerror or error})") from None
    return check_image_bytes(data, name, detail=detail, size=max(info.st_size, len(data)))


def check_image_bytes(
    data: bytes, name: str, *, detail: ImageDetail = ImageDetail.AUTO, size: int | None = None
) -> ImagePart:
    """Check image bytes (a drop of raw data, a paste, a file already read).

    `size` is the real size when `data` was cut at the limit while reading.
    """
    size = len(data) if size is None else size
    if size == 0:
        raise ImageRefused(name, "is empty (0 bytes)")
    sniffed = sniff(data[:_HEADER_BYTES])
    if sniffed.mime is None:
        fix = Fix.CONVERT_TO_PNG if size <= MAX_IMAGE_BYTES and _convertible(data) else None
        if sniffed.description.startswith("not "):
            raise ImageRefused(name, "is not a JPEG or PNG image; Grok accepts JPEG or PNG", fix)
        raise ImageRefused(name, f"is {sniffed.description}; Grok accepts JPEG or PNG", fix)
    if size > MAX_IMAGE_BYTES:
        raise _too_large(name, size)
    width, height = _decode_fully(data, name, sniffed)
    return ImagePart(
        sha256=hashlib.sha256(data).hexdigest(),
        mime=sniffed.mime,
        name=name,
        width=width,
        height=height,
        data=data,
        detail=detail,
    )


def _too_large(name: str, size: int) -> ImageRefused:
    if format_size(size) == format_size(MAX_IMAGE_BYTES):
        # "10.0 MiB; the limit is 10 MiB" would read like a mistake: give exact bytes.
        reason = f"is {size:,} bytes; the limit is {MAX_IMAGE_BYTES:,} bytes ({_LIMIT_TEXT})"
    else:
        reason = f"is {format_size(size)}; the limit is {_LIMIT_TEXT}"
    return ImageRefused(name, reason, Fix.SCALE_DOWN)


def _decode_fully(data: bytes, name: str, sniffed: _Sniffed) -> tuple[int, int]:
    kind = "JPEG" if sniffed.mime == MIME_JPEG else "PNG"
    damaged = ImageRefused(name, f"is a damaged or incomplete {kind} image and cannot be read")
    # Pillow stops quietly at a missing IEND; the server would not (400 "Invalid PNG image").
    if kind == "PNG" and PNG_IEND not in data:
        raise damaged
    # Likewise a JPEG cut inside its end marker: the pixels decode, the file is incomplete.
    if kind == "JPEG" and data.rfind(b"\xff\xd9") < max(0, data.find(b"\xff\xda")):
        raise damaged
    image = _open_header(data, (kind,))
    if image is None:
        raise damaged
    with image:
        width, height = image.size
        _check_dimensions(name, width, height)
        try:
            _load(image)
        except Exception:
            # Pillow raises many types on corrupt data (OSError, SyntaxError,
            # ValueError, struct.error, EOFError...); all mean the same to the user.
            raise damaged from None
    return width, height


def _check_dimensions(name: str, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageRefused(name, f"has no pixels ({width} x {height})")
    pixels = width * height
    fix = Fix.SCALE_DOWN if pixels <= MAX_PIXELS_TO_SCALE else None
    if pixels > MAX_PIXELS:
        megapixels = pixels / 1_000_000
        raise ImageRefused(
            name,
            f"is {width} x {height} pixels ({megapixels:.0f} megapixels); the limit is "
            f"{MAX_PIXELS // 1_000_000} megapixels",
            fix,
        )
    if max(width, height) > MAX_SIDE:
        raise ImageRefused(
            name, f"is {width} x {height} pixels; the limit is {MAX_SIDE} pixels per side", fix
        )


def _open_header(data: bytes, formats: tuple[str, ...]) -> ImageFile.ImageFile | None:
    """Open with the plugin factories, reading only the header (see module docstring)."""
    from PIL import Image  # see the imports above

    Image.init()
    prefix = data[:16]
    for fmt in formats:
        entry = Image.OPEN.get(fmt)
        if entry is None:
            continue
        factory, accept = entry
        try:
            if accept is not None and accept(prefix) is not True:
                continue
            return factory(io.BytesIO(data), "")
        except Exception:
            # Header parsing (even the prefix test) raises SyntaxError, struct.error,
            # ValueError, ... on junk: all mean "not this format".
            continue
    return None


def _load(image: Image.Image) -> None:
    # A full decode; with ImageFile.LOAD_TRUNCATED_IMAGES off (Pillow's default,
    # never changed in GrokDesk) truncated data fails here rather than at the server.
    image.load()


def _convertible(data: bytes) -> bool:
    image = _open_header(data, CONVERTIBLE_FORMATS)
    if image is None:
        return False
    with image:
        width, height = image.size
        return 0 < width * height <= MAX_PIXELS


def _decode_any(data: bytes, name: str, max_pixels: int) -> Image.Image:
    image = _open_header(data, CONVERTIBLE_FORMATS)
    if image is None:
        raise ImageRefused(name, "is not in an image format GrokDesk can convert")
    width, height = image.size
    if image.format == "JPEG" and width * height > max_pixels:
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale for free.
        factor = math.sqrt(max_pixels / (width * height))
        image.draft("RGB", (max(1, int(width * factor)), max(1, int(height * factor))))
        width, height = image.size
    if width * height > max_pixels or width <= 0 or height <= 0:
        image.close()
        raise ImageRefused(name, f"is {width} x {height} pixels, too large to convert safely")
    try:
        _load(image)
    except Exception:
        image.close()
        raise ImageRefused(name, "is damaged or incomplete and cannot be converted") from None
    return image


def _to_png_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
        return image
    if image.mode == "P" and "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode in ("P", "PA") or "A" in image.mode:
        return image.convert("RGBA")
    return image.convert("RGB")


def convert_to_png(data: bytes, name: str = "image") -> bytes:
    """The first frame of a decodable image as PNG (the user's explicit choice)."""
    with _decode_any(data, name, MAX_PIXELS) as image:
        out = io.BytesIO()
        _to_png_mode(image).save(out, "PNG")
        return out.getvalue()


def scale_to_fit(
    data: bytes, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_PIXELS, name: str = "image"
) -> bytes:
    """A smaller JPEG (for JPEG input) or PNG (otherwise) within both limits."""
    from PIL import Image  # see the imports above

    with _decode_any(data, name, MAX_PIXELS_TO_SCALE) as source:
        as_jpeg = source.format == "JPEG"
        image = source.convert("RGB") if as_jpeg else _to_png_mode(source)
        width, height = image.size
        factor = min(1.0, math.sqrt(max_pixels / (width * height)), MAX_SIDE / max(width, height))
        for _attempt in range(12):
            size = (max(1, int(width * factor)), max(1, int(height * factor)))
            scaled = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if as_jpeg:
                scaled.save(out, "JPEG", quality=88)
            else:
                scaled.save(out, "PNG", optimize=True)
            encoded = out.getvalue()
            if len(encoded) <= max_bytes:
                return encoded
            # Encoded size grows roughly with the pixel count; aim a little below.
            factor *= min(0.9, math.sqrt(max_bytes / len(encoded)) * 0.95)
    raise ImageRefused(name, f"cannot be scaled down below {format_size(max_bytes)}")


def apply_fix(fix: Fix, data: bytes, name: str = "image") -> bytes:
    """The bytes after the remedy the user chose; check them again before use."""
    if fix is Fix.CONVERT_TO_PNG:
        return convert_to_png(data, name)
    return scale_to_fit(data, name=name)


def data_url(part: ImagePart) -> str:
    """The `data:` URL the API takes in an `image_url` part."""
    return f"data:{part.mime};base64,{b64encode(part.data).decode('ascii')}"


def header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first bytes of a JPEG or PNG, without decoding."""
    image = _open_header(data, ("JPEG", "PNG"))
    if image is None:
        return None
    with image:
        return image.size


def data_url_size(url: str, prefix_chars: int = 87_384) -> tuple[int, int] | None:
    """Dimensions of a `data:` URL's image from its first ~64 KiB (the header)."""
    _, _, encoded = url.partition(",")
    head = encoded[: prefix_chars - prefix_chars % 4]
    try:
        size = header_size(base64.b64decode(head))
        if size is None and len(head) < len(encoded):
            # Large metadata (ICC profiles, XMP) can push a JPEG's frame header further.
            size = header_size(base64.b64decode(encoded))
    except ValueError:
        return None
    return size
