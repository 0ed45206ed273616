"""Image checks on real images made with Pillow: every kind of bad input is refused
with a sentence naming the file, and good images come back ready to send."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from grokdesk.core.conversation import ImageDetail
from grokdesk.core.images import (
    MAX_IMAGE_BYTES,
    MAX_PIXELS,
    MAX_SIDE,
    Fix,
    ImageRefused,
    apply_fix,
    check_image_bytes,
    check_image_file,
    convert_to_png,
    data_url,
    data_url_size,
    format_size,
    header_size,
    scale_to_fit,
)


def encode(fmt: str, size: tuple[int, int] = (40, 30), mode: str = "RGB", **options: object) -> bytes:
    image = Image.new(mode, size, "teal" if mode != "1" else 1)
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def noise(fmt: str, size: tuple[int, int], **options: object) -> bytes:
    # Seeded, so every run checks the same bytes.
    image = Image.frombytes("RGB", size, random.Random(size[0]).randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_padded_to(total: int) -> bytes:
    """A valid PNG of exactly `total` bytes: a private ancillary chunk before IEND pads it."""
    base = encode("PNG")
    iend = base.rindex(b"IEND") - 4
    padding = total - len(base) - 12
    assert padding >= 0
    return base[:iend] + png_chunk(b"prVt", b"\0" * padding) + base[iend:]


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height: a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def refusal(data: bytes, name: str) -> ImageRefused:
    with pytest.raises(ImageRefused) as caught:
        check_image_bytes(data, name)
    return caught.value


# --- accepted ---------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_real_jpeg_and_png_are_accepted_with_their_facts(fmt: str, mime: str) -> None:
    data = encode(fmt, (40, 30))
    part = check_image_bytes(data, "picture", detail=ImageDetail.HIGH)
    assert (part.mime, part.width, part.height, part.detail) == (mime, 40, 30, ImageDetail.HIGH)
    assert part.sha256 == hashlib.sha256(data).hexdigest()
    assert part.data == data


def test_the_bytes_decide_not_the_name(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(encode("JPEG"))
    assert check_image_file(path).mime == "image/jpeg"


def test_png_modes_and_progressive_jpeg_are_accepted() -> None:
    for data in (
        encode("PNG", mode="RGBA"),
        encode("PNG", mode="L"),
        encode("PNG", mode="P"),
        encode("PNG", mode="1"),
        encode("JPEG", mode="L"),
        encode("JPEG", progressive=True),
    ):
        assert check_image_bytes(data, "x").width == 40


def test_non_ascii_file_name(tmp_path: Path) -> None:
    path = tmp_path / "Ferien am Meer – Åsa 写真.png"
    path.write_bytes(encode("PNG"))
    part = check_image_file(path)
    assert part.name == "Ferien am Meer – Åsa 写真.png"
    path.with_suffix(".webp").write_bytes(encode("WEBP"))
    with pytest.raises(ImageRefused, match=r"^Ferien am Meer – Åsa 写真\.webp is a WebP image"):
        check_image_file(path.with_suffix(".webp"))


def test_data_url_carries_the_mime_of_the_bytes() -> None:
    data = encode("PNG")
    url = data_url(check_image_bytes(data, "a.jpg"))
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    assert base64.b64decode(url[len(prefix) :]) == data


# --- refused: format --------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "words"),
    [("WEBP", "a WebP image"), ("GIF", "a GIF image"), ("BMP", "a BMP image"), ("TIFF", "a TIFF image")],
)
def test_other_image_formats_are_refused_and_offered_conversion(fmt: str, words: str) -> None:
    error = refusal(encode(fmt), "holiday.png")
    assert str(error) == f"holiday.png is {words}; Grok accepts JPEG or PNG"
    assert error.fix is Fix.CONVERT_TO_PNG
    converted = apply_fix(error.fix, encode(fmt))
    assert check_image_bytes(converted, "holiday.png").mime == "image/png"


def test_the_example_sentence_from_the_issue() -> None:
    assert str(refusal(encode("WEBP"), "holiday.webp")) == (
        "holiday.webp is a WebP image; Grok accepts JPEG or PNG"
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 64, "a HEIC/HEIF image"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1" + b"\0" * 64, "an AVIF image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10"/>', "an SVG drawing"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG drawing"),
        ("Just some notes, naïve café.\n".encode(), "a text file"),
        (b"BMW is a car brand, not a bitmap.", "a text file"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\0" * 40, "a JPEG 2000 image"),
        (b"\x00\x00\x00\x18ftypisom" + b"\0" * 40, "a video or other media file"),
    ],
)
def test_non_image_signatures_are_named(data: bytes, words: str) -> None:
    error = refusal(data, "photo.png")
    assert str(error) == f"photo.png is {words}; Grok accepts JPEG or PNG"
    assert error.fix is None


def test_sizes_are_written_for_people() -> None:
    assert format_size(1) == "1 byte"
    assert format_size(18) == "18 bytes"
    assert format_size(312 * 1024) == "312 KiB"
    assert format_size(int(14.2 * 1024 * 1024)) == "14.2 MiB"
    assert Fix.CONVERT_TO_PNG.label == "Convert to PNG"
    assert Fix.SCALE_DOWN.label == "Scale down to fit"


def test_unknown_binary_is_refused() -> None:
    error = refusal(bytes(range(256)) * 4, "blob.jpg")
    assert str(error) == "blob.jpg is not a JPEG or PNG image; Grok accepts JPEG or PNG"


def test_empty_bytes_and_empty_file(tmp_path: Path) -> None:
    assert str(refusal(b"", "paste")) == "paste is empty (0 bytes)"
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageRefused, match=r"^empty\.png is empty"):
        check_image_file(path)


# --- refused: damaged -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("keep", [0.5, 0.9, -2, -1])
def test_truncated_images_are_refused(fmt: str, keep: float) -> None:
    data = noise(fmt, (64, 48))
    cut = int(len(data) * keep) if keep > 0 else len(data) + int(keep)
    error = refusal(data[:cut], "cut." + fmt.lower())
    assert str(error) == f"cut.{fmt.lower()} is a damaged or incomplete {fmt} image and cannot be read"


def test_png_with_corrupted_pixel_data_is_refused() -> None:
    data = bytearray(noise("PNG", (64, 48)))
    start = data.index(b"IDAT") + 20
    data[start : start + 16] = b"\xff" * 16
    assert "damaged" in str(refusal(bytes(data), "x.png"))


def test_signature_only_is_refused() -> None:
    assert "damaged" in str(refusal(b"\x89PNG\r\n\x1a\n", "x.png"))
    assert "damaged" in str(refusal(b"\xff\xd8\xff\xe0", "x.jpg"))


# --- refused: size and dimensions --------------------------------------------


def test_exactly_the_limit_is_accepted_one_more_byte_is_not(tmp_path: Path) -> None:
    exact = png_padded_to(MAX_IMAGE_BYTES)
    assert len(exact) == MAX_IMAGE_BYTES
    assert check_image_bytes(exact, "exact.png").size == MAX_IMAGE_BYTES
    path = tmp_path / "exact.png"
    path.write_bytes(exact)
    assert check_image_file(path).size == MAX_IMAGE_BYTES

    over = png_padded_to(MAX_IMAGE_BYTES + 1)
    error = refusal(over, "over.png")
    assert str(error) == "over.png is 10,485,761 bytes; the limit is 10,485,760 bytes (10 MiB)"
    assert error.fix is Fix.SCALE_DOWN
    path.write_bytes(over)
    with pytest.raises(ImageRefused, match=r"^exact\.png is 10,485,761 bytes; the limit is"):
        check_image_file(path)


def test_large_file_message_matches_the_issue(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(png_padded_to(int(14.2 * 1024 * 1024)))
    with pytest.raises(ImageRefused) as caught:
        check_image_file(path)
    assert str(caught.value) == "scan.png is 14.2 MiB; the limit is 10 MiB"


def test_decompression_bomb_is_refused_without_decoding() -> None:
    bomb = png_claiming(30000, 30000)
    assert len(bomb) < 200
    error = refusal(bomb, "bomb.png")
    assert str(error) == "bomb.png is 30000 x 30000 pixels (900 megapixels); the limit is 50 megapixels"
    # Scaling would need the whole image in memory: no remedy is offered.
    assert error.fix is None


def test_too_wide_image_is_refused_with_scale_down() -> None:
    data = encode("PNG", (MAX_SIDE + 1, 2))
    error = refusal(data, "panorama.png")
    assert str(error) == f"panorama.png is {MAX_SIDE + 1} x 2 pixels; the limit is {MAX_SIDE} pixels per side"
    assert error.fix is Fix.SCALE_DOWN
    fixed = check_image_bytes(apply_fix(Fix.SCALE_DOWN, data), "panorama.png")
    assert fixed.width == MAX_SIDE


def test_too_many_pixels_offers_scale_down() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    header_only = png_claiming(side, side)
    error = refusal(header_only, "big.png")
    assert error.fix is Fix.SCALE_DOWN


def test_scale_to_fit_meets_the_byte_limit() -> None:
    data = noise("PNG", (300, 200))
    smaller = scale_to_fit(data, max_bytes=40_000)
    assert len(smaller) <= 40_000
    part = check_image_bytes(smaller, "x.png")
    assert part.mime == "image/png"
    assert part.width / part.height == pytest.approx(1.5, rel=0.05)


def test_scale_to_fit_keeps_jpeg_as_jpeg_and_respects_pixels() -> None:
    data = noise("JPEG", (400, 300))
    smaller = scale_to_fit(data, max_pixels=10_000)
    part = check_image_bytes(smaller, "x.jpg")
    assert part.mime == "image/jpeg"
    assert part.width * part.height <= 10_000


def test_convert_to_png_keeps_transparency() -> None:
    gif = Image.new("P", (8, 8), 0)
    gif.info["transparency"] = 0
    out = io.BytesIO()
    gif.save(out, "GIF", transparency=0)
    png = convert_to_png(out.getvalue())
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]


def test_convert_to_png_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ImageRefused, match="GrokDesk can convert"):
        convert_to_png(b"%PDF-1.7 not an image", "doc.pdf")


# --- refused: not a readable regular file -------------------------------------


def test_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "pictures.png"
    folder.mkdir()
    with pytest.raises(ImageRefused, match=r"^pictures\.png is a folder, not an image file$"):
        check_image_file(folder)


def test_device_file_is_refused_without_reading() -> None:
    with pytest.raises(ImageRefused, match=r"^zero is not a regular file"):
        check_image_file(Path("/dev/zero"))


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageRefused, match=r"^stream\.png is not a regular file"):
        check_image_file(fifo)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageRefused, match=r"^gone\.png no longer exists$"):
        check_image_file(tmp_path / "gone.png")


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    path.write_bytes(encode("PNG"))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            # Root reads anything; the ENOTDIR and device tests cover that case.
            pytest.skip("running as root: permission bits are not enforced")
        with pytest.raises(ImageRefused, match=r"^secret\.png cannot be read: permission denied$"):
            check_image_file(path)
    finally:
        path.chmod(0o600)


def test_file_that_fails_to_read_is_refused() -> None:
    # Unreadable even for root: reading /proc/self/mem at offset 0 fails with EIO.
    with pytest.raises(ImageRefused, match=r"^mem cannot be read \(Input/output error\)$"):
        check_image_file(Path("/proc/self/mem"))


def test_unreadable_path_through_a_file_is_refused(tmp_path: Path) -> None:
    # Fails for root too: a path "inside" a regular file cannot be opened (ENOTDIR).
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    with pytest.raises(ImageRefused, match=r"^a\.png cannot be read"):
        check_image_file(blocker / "a.png")


def test_file_reporting_size_zero_is_still_read(tmp_path: Path) -> None:
    # /proc files report size 0 but have content: the bytes read decide, not stat.
    path = Path("/proc/self/status")
    with pytest.raises(ImageRefused, match=r"^status is a text file"):
        check_image_file(path)


def test_size_from_a_data_url_reads_the_header() -> None:
    plain = check_image_bytes(encode("PNG", (300, 200)), "a.png")
    assert data_url_size(data_url(plain)) == (300, 200)
    # A large ICC profile pushes the JPEG frame header past the first 64 KiB.
    profiled = check_image_bytes(encode("JPEG", (30, 20), icc_profile=b"\0" * 200_000), "b.jpg")
    assert data_url_size(data_url(profiled)) == (30, 20)
    assert data_url_size("data:image/png;base64,!!!!") is None
    assert header_size(b"not an image") is None


def test_pillow_bomb_warning_never_escapes() -> None:
    # 100 Mpx lies between Pillow's warning (89 Mpx) and error (179 Mpx) thresholds:
    # Image.open would warn (an error under this test suite's settings); we refuse in words.
    error = refusal(png_claiming(10000, 10000), "big.png")
    assert str(error) == "big.png is 10000 x 10000 pixels (100 megapixels); the limit is 50 megapixels"


def test_pillow_global_pixel_limit_does_not_change_our_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    assert check_image_bytes(encode("PNG", (40, 30)), "small.png").width == 40
    assert check_image_bytes(encode("JPEG", (40, 30)), "small.jpg").height == 30


def test_huge_files_are_judged_without_reading_them(tmp_path: Path) -> None:
    # Sparse files: 4 GiB on paper, nothing on disk.
    huge_png = tmp_path / "huge.png"
    with huge_png.open("wb") as stream:
        stream.write(encode("PNG"))
        stream.truncate(4 * 1024**3)
    with pytest.raises(ImageRefused, match=r"^huge\.png is 4\.0 GiB; the limit is 10 MiB$"):
        check_image_file(huge_png)
    huge_webp = tmp_path / "huge.webp"
    with huge_webp.open("wb") as stream:
        stream.write(encode("WEBP"))
        stream.truncate(4 * 1024**3)
    with pytest.raises(ImageRefused, match=r"^huge\.webp is a WebP image") as caught:
        check_image_file(huge_webp)
    assert caught.value.fix is None  # converting it would not fit either
