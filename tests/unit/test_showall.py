"""The pieces "Show all" lays a long text out in (core/showall.py) and a long code
block's lines coloured a few at a time (core/codelines.py)."""

from __future__ import annotations

import re
from html import unescape

from grokdesk.core import codelines
from grokdesk.core.codelines import CodeLines
from grokdesk.core.markdown import render_markdown
from grokdesk.core.showall import CodePiece, MarkdownPiece, PlainPiece, pieces, segments


def test_segments_join_back_into_the_text_and_end_after_a_sentence() -> None:
    text = " ".join(f"Sentence number {i} has some words in it." for i in range(3_000))
    parts = list(segments(text, 4_000, first=10_000))
    assert "".join(parts) == text
    assert len(parts[0]) >= 10_000 and all(len(part) <= 4_000 for part in parts[1:])
    assert all(part.endswith(". ") for part in parts[:-1])


def test_a_text_with_no_space_is_cut_where_it_must() -> None:
    text = "x" * 10_500
    assert list(segments(text, 4_000)) == ["x" * 4_000, "x" * 4_000, "x" * 2_500]


def test_a_long_text_is_cut_as_a_render_at_once_cuts_it() -> None:
    line = "word " * 10_000
    code = "\n".join(f"line {i}" for i in range(5_000))
    text = f"# Title\n\nSome *text*.\n\n{line}\n\n```python\n{code}\n```\nAfter the fence.\n\nThe end."
    found = list(pieces(text))
    assert found == [
        MarkdownPiece("# Title\n\nSome *text*.\n\n"),
        PlainPiece(line.strip()),
        CodePiece(code + "\n", "python"),
        MarkdownPiece("After the fence.\n\n"),
        MarkdownPiece("The end."),
    ]
    # The same code block as markdown-it sees it (what its Copy link copies).
    whole = render_markdown(f"```python\n{code}\n```\n", highlight=False)
    assert whole.code_blocks == [code + "\n"]


def test_an_unclosed_fence_runs_to_the_end() -> None:
    code = "\n".join(f"line {i}" for i in range(5_000))
    assert list(pieces(f"```\n{code}")) == [CodePiece(code, "")]


def _text(html_lines: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html_lines))


def test_code_lines_come_coloured_a_few_at_a_time_and_whole() -> None:
    code = '"""A string\nacross lines"""\n' + "\n".join(f"x_{i} = {i}  # note" for i in range(500))
    lines = CodeLines(code + "\n", "python", dark=False)
    taken = [lines.take(1), lines.take(1)]
    while not lines.done:
        taken.append(lines.take(37))
    assert lines.coloured
    assert "\n".join(_text(html) for html in taken) == code
    # The second line is still inside the string the first opened: coloured as a string.
    assert taken[0].startswith("<span") and taken[1].startswith("<span") and "across" in taken[1]
    assert taken[1][: taken[1].index(">")] == taken[0][: taken[0].index(">")]


def test_code_lines_of_no_language_known_are_plain() -> None:
    code = "\n".join(f"<x_{i}> & {i}" for i in range(300))
    for lines in (CodeLines(code, "", dark=False), CodeLines(code, "no-such-language", dark=True)):
        taken = []
        while not lines.done:
            taken.append(lines.take(100))
        assert not lines.coloured and "<span" not in "".join(taken)
        assert "\n".join(unescape(html) for html in taken) == code


def test_code_lines_past_the_colour_limit_are_plain() -> None:
    code = "x = 1\n" * (codelines.COLOUR_CHARS // 6 + 1)
    lines = CodeLines(code, "python", dark=False)
    assert not lines.coloured and lines.take(2) == "x = 1\nx = 1"
