"""Where a text too long to lay out is cut, and the code block a cut falls in."""

from __future__ import annotations

from grokdesk.core.longtext import (
    SHOWN_CHARS,
    SHOWN_LINES,
    collapse_at,
    is_long_paste,
    open_code_block,
    size_text,
)


def test_ordinary_texts_are_shown_whole() -> None:
    assert collapse_at("short") is None
    assert collapse_at("a line\n" * 2_000) is None  # 14 KB: laid out quickly
    assert collapse_at(("w" * 59 + "\n") * 2_500) is None  # nor 150 KB in 2,500 lines


def test_long_texts_show_whole_lines_of_their_start() -> None:
    code = "\n".join(f"value_{i:05d}=compute({i})" for i in range(10_000))
    cut = collapse_at(code)
    assert cut is not None and code[:cut].count("\n") == SHOWN_LINES and code[cut - 1] == "\n"
    line = " ".join("w" * 49 for _ in range(20_000))  # 1 MB on one line
    assert collapse_at(line) == SHOWN_CHARS


def test_the_cut_of_a_growing_text_does_not_move() -> None:
    code = "\n".join(f"value_{i:05d}=compute({i})" for i in range(10_000))
    first = next(collapse_at(code[:n]) for n in range(0, len(code), 5_000) if collapse_at(code[:n]))
    assert first == collapse_at(code)


def test_a_cut_inside_a_code_block_finds_the_whole_block() -> None:
    body = "".join(f"v{i}\n" for i in range(5_000))
    text = f"Here:\n~~~\nnot a fence\n~~~\n\n````python\n```\n{body}````\nafter"
    cut = collapse_at(text, lines=2_000)
    assert cut is not None
    assert open_code_block(text, cut) == "```\n" + body
    assert open_code_block("no fence\n" * 10, 20) is None


def test_paste_thresholds_and_sizes() -> None:
    assert not is_long_paste("x" * 100_000) and is_long_paste("x" * 100_001)
    assert is_long_paste("\n" * 2_000)
    assert size_text("a\n" * 10_000) == "10,000 lines, 20 KB"
    assert size_text("x" * 1_000_000) == "1.0 MB"
    assert size_text("é" * 500_000) == "1.0 MB"  # as sent, in UTF-8
