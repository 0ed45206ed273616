"""The SSE path of `XaiClient.stream_chat` with the bytes cut anywhere (hostile or broken input).

A reply's logical stream (text and reasoning with multi-byte characters, `\\r\\n`,
`\\n` or `\\r` line ends, comments, a usage chunk, `[DONE]`) is served through an
httpx transport in randomly sized pieces: inside UTF-8 characters, between `\\r` and
`\\n`, one byte at a time. Whatever the cuts, the client yields exactly the text and
reasoning that were sent, then one Finished.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grokdesk.api.client import XaiClient
from grokdesk.api.events import Finished, UsageUpdate
from tests.helpers.aio import collect, reasoning_of, text_of

KEY = "xai-fuzz-key-0123456789abcdefghijklmnopqrstuvwxyz"
# Characters of every UTF-8 length, line breaks and JSON's escapes inside the text itself.
ALPHABET = st.sampled_from(
    ["a", " ", "é", "ß", "€", "日", "本", "😀", "🧪", "\n", "\r", "\r\n", '"', "\\", "\u2028"]
)
pieces = st.lists(st.lists(ALPHABET, max_size=12).map("".join), min_size=1, max_size=12)

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
EXAMPLES_RUN: list[int] = [0]  # for the note: how many cut streams were read


class Pieces(httpx.AsyncByteStream):
    """The body, cut at `cuts`, one piece per read."""

    def __init__(self, body: bytes, cuts: list[int]) -> None:
        self._body = body
        self._cuts = cuts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        start = 0
        for cut in [*self._cuts, len(self._body)]:
            if cut > start:
                yield self._body[start:cut]
                start = cut
            await asyncio.sleep(0)  # a real socket hands pieces over across loop turns


def chunk(delta: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, **extra}]
    return {"id": "fuzz", "object": "chat.completion.chunk", "model": "grok-3", "choices": choices}


def sse_body(texts: list[str], reasoning: list[str], newline: str, comments: bool) -> bytes:
    events = [chunk({"role": "assistant", "reasoning_content": r}) for r in reasoning]
    events += [chunk({"content": t}) for t in texts]
    events.append(chunk({}, finish_reason="stop"))
    usage = {"prompt_tokens": 3, "completion_tokens": len(texts), "total_tokens": 3 + len(texts)}
    events.append({**chunk(None), "usage": usage})
    lines = []
    for event in events:
        if comments:
            lines.append(": keepalive" + newline + newline)
        # ensure_ascii=False: the multi-byte characters travel as raw UTF-8, to be cut.
        lines.append("data: " + json.dumps(event, ensure_ascii=False) + newline + newline)
    lines.append("data: [DONE]" + newline + newline)
    return "".join(lines).encode("utf-8")


def read_streams(body: bytes, cut_lists: list[list[int]]) -> list[tuple[list[Any], Any]]:
    """Read `body` once per list of cuts, through one client (as the app keeps one)."""
    served = iter(cut_lists)

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream; charset=utf-8"},
            stream=Pieces(body, next(served)),
        )

    async def go() -> list[tuple[list[Any], Any]]:
        transport = httpx.MockTransport(answer)
        async with XaiClient("https://api.x.ai/v1", KEY, transport=transport, stall_timeout=5) as client:
            return [await collect(client.stream_chat({"model": "grok-3", "messages": []})) for _ in cut_lists]

    EXAMPLES_RUN[0] += len(cut_lists)
    return asyncio.run(go())


@st.composite
def cut_stream(draw: st.DrawFn) -> tuple[list[str], list[str], bytes, list[int]]:
    texts = draw(pieces)
    reasoning = draw(st.lists(st.lists(ALPHABET, max_size=6).map("".join), max_size=3))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    body = sse_body(texts, reasoning, newline, draw(st.booleans()))
    how = draw(st.sampled_from(["random", "every byte", "inside characters", "between cr and lf"]))
    if how == "every byte":
        cuts = list(range(1, len(body)))
    elif how == "inside characters":
        # Right after the first byte of each multi-byte character.
        cuts = [i + 1 for i, byte in enumerate(body) if byte >= 0xC0]
    elif how == "between cr and lf":
        cuts = [i + 1 for i in range(len(body) - 1) if body[i : i + 2] == b"\r\n"]
    else:
        cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=40))))
    return texts, reasoning, body, cuts


@FUZZ
@given(cut_stream())
def test_cut_anywhere_the_reply_comes_out_whole(case: tuple[list[str], list[str], bytes, list[int]]) -> None:
    texts, reasoning, body, cuts = case
    ((events, error),) = read_streams(body, [cuts])
    assert error is None
    assert text_of(events) == "".join(texts)
    assert reasoning_of(events) == "".join(reasoning)
    assert events[-1] == Finished("stop")
    assert sum(isinstance(e, UsageUpdate) for e in events) == 1


def test_a_character_split_across_every_possible_pair_of_pieces() -> None:
    """Every single cut of a short stream full of 4-byte characters, exhaustively."""
    texts = ["😀🧪", "日本語", "é\r\nß"]
    body = sse_body(texts, [], "\r\n", comments=False)
    cuts = [[cut] for cut in range(1, len(body))]
    for cut, (events, error) in zip(cuts, read_streams(body, cuts), strict=True):
        assert error is None, cut
        assert text_of(events) == "".join(texts), cut
