"""LaTeX math in model replies: found by the Markdown parser before its other rules see it.

Models write math as `$$…$$` or `\\[…\\]` (display) and `$…$` or `\\(…\\)` (inline).
Left to CommonMark, `\\(` loses its backslash and `\\,` becomes a comma, so each
delimited span is taken whole by the rules below, which run before backslash escapes
and emphasis, while code spans and code blocks keep precedence (a backtick or a
fence line is consumed before a dollar inside it is reached).

A dollar is math by the rules pandoc uses, so prices stay text: the opening `$` is
not followed by a space, the closing `$` (the next unescaped one) is not preceded by
a space nor followed by a digit, and no backtick lies between; `\\$` is a literal dollar. A `\\(` or `\\[` without
its closing delimiter (typically a formula still streaming in) is shown as its
source, verbatim, until the delimiter arrives.

Each formula becomes a token carrying a `Formula`; the Markdown renderer turns it
into an `<img src="math:…">` whose URL holds the LaTeX itself (see `math_url`), so
the view that typesets it needs no side table and Copy can give back the source.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Types only: markdown-it is imported with the parser, by the first render
    # (core/markdownparser.py), not when the transcript's modules are imported.
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.rules_inline import StateInline

URL_SCHEME = "math"
# A formula longer than this is shown as source: typesetting time grows with it, and a
# model does not write a readable formula this long.
MAX_FORMULA_CHARS = 4000

_DISPLAY_DELIMITERS = {"$$": "$$", "\\[": "\\]"}


@dataclass(frozen=True, slots=True)
class Formula:
    """One formula: its LaTeX body, whether it is displayed on its own line, and the
    delimiters it was written with (so Copy gives back exactly what the model wrote)."""

    latex: str
    display: bool
    opening: str = ""
    closing: str = ""

    @property
    def source(self) -> str:
        if self.opening:
            return f"{self.opening}{self.latex}{self.closing}"
        return f"$${self.latex}$$" if self.display else f"${self.latex}$"


def math_url(formula: Formula) -> str:
    """`math:d/<base64url>` or `math:i/<base64url>` of the formula's source: the URL names
    the formula completely, so equal formulas share one image resource."""
    kind = "d" if formula.display else "i"
    encoded = base64.urlsafe_b64encode(formula.source.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{URL_SCHEME}:{kind}/{encoded}"


def formula_from_url(url: str) -> Formula | None:
    """The formula a `math_url` names, or None for anything else."""
    prefix = URL_SCHEME + ":"
    if not url.startswith(prefix):
        return None
    kind, _, encoded = url[len(prefix) :].partition("/")
    if kind not in ("d", "i"):
        return None
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        source = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not source:
        return None
    return parse_source(source, display=kind == "d")


def parse_source(source: str, *, display: bool) -> Formula:
    """Split a formula's source (with its delimiters) back into a Formula."""
    for opening, closing in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")):
        if (
            len(source) >= len(opening) + len(closing)
            and source.startswith(opening)
            and source.endswith(closing)
        ):
            return Formula(source[len(opening) : len(source) - len(closing)], display, opening, closing)
    return Formula(source, display)


