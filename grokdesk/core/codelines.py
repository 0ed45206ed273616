"""A long code block's lines as HTML, a few at a time, coloured as highlighting the whole
block at once would colour them.

"Show all" on a 10,000-line block lays it out in slices (ui/chat/expand.py). Pygments
lexes lazily: one token stream over the whole block is read a slice at a time, so a
string or comment running across two slices keeps its colour, and no slice pays for the
lines before it. Past COLOUR_CHARS, or when a lexer turns out slow on this text, the
rest is shown without colours (as core/markdown.py does for a block over
MAX_HIGHLIGHT_CHARS rendered at once).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from html import escape

from grokdesk.core.markdown import DARK, LIGHT

# Colour a block progressively up to this size: Pygments lexes Python at ~0.5 MB a
# second here, so 500 KB adds about a second of slices to a "Show all".
COLOUR_CHARS = 500_000
# A slice whose lexing takes longer than this leaves the rest of the block plain:
# one token's regular expression cannot be cut short, and some lexers backtrack badly
# on hostile input.
SLOW_LEXING_S = 0.05


class CodeLines:
    """The lines of `code` (a fenced block's content) as Qt-safe HTML, `take(n)` at a time."""

    def __init__(self, code: str, language: str, *, dark: bool) -> None:
        # Pygments reads "\r\n" and "\r" as "\n": the same here, so offsets agree.
        self._code = code.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n")
        self._offset = 0
        self._tokens: Iterator[tuple[object, str]] | None = None
        self._held: list[tuple[object, str]] = []
        self._style = (DARK if dark else LIGHT).pygments_style
        if language and len(self._code) <= COLOUR_CHARS:
            from grokdesk.core.markdownparser import lexer_for

            lexer = lexer_for(language)
            if lexer is not None:
                self._tokens = iter(lexer.get_tokens(self._code))

    @property
    def done(self) -> bool:
        return self._offset >= len(self._code)

    @property
    def coloured(self) -> bool:
        return self._tokens is not None

    def take(self, lines: int) -> str:
        """The HTML of the next `lines` lines (fewer at the end), joined by new lines."""
        if self.done:
            return ""
        if self._tokens is None:
            return escape(self._plain(lines))
        # CPU time, not wall time: a busy machine must not turn the colours off.
        started = time.thread_time()
        chunk = self._lexed(lines)
        if time.thread_time() - started > SLOW_LEXING_S:
            self._tokens = None  # the rest plain: see SLOW_LEXING_S
            self._held.clear()
        from grokdesk.core.markdownparser import format_tokens

        return format_tokens(chunk, self._style).removesuffix("\n")

    def _plain(self, lines: int) -> str:
        end = self._offset - 1
        for _ in range(lines):
            end = self._code.find("\n", end + 1)
            if end < 0:
                end = len(self._code)
                break
        text = self._code[self._offset : end]
        self._offset = end + 1
        return text

    def _lexed(self, lines: int) -> list[tuple[object, str]]:
        """Tokens up to the end of the `lines`-th line from here (a token across that
        line end is split; its rest is held for the next slice)."""
        assert self._tokens is not None
        chunk: list[tuple[object, str]] = []
        left = lines
        while left > 0:
            if self._held:
                kind, value = self._held.pop()
            else:
                token = next(self._tokens, None)
                if token is None:
                    self._offset = len(self._code)  # the lexer's last token ends the text
                    break
                kind, value = token
            newlines = value.count("\n")
            if newlines >= left:
                cut = -1
                for _ in range(left):
                    cut = value.index("\n", cut + 1)
                head, rest = value[: cut + 1], value[cut + 1 :]
                chunk.append((kind, head))
                self._offset += len(head)
                if rest:
                    self._held.append((kind, rest))
                left = 0
            else:
                chunk.append((kind, value))
                self._offset += len(value)
                left -= newlines
        return chunk
