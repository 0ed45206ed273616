"""Where to cut a text too long to lay out at once (a 1 MB line, 10,000 lines of code).

Qt lays out a whole paragraph again whenever it changes, and a text document of
hundreds of thousands of lines takes seconds to lay out: such a message shows its
start and a "Show all" link instead. The cut depends only on the text before it, so
a reply cut while it streams is cut at the same place once it is finished.
"""

from __future__ import annotations

import re

# A text is collapsed when it is longer than this...
COLLAPSE_CHARS = 200_000
COLLAPSE_LINES = 3_000
COLLAPSE_LINE_CHARS = 20_000
# ...and then shows at most this much of its start.
SHOWN_LINES = 120
SHOWN_CHARS = 10_000


# A paste this long is kept aside as an attachment in the composer, and collapsed when
# shown in the transcript.
PASTE_CHARS = 100_000
PASTE_LINES = 2_000

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)


def is_long(text: str, *, chars: int = COLLAPSE_CHARS, lines: int = COLLAPSE_LINES) -> bool:
    if len(text) <= SHOWN_CHARS:
        return False
    if len(text) > chars or text.count("\n") >= lines:
        return True
    return max(map(len, text.split("\n"))) > COLLAPSE_LINE_CHARS


def is_long_paste(text: str) -> bool:
    return len(text) > PASTE_CHARS or text.count("\n") >= PASTE_LINES


def collapse_at(text: str, *, chars: int = COLLAPSE_CHARS, lines: int = COLLAPSE_LINES) -> int | None:
    """The length of the start of `text` to show, or None to show it all."""
    if not is_long(text, chars=chars, lines=lines):
        return None
    return head_length(text)


def open_code_block(text: str, cut: int) -> str | None:
    """The whole content of the fenced code block the cut falls in (so its Copy link
    copies all of it, not the shown start), or None when the cut is outside one."""
    opened: re.Match[str] | None = None
    for fence in _FENCE.finditer(text, 0, cut):
        marker = fence.group(1)
        if opened is None:
            opened = fence
        elif marker[0] == opened.group(1)[0] and len(marker) >= len(opened.group(1)):
            line_end = text.find("\n", fence.end())
            rest = text[fence.end() : line_end if line_end >= 0 else len(text)]
            if not rest.strip():
                opened = None
    if opened is None:
        return None
    start = text.find("\n", opened.end())
    if start < 0:
        return ""
    marker = opened.group(1)
    closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.MULTILINE)
    end = closing.search(text, start + 1)
    return text[start + 1 : end.start() if end else len(text)]


def head_length(text: str) -> int:
    """At most SHOWN_LINES lines and SHOWN_CHARS characters, ending at a line's end
    when a line ends in that span."""
    limit = min(len(text), SHOWN_CHARS)
    end = -1
    for _ in range(SHOWN_LINES):
        found = text.find("\n", end + 1, limit)
        if found < 0:
            break
        end = found
    if end >= 0:
        return end + 1
    return limit


def byte_size(text: str) -> str:
    """ "230 KB", "4.8 MB": the size of `text` in UTF-8, as it is sent."""
    # ASCII (most pastes) is one byte a character; `isascii` reads a flag, not the text.
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} KB"


def line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def size_text(text: str) -> str:
    """ "10,000 lines, 230 KB" of a whole text."""
    lines = line_count(text)
    return f"{lines:,} lines, {byte_size(text)}" if lines > 1 else byte_size(text)
