"""`SseDecoder`: the data of each server-sent event, however the text is cut into reads."""

from __future__ import annotations

from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from hypothesis import given, settings
from hypothesis import strategies as st

from grokdesk.api.sse import SseDecoder

LINES = st.sampled_from(
    [
        "data: {}",
        'data: {"a": "é 日本 😀"}',
        "data:no space",
        "data:  two spaces",
        "data",
        "data: [DONE]",
        ": keepalive",
        "event: message",
        "id: 7",
        "retry: 100",
        "",
        "",
    ]
)


def reference(text: str) -> list[str]:
    """What httpx-sse makes of the same text (events with data only)."""
    lines = SSELineDecoder()
    events = SSEDecoder()
    found = []
    for line in [*lines.decode(text), *lines.flush()]:
        sse = events.decode(line)
        if sse is not None and sse.data:
            found.append(sse.data)
    return found


def read(text: str, cuts: list[int]) -> list[str]:
    decoder = SseDecoder()
    found: list[str] = []
    start = 0
    for cut in [*cuts, len(text)]:
        found += decoder.feed(text[start:cut])
        start = cut
    return found


@settings(max_examples=300, derandomize=True)
@given(
    st.lists(LINES, max_size=30),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.lists(st.integers(0, 400), max_size=12),
)
def test_events_come_out_as_httpx_sse_reads_them_wherever_the_reads_are_cut(
    lines: list[str], newline: str, cuts: list[int]
) -> None:
    text = "".join(line + newline for line in lines)
    found = read(text, sorted(c for c in cuts if c <= len(text)))
    assert [d for d in found if d] == reference(text)


def test_an_event_with_several_data_lines_joins_them_with_new_lines() -> None:
    assert read("data: a\ndata: b\n\n", [9]) == ["a\nb"]


def test_a_read_that_ends_between_cr_and_lf_does_not_end_an_event_early() -> None:
    decoder = SseDecoder()
    assert decoder.feed("data: a\r\n\r") == ["a"]
    assert decoder.feed("\ndata: b\r\n\r\n") == ["b"]


def test_an_event_without_its_blank_line_at_the_end_is_not_given() -> None:
    assert read("data: a\n\ndata: b\n", []) == ["a"]


def test_an_empty_read_between_cr_and_lf_keeps_them_one_line_end() -> None:
    # Read as "data: a\r", "", "\ndata: b...": one event of two lines, not two events.
    assert read("data: a\r\ndata: b\r\n\r\n", [8, 8]) == ["a\nb"]
