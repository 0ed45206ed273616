"""The whole of a long text cut into pieces small enough to lay out one event-loop turn
at a time ("Show all" on a 1 MB line or a 10,000-line code block: ui/chat/expand.py).

The pieces are those a render of the whole text at once is made of (core/markdown.py
renders a long text block by block): groups of finished Markdown blocks; a block too
big to parse as Markdown, shown as plain text; a fenced code block, shown a number of
lines at a time. Qt lays out a paragraph as a whole, so a plain block is further cut
into display segments (`segments`): the text is the same, only its line breaks differ
there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from grokdesk.core.markdown import MAX_BLOCK_CHARS, next_stable_prefix

# Finished Markdown rendered per piece (as a streaming update renders it).
MARKDOWN_CHARS = 2_500
# Characters per display segment of a long plain paragraph: laid out in ~1 ms each.
SEGMENT_CHARS = 4_000

_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")
# Where a segment prefers to end: after a sentence, else after any white space.
_SENTENCE_END = re.compile(r"[.!?;:][\"')\]]*\s")


@dataclass(frozen=True, slots=True)
class MarkdownPiece:
    text: str


@dataclass(frozen=True, slots=True)
class PlainPiece:
    text: str


@dataclass(frozen=True, slots=True)
class CodePiece:
    code: str
    info: str


Piece = MarkdownPiece | PlainPiece | CodePiece


def pieces(text: str) -> Iterator[Piece]:
    """`text` as the pieces a render of it at once is made of, in order."""
    position = 0
    while position < len(text):
        fence = _FENCE.match(text, position)
        if fence is not None and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            # A code block: its end found directly (looking for block ends in it would
            # read all of a 10,000-line block each time).
            code, end = _code_piece(text, position, fence)
            if end - position > MAX_BLOCK_CHARS:
                yield code
                position = end
                continue
        end = next_stable_prefix(text, position, MARKDOWN_CHARS)
        if end <= position:
            end = len(text)  # the last block
        chunk = text[position:end]
        position = end
        if len(chunk) <= MAX_BLOCK_CHARS:
            if chunk.strip():
                yield MarkdownPiece(chunk)
        elif (fence := _FENCE.match(chunk)) is not None:
            yield _code_piece(chunk, 0, fence)[0]
        elif chunk.strip():
            yield PlainPiece(chunk.strip())


def _code_piece(text: str, start: int, fence: re.Match[str]) -> tuple[CodePiece, int]:
    """The fenced block opening at `start`: its content (as markdown-it gives it: up to
    its closing fence, or all of the rest when it has none) with its info string, and
    where the line after its closing fence starts."""
    marker = fence.group(1)
    line_end = text.find("\n", start)
    if line_end < 0:
        return CodePiece("", fence.group(2)), len(text)
    closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.MULTILINE)
    end = closing.search(text, line_end + 1)
    if end is None:
        return CodePiece(text[line_end + 1 :], fence.group(2)), len(text)
    after = text.find("\n", end.end())
    return CodePiece(text[line_end + 1 : end.start()], fence.group(2)), after + 1 if after >= 0 else len(text)


def segments(text: str, size: int = SEGMENT_CHARS, *, first: int = 0) -> Iterator[str]:
    """`text` in pieces of about `size` characters (the first at least `first`), each
    ending after a sentence or a space when one is near its end: joined, they are
    `text`. A segment boundary shows as a line break, so a sentence's end hides it best."""
    start = 0
    length = len(text)
    while start < length:
        # The end is looked for in the last quarter of the segment's span (for the first,
        # in the quarter after `first`).
        window_start = max(start + size - size // 4, first if start == 0 else 0)
        limit = window_start + size // 4
        if limit >= length:
            yield text[start:]
            return
        end = _last_sentence_end(text, window_start, limit)
        if end < 0:
            space = max(text.rfind(" ", window_start, limit), text.rfind("\n", window_start, limit))
            end = space + 1 if space >= 0 else limit
        yield text[start:end]
        start = end


def _last_sentence_end(text: str, start: int, end: int) -> int:
    found = -1
    for match in _SENTENCE_END.finditer(text, start, end):
        found = match.end()
    return found
