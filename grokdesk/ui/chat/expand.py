""" "Show all" on a long message, laid out a slice per event-loop turn.

A collapsed message (core/longtext.py) shows its start and a "Show all" link. Laying out
the rest in one go froze the window for half a second (a 1 MB line, 10,000 lines of
code), and Qt lays out a paragraph, or a table, as a whole: inserting a 1 MB line in
slices still ends in one paragraph whose layout is one long call, and lines added to a
code block's table lay the whole table out again each time. So the message is rendered
again from its start as the pieces a render at once is made of (core/showall.py), each
small enough to lay out in a few milliseconds:

- groups of finished Markdown blocks, as a streaming reply renders them;
- a paragraph too long to parse as Markdown (shown as plain text) in display segments
  of ~4,000 characters, each a paragraph of its own joined without a gap; a segment
  ends after a sentence or a space, so the break looks like a line's end;
- a long code block as tables of a few dozen to a few hundred lines, joined without a
  gap under the first one's header, coloured as one text (core/codelines.py).

The first turn renders the message down past where it was cut, in one edit: what the
user was reading stays where it was, and the "Show all" link gives way to the text after
it. The rest follows a slice of ~SLICE_S per turn; the view scrolls, takes keys and
switches tabs meanwhile. A seam between segments or tables is recorded, and the
transcript's plain text, a copied selection and Copy give the text without it: they
read the message as it is, not as it is laid out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument

from grokdesk.core.conversation import ImagePart, Message, MessageState, Role
from grokdesk.core.longtext import PASTE_CHARS, PASTE_LINES, SHOWN_CHARS, SHOWN_LINES, collapse_at
from grokdesk.core.showall import CodePiece, MarkdownPiece, PlainPiece, pieces, segments
from grokdesk.ui.chat import toolrecords

if TYPE_CHECKING:
    from grokdesk.ui.chat.transcript import TranscriptView, _Rendered

# Work done per event-loop turn: the layout Qt does after it adds a few milliseconds.
SLICE_S = 0.008
# Lines of code per table piece: sized to take about this long to colour and insert
# (colouring costs ~0.1 ms a line, plain lines ~0.02 ms), within these bounds.
CODE_PIECE_S = 0.005
CODE_LINES_MIN = 60
CODE_LINES_MAX = 400
CODE_LINES_FIRST = SHOWN_LINES + 5  # a few more than a collapsed block shows


@dataclass
class _Expansion:
    """One message being laid out whole."""

    message: Message
    rendered: _Rendered
    steps: Iterator[int]
    # What is joined for display only, as (start, end) offsets from the frame's first
    # position: the characters in [start, end) are not part of the text.
    seams: list[tuple[int, int]] = field(default_factory=list)
    done: bool = False


class Expander(QObject):
    """Lays out the long messages of one transcript that the user asked to see whole."""

    def __init__(self, view: TranscriptView) -> None:
        super().__init__(view)
        self._view = view
        self._expansions: dict[str, _Expansion] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)

    # -- what the transcript asks -------------------------------------------------

    def start(self, rendered: _Rendered, message: Message) -> bool:
        """Render `message` whole into its frame progressively; False (nothing done) when
        it is short enough to render at once."""
        if message.state is MessageState.STREAMING or not _has_long_text(message):
            self._expansions.pop(message.id, None)
            return False
        view = self._view
        for stale in [key for key, e in self._expansions.items() if not self._live(e)]:
            del self._expansions[stale]  # re-rendered, or dropped from the view
        expansion = _Expansion(message, rendered, iter(()))
        expansion.steps = self._render(expansion)
        self._expansions[message.id] = expansion
        rendered.tools = toolrecords.tools_signature(message)
        rendered.stable_chars = len(message.plain_text)
        rendered.tail_chars = rendered.plain_tail = 0
        rendered.tail_text = ""
        rendered.streamed = False
        rendered.limit = None
        rendered.code_blocks = []
        goal = _shown_before(message)
        cursor = QTextCursor(view.document())
        # One edit: the layout sees the start replaced, never a shorter message between.
        cursor.beginEditBlock()
        try:
            # (No formula in what these change: the math hook need not read it back.)
            with view.math.no_formulas():
                rendered.frame.setFrameFormat(view._frame_format(message))
                frame_cursor = view._frame_cursor(rendered.frame)
                frame_cursor.removeSelectedText()
                # The empty block left keeps the format of what was there (see _reset_formats).
                frame_cursor.setBlockFormat(QTextBlockFormat())
                frame_cursor.setCharFormat(QTextCharFormat())
                frame_cursor.insertHtml(view._header_html(message))
            # Down past the cut, and a step more: the text replacing the link is taller
            # than the link, so the view never gets shorter (its bottom would move).
            consumed = 0
            for shown in expansion.steps:
                consumed += shown
                if consumed > goal:
                    break
            else:
                expansion.done = True
        finally:
            cursor.endEditBlock()
        self._lay_out(expansion)
        if not expansion.done:
            self._timer.start()
        return True

    def active(self) -> bool:
        """True while a message is still being laid out."""
        return any(self._live(e) and not e.done for e in self._expansions.values())

    def finish(self) -> None:
        """Lay out the rest of every expansion now (the transcript's text is asked for)."""
        for expansion in list(self._expansions.values()):
            while self._live(expansion) and not expansion.done:
                self._advance(expansion, budget=None)

    def plain_text(self, text: str, start: int = 0) -> str:
        """`text` (the document's plain text from position `start`) without the seams."""
        seams = self._seams(start, start + _utf16_length(text))
        if not seams:
            return text
        data = text.encode("utf-16-le", "surrogatepass")
        out = bytearray()
        last = 0
        for seam_start, seam_end in seams:
            out += data[2 * last : 2 * (seam_start - start)]
            last = seam_end - start
        out += data[2 * last :]
        return out.decode("utf-16-le", "surrogatepass")

    def selection_text(self, cursor: QTextCursor) -> str | None:
        """The text of a selection across a seam (None when it crosses none)."""
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        if not self._seams(start, end):
            return None
        document = self._view.document()
        text = document.toPlainText()
        data = text.encode("utf-16-le", "surrogatepass")
        selected = data[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")
        return self.plain_text(selected, start)

    def find_across_seams(self, text: str, after: int) -> tuple[int, int] | None:
        """The first match of `text` from position `after` on that a seam cuts in two,
        which QTextDocument.find cannot see (it reads the display's pieces): its start and
        end in the document, the seam inside. Case is ignored, as Ctrl+F does. None when no
        such match exists. A match must lie within one seam's two neighbouring pieces."""
        if len(text) < 2:
            return None
        needle = text.casefold()
        if len(needle) != len(text):
            needle = text  # folding changed its length (e.g. "ß"): matched as typed
        document = self._view.document()
        reach = _utf16_length(text) - 1
        last = document.characterCount() - 1
        for seam_start, seam_end in self._seams(after, last):
            left_from = max(after, seam_start - reach)
            left = _text_between(document, left_from, seam_start)
            right = _text_between(document, seam_end, min(last, seam_end + reach))
            joined = left + right
            hay = joined.casefold() if needle is not text else joined
            if len(hay) != len(joined):
                hay = joined
            index = hay.find(needle)
            while index >= 0:
                if index < len(left) < index + len(needle):
                    start = left_from + _utf16_length(left[:index])
                    end = seam_end + _utf16_length(right[: index + len(needle) - len(left)])
                    return start, end
                index = hay.find(needle, index + 1)
        return None

    # -- turns ------------------------------------------------------------------

    def _step(self) -> None:
        started = time.perf_counter()
        for expansion in list(self._expansions.values()):
            if not self._live(expansion) or expansion.done:
                continue
            left = SLICE_S - (time.perf_counter() - started)
            if left <= 0:
                break
            self._advance(expansion, budget=left)
        if self.active():
            self._timer.start()

    def _advance(self, expansion: _Expansion, budget: float | None) -> None:
        started = time.perf_counter()
        for _ in expansion.steps:
            self._lay_out(expansion)
            if budget is not None and time.perf_counter() - started >= budget:
                return
        expansion.done = True

    def _lay_out(self, expansion: _Expansion) -> None:
        """Lay out what a step inserted now, inside the turn's budget. Left to Qt, it is
        laid out lazily in steps that double in size, and an edit past what is laid out
        makes Qt catch up at once: one turn of the 1 MB line took half a second so."""
        document = self._view.document()
        last = document.findBlock(expansion.rendered.frame.lastPosition())
        document.documentLayout().blockBoundingRect(last)

    def _live(self, expansion: _Expansion) -> bool:
        """Still the message's rendering: a rebuild or a re-render replaces it."""
        rendered = self._view._rendered.get(expansion.message.id)
        return rendered is expansion.rendered and shiboken6.isValid(rendered.frame)

    def _seams(self, start: int, end: int) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for expansion in self._expansions.values():
            if not expansion.seams or not self._live(expansion):
                continue
            base = expansion.rendered.frame.firstPosition()
            found.extend(
                (base + a, base + b) for a, b in expansion.seams if start <= base + a and base + b <= end
            )
        return sorted(found)

    # -- rendering ----------------------------------------------------------------

    def _render(self, expansion: _Expansion) -> Iterator[int]:
        """Render the message's body after its header, yielding after each piece the
        number of the text's characters it showed; then its footer."""
        # (Imported here: the transcript imports this module.)
        from grokdesk.ui.chat.transcript import _escape_lines, _renumber_copy_links

        view = self._view
        message = expansion.message
        code_blocks = expansion.rendered.code_blocks
        for part in message.parts:
            if isinstance(part, ImagePart):
                self._insert(expansion, view._image_html(part))
                yield 0
                continue
            if message.role is Role.NOTICE:
                self._insert(expansion, f"<p>{_escape_lines(part.text)}</p>")
                yield len(part.text)
                continue
            for piece in pieces(part.text):
                if isinstance(piece, MarkdownPiece):
                    rendered = view._markdown(piece.text)
                    self._insert(expansion, _renumber_copy_links(rendered.html, message.id, len(code_blocks)))
                    code_blocks.extend(rendered.code_blocks)
                    yield len(piece.text)
                elif isinstance(piece, PlainPiece):
                    yield from self._plain(expansion, piece.text)
                else:
                    yield from self._code(expansion, piece)
        footer = view._footer_html(message).rstrip()
        if footer:
            self._insert(expansion, footer)
        yield 0

    def _end_cursor(self, expansion: _Expansion) -> QTextCursor:
        cursor = QTextCursor(self._view.document())
        cursor.setPosition(expansion.rendered.frame.lastPosition())
        return cursor

    def _insert(self, expansion: _Expansion, html_text: str) -> None:
        cursor = self._end_cursor(expansion)
        cursor.beginEditBlock()  # one layout pass for the HTML and the paragraph it removes
        try:
            self._view._insert_html(cursor, html_text)
        finally:
            cursor.endEditBlock()

    def _plain(self, expansion: _Expansion, text: str) -> Iterator[int]:
        """A paragraph too long for Markdown, in display segments (the first covers what
        the collapsed message showed, so no seam moves the text the user was reading)."""
        bottom = 0.0
        for index, segment in enumerate(segments(text, first=SHOWN_CHARS)):
            if index == 0:
                self._insert(expansion, f'<p style="white-space: pre-wrap;">{escape(segment)}</p>')
                bottom = self._end_cursor(expansion).blockFormat().bottomMargin()
            else:
                self._append_segment(expansion, segment)
            yield len(segment)
        # The paragraph's own space below it, on its last segment.
        cursor = self._end_cursor(expansion)
        block_format = cursor.blockFormat()
        block_format.setBottomMargin(bottom)
        with self._view.math.no_formulas():
            cursor.setBlockFormat(block_format)

    def _append_segment(self, expansion: _Expansion, segment: str) -> None:
        """Continue the paragraph at the frame's end with `segment` in a block of its own,
        no space between them (its lines after the first are real line breaks)."""
        view = self._view
        cursor = self._end_cursor(expansion)
        joined = cursor.blockFormat()
        joined.setTopMargin(0)
        joined.setBottomMargin(0)
        frame_start = expansion.rendered.frame.firstPosition()
        first, *rest = segment.split("\n")
        cursor.beginEditBlock()  # one layout pass for the segment
        try:
            with view.math.no_formulas():  # plain text: no formula to look for
                cursor.setBlockFormat(joined)
                cursor.insertBlock(joined)
                seam = cursor.position() - frame_start
                expansion.seams.append((seam - 1, seam))
                cursor.insertText(first)
                for line in rest:
                    cursor.insertBlock(joined)
                    cursor.insertText(line)
        finally:
            cursor.endEditBlock()

    def _code(self, expansion: _Expansion, piece: CodePiece) -> Iterator[int]:
        """A code block: its header and first lines in one table, the rest in tables
        joined under it, each sized to take about CODE_PIECE_S."""
        from grokdesk.core.codelines import CodeLines
        from grokdesk.core.markdown import DARK, LIGHT
        from grokdesk.core.markdownparser import code_language, code_rows, code_table

        view = self._view
        theme = DARK if view._theme.dark else LIGHT
        code_blocks = expansion.rendered.code_blocks
        index = len(code_blocks)
        code_blocks.append(piece.code)
        language = code_language(piece.info)
        lines = CodeLines(piece.code, language, dark=view._theme.dark)
        count = CODE_LINES_FIRST
        first = True
        while first or not lines.done:
            started = time.perf_counter()
            body = lines.take(count)
            more = not lines.done
            if first:
                label = escape(language) if language else "code"
                self._insert(expansion, code_table(body, label, index, theme, view._copy_label, more=more))
            else:
                self._join_table(expansion, code_rows(body, theme, more=more))
            first = False
            # Sized from the last piece (its fixed cost, ~2 ms, included: so not below MIN).
            elapsed = max(time.perf_counter() - started, 1e-4)
            count = max(CODE_LINES_MIN, min(CODE_LINES_MAX, int(count * CODE_PIECE_S / elapsed)))
            yield len(body)

    def _join_table(self, expansion: _Expansion, table_html: str) -> None:
        """Add a table of more lines under the code block's last one (the HTML leaves no
        margin or padding between them) and flatten the line Qt keeps between two tables."""
        view = self._view
        frame = expansion.rendered.frame
        # That line: the empty block at the frame's end, below the table above.
        between = frame.lastPosition()
        cursor = QTextCursor(view.document())
        cursor.beginEditBlock()  # one layout pass for the table and the line
        try:
            self._insert(expansion, table_html)
            cursor.setPosition(between)
            line = cursor.blockFormat()
            line.setLineHeight(0, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
            line.setTopMargin(0)
            line.setBottomMargin(0)
            with view.math.no_formulas():  # a format only: nothing for the math hook to read
                cursor.setBlockFormat(line)
        finally:
            cursor.endEditBlock()
        # Of the two characters between the tables' lines (that line's and the table's
        # start) one stands for the line break: the other is no part of the text.
        offset = between - frame.firstPosition()
        expansion.seams.append((offset, offset + 1))


def _has_long_text(message: Message) -> bool:
    return any(
        _cut(message, part.text) is not None for part in message.parts if not isinstance(part, ImagePart)
    )


def _cut(message: Message, text: str) -> int | None:
    """Where the transcript cuts a text part of `message` (TranscriptView._cut)."""
    if message.role is Role.USER:
        return collapse_at(text, chars=PASTE_CHARS, lines=PASTE_LINES)
    return collapse_at(text)


def _shown_before(message: Message) -> int:
    """How many of the text's characters the collapsed message showed (down to its last
    cut): the first turn renders at least that much."""
    total = 0
    shown = 0
    for part in message.parts:
        if isinstance(part, ImagePart):
            continue
        cut = _cut(message, part.text)
        if cut is not None:
            shown = total + cut
        total += len(part.text)
    return shown


def _text_between(document: QTextDocument, start: int, end: int) -> str:
    cursor = QTextCursor(document)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    return cursor.selectedText()


def _utf16_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2