def _escaped(src: str, index: int) -> bool:
    """True if the character at `index` is preceded by an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and src[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _find_closing(src: str, closing: str, start: int, end: int) -> int:
    """Index of the first `closing` in src[start:end] that is not backslash-escaped, or -1."""
    while True:
        found = src.find(closing, start, end)
        if found < 0:
            return -1
        if not _escaped(src, found):
            return found
        start = found + 1


def _push_formula(state: StateInline, formula: Formula) -> None:
    token = state.push("math_display" if formula.display else "math_inline", "img", 0)
    token.content = formula.latex
    token.markup = formula.opening
    token.meta = {"formula": formula}


def _math_dollar(state: StateInline, silent: bool) -> bool:
    src, start, maximum = state.src, state.pos, state.posMax
    if src[start] != "$":
        return False
    if src.startswith("$$", start) and start + 1 < maximum:
        body = start + 2
        end = _find_closing(src, "$$", body, maximum)
        if end < 0 or not src[body:end].strip():
            # Not math: both dollars stay text, so the second one cannot open a `$…$`.
            if not silent:
                state.pending += "$$"
            state.pos = start + 2
            return True
        if not silent:
            _push_formula(state, Formula(src[body:end], True, "$$", "$$"))
        state.pos = end + 2
        return True
    body = start + 1
    if body >= maximum or src[body].isspace():
        return False
    end = _find_closing(src, "$", body, maximum)
    if end < 0 or src[end - 1].isspace() or (end + 1 < maximum and src[end + 1].isdigit()):
        return False
    if "`" in src[body:end]:
        return False  # a code span binds tighter: "$5 and `$x$`" holds no formula
    if not silent:
        _push_formula(state, Formula(src[body:end], False, "$", "$"))
    state.pos = end + 1
    return True


def _math_backslash(state: StateInline, silent: bool) -> bool:
    src, start, maximum = state.src, state.pos, state.posMax
    if src[start] != "\\" or start + 1 >= maximum or src[start + 1] not in "([":
        return False
    opening = src[start : start + 2]
    closing = "\\)" if opening == "\\(" else "\\]"
    body = start + 2
    end = _find_closing(src, closing, body, maximum)
    if end < 0:
        # An open formula: shown as its source, verbatim, until its end arrives.
        if not silent:
            state.pending += src[start:maximum]
        state.pos = maximum
        return True
    if not src[body:end].strip():
        if not silent:
            state.pending += src[start : end + 2]
        state.pos = end + 2
        return True
    if not silent:
        _push_formula(state, Formula(src[body:end], opening == "\\[", opening, closing))
    state.pos = end + 2
    return True


def _math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """`$$` or `\\[` opening a line, closed at the end of the same or a later line (no
    blank line between): a display formula of its own. Still unclosed at the end of
    the text (a reply streaming in), the rest is shown as source."""
    if state.is_code_block(start_line):
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    line_end = state.eMarks[start_line]
    opening = state.src[begin : begin + 2]
    if opening not in _DISPLAY_DELIMITERS:
        return False
    closing = _DISPLAY_DELIMITERS[opening]
    first = state.src[begin + 2 : line_end].rstrip()
    line = start_line
    if first.endswith(closing) and not _escaped(first, len(first) - len(closing)):
        body = first[: -len(closing)]
        if closing in body:
            return False  # `$$a$$ text $$b$$`: formulas inside a paragraph
    else:
        if closing in first:
            return False  # text after the closing delimiter: a paragraph's inline formula
        lines = [first]
        while True:
            line += 1
            if line >= end_line:
                if silent:
                    return True
                token = state.push("math_open", "", 0)
                token.content = state.src[begin : state.eMarks[line - 1]]
                token.map = [start_line, line]
                state.line = line
                return True
            text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()
            if not text:
                return False  # a blank line: math has none, so this was no formula
            if text.endswith(closing) and not _escaped(text, len(text) - len(closing)):
                lines.append(text[: -len(closing)])
                break
            if closing in text:
                return False
            lines.append(text)
        body = "\n".join(lines)
    if not body.strip():
        return False
    if silent:
        return True
    token = state.push("math_block", "img", 0)
    token.content = body
    token.meta = {"formula": Formula(body, True, opening, closing)}
    token.map = [start_line, line + 1]
    state.line = line + 1
    return True


def math_plugin(md: MarkdownIt) -> None:
    """Recognise the four math delimiters (tokens `math_inline`, `math_display`,
    `math_block`, `math_open`; a token's `meta["formula"]` is its Formula)."""
    md.inline.ruler.before("escape", "math_backslash", _math_backslash)
    md.inline.ruler.before("escape", "math_dollar", _math_dollar)
    md.block.ruler.before(
        "fence", "math_block", _math_block, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
