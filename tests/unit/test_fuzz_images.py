"""Fuzzed image bytes: the check never crashes; it either accepts an image that
decodes, or refuses it with a sentence naming the file."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from grokdesk.core.images import ImageRefused, check_image_bytes


def _seed(fmt: str, mode: str, **options: object) -> bytes:
    image = Image.linear_gradient("L").resize((24, 16)).convert(mode)
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


SEEDS = [
    _seed("PNG", "RGB"),
    _seed("PNG", "RGBA"),
    _seed("PNG", "P"),
    _seed("JPEG", "RGB"),
    _seed("JPEG", "L", progressive=True),
]

FUZZ = settings(
    max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def assert_accepted_or_refused(data: bytes) -> None:
    try:
        part = check_image_bytes(data, "fuzz.png")
    except ImageRefused as refused:
        assert str(refused).startswith("fuzz.png ")
        assert refused.reason
        return
    # Accepted: it really decodes, and the facts match the bytes.
    with Image.open(io.BytesIO(part.data)) as image:
        image.load()
        assert image.size == (part.width, part.height)
    assert part.mime in ("image/jpeg", "image/png")


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    assert_accepted_or_refused(data)


@FUZZ
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_mutated_jpeg_and_png(seed: bytes, flips: list[tuple[int, int]]) -> None:
    data = bytearray(seed)
    for position, value in flips:
        data[position % len(data)] = value
    assert_accepted_or_refused(bytes(data))


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(min_value=0), st.binary(max_size=64))
def test_truncated_or_spliced_jpeg_and_png(seed: bytes, cut: int, junk: bytes) -> None:
    cut %= len(seed) + 1
    assert_accepted_or_refused(seed[:cut] + junk)


@FUZZ
@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"]), st.binary(max_size=2048))
def test_valid_signature_then_garbage(signature: bytes, rest: bytes) -> None:
    assert_accepted_or_refused(signature + rest)
