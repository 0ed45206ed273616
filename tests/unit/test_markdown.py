"""Markdown of replies rendered to safe HTML for the transcript: CommonMark with
GitHub extensions, highlighted code with copy links, nothing loaded or run."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from grokdesk.core import markdown, markdownparser
from grokdesk.core.markdown import (
    MAX_BLOCK_CHARS,
    MAX_HIGHLIGHT_CHARS,
    Theme,
    is_safe_link,
    render_markdown,
    split_stable_prefix,
)
from tests.helpers.safe_html import assert_safe_html, hrefs_of, tags_of


def html(text: str) -> str:
    rendered = render_markdown(text).html
    assert_safe_html(rendered)
    return rendered


def test_commonmark_basics() -> None:
    out = html("# Title\n\nSome *em* and **strong** text.\n\n1. one\n2. two\n\n---\n")
    assert "<h1>Title</h1>" in out
    assert "<em>em</em>" in out
    assert "<strong>strong</strong>" in out
    assert "<ol>" in out
    assert "<hr />" in out


def test_github_extensions() -> None:
    out = html("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n\n- [ ] todo\n- [x] done\n")
    assert '<table border="1"' in out
    assert "<td>1</td>" in out
    assert "<s>gone</s>" in out
    assert "\u2610 todo" in out
    assert "\u2611 done" in out
    assert "<input" not in out


def test_autolinks_and_safe_links_are_clickable() -> None:
    out = html(
        "See www.example.com, <https://a.example/x?y=1&z=2>, [docs](http://docs.example) and me@example.com"
    )
    assert hrefs_of(out) == [
        "http://www.example.com",
        "https://a.example/x?y=1&z=2",
        "http://docs.example",
        "mailto:me@example.com",
    ]


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](javascript&#58;alert(1))",
        "[click]( javascript:alert(1))",
        "<javascript:alert(1)>",
        "[click](file:///etc/passwd)",
        "<file:///etc/passwd>",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox)",
        "[click](ftp://example.com/x)",
        "[click](relative/path.html)",
        "[click](#anchor)",
    ],
)
def test_dangerous_links_are_plain_text(link: str) -> None:
    out = html(f"Before {link} after")
    assert hrefs_of(out) == []
    assert "Before" in out
    assert "after" in out


def test_raw_html_is_shown_as_text() -> None:
    source = (
        '<script>alert(1)</script>\n\n<img src="http://127.0.0.1:9/x"> <iframe src="x"></iframe> <b>bold</b>'
    )
    out = html(source)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=&quot;" in out
    assert "&lt;iframe src=&quot;x&quot;&gt;" in out
    assert "&lt;b&gt;bold&lt;/b&gt;" in out
    # The address inside the text becomes a link (clicked, never fetched); nothing else is a tag.
    assert [tag for tag, _ in tags_of(out)] == ["p", "p", "a"]


def test_images_are_never_loaded() -> None:
    out = html("![a cat](http://127.0.0.1:9/cat.png) and ![local](file:///tmp/x.png)")
    assert "<img" not in out
    assert "[image: a cat]" in out
    assert hrefs_of(out) == ["http://127.0.0.1:9/cat.png"]  # a link the user may click, never fetched


def test_code_block_highlighted_with_label_and_copy_link() -> None:
    source = "Text\n\n```python\ndef f(x):\n    return '<tag>'\n```\n\n```\nplain <b>\n```\n"
    rendered = render_markdown(source)
    assert_safe_html(rendered.html)
    assert rendered.code_blocks == ["def f(x):\n    return '<tag>'\n", "plain <b>\n"]
    assert hrefs_of(rendered.html) == ["copy:0", "copy:1"]
    assert ">python</span>" in rendered.html
    assert 'style="color: #008000; font-weight: bold">def</span>' in rendered.html  # Pygments inline style
    assert "&#x27;&lt;tag&gt;&#x27;" in rendered.html or "&lt;tag&gt;" in rendered.html
    assert "plain &lt;b&gt;" in rendered.html
    assert ">code</span>" in rendered.html


def test_unknown_language_and_indented_code() -> None:
    rendered = render_markdown("```no-such-language\nx <y>\n```\n\n    indented\n")
    assert ">no-such-language</span>" in rendered.html
    assert "x &lt;y&gt;" in rendered.html
    assert rendered.code_blocks == ["x <y>\n", "indented\n"]


def test_inline_code_and_block_quote() -> None:
    out = html("Use `a < b` here.\n\n> quoted *text*\n")
    assert "<code" in out
    assert "a &lt; b</code>" in out
    assert "<blockquote" in out
    assert "<em>text</em>" in out


def test_dark_theme_changes_colours_only() -> None:
    light = render_markdown("```python\nx = 1\n```\n")
    dark = render_markdown("```python\nx = 1\n```\n", dark=True)
    assert light.html != dark.html
    assert light.code_blocks == dark.code_blocks


def test_streaming_tail_can_skip_highlighting() -> None:
    plain = render_markdown("```python\nx = 1\n", highlight=False)
    assert plain.code_blocks == ["x = 1\n"]
    assert '<pre style="margin: 0;">x = 1</pre>' in plain.html
    # Meanwhile the block's lexer is loaded in the background: colouring the finished
    # block takes it ready-made instead of compiling its rules then.
    markdown.background.submit(lambda: None).result(timeout=30)
    loads = markdownparser._lexer.cache_info().misses
    assert "<span" in render_markdown("```python\nx = 1\n```\n").html
    assert markdownparser._lexer.cache_info().misses == loads


def test_a_render_during_the_warm_up_waits_for_its_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in a new window: nothing made yet, the warm-up asked for, a reply rendered at once.
    monkeypatch.setattr(markdown, "_parsers", {})
    monkeypatch.setattr(markdown, "_warming", None)
    made: list[Theme] = []
    make = markdownparser.make_parser

    def counted(theme: Theme) -> MarkdownIt:
        made.append(theme)
        return make(theme)

    monkeypatch.setattr(markdownparser, "make_parser", counted)
    warming = markdown.warm_up(dark=True)
    assert markdown.warm_up(dark=True) is warming  # once per process
    rendered = render_markdown("Some **bold** and https://x.ai\n\n```python\nx = 1\n```\n", dark=True)
    assert warming.done() and made == [markdown.DARK]  # one parser, made by the warm-up
    assert "<b>bold</b>" in rendered.html or "<strong>bold</strong>" in rendered.html
    assert '<a href="https://x.ai">' in rendered.html and "<span" in rendered.html


def test_is_safe_link() -> None:
    assert is_safe_link("https://x.example")
    assert is_safe_link("MAILTO:a@b.c")
    assert not is_safe_link("javascript:alert(1)")
    assert not is_safe_link("file:///etc/passwd")


# --- large and hostile input: bounded time (pytest-timeout fails a hang) -------


@pytest.mark.timeout(60)
def test_ten_thousand_line_code_block() -> None:
    code = "".join(f"value_{i} = compute({i}) + 1  # line {i}\n" for i in range(10_000))
    rendered = render_markdown(f"```python\n{code}```\n")
    assert rendered.code_blocks == [code]
    assert len(code) > MAX_HIGHLIGHT_CHARS  # shown without colours, still complete
    assert "value_9999 = compute(9999)" in rendered.html


@pytest.mark.timeout(60)
def test_one_megabyte_single_line() -> None:
    line = "word [a]( *b _c <d> " * 50_000
    assert len(line) >= 1_000_000
    out = render_markdown(line).html
    assert_safe_html(out)
    assert out.count("word") == 50_000


@pytest.mark.timeout(60)
def test_long_normal_reply_keeps_its_markdown() -> None:
    block = "A paragraph with **bold** text.\n\n```python\nprint(1)\n```\n\n"
    text = block * (2 * MAX_BLOCK_CHARS // len(block))
    rendered = render_markdown(text)
    assert rendered.html.count("<strong>bold</strong>") == text.count("**bold**")
    assert len(rendered.code_blocks) == text.count("```python")
    assert hrefs_of(rendered.html)[-1] == f"copy:{len(rendered.code_blocks) - 1}"


# --- stable prefix for streaming ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stable_before"),
    [
        ("Hello", None),
        ("Hello\n\n", None),
        ("Hello\n\nWor", "Wor"),
        ("Para one\n\nPara two\n\nPara th", "Para th"),
        ("```python\nx = 1\n\ny = 2\n", None),  # a blank line inside an open fence
        ("```\nx\n\ny\n```\n\nAfter", "After"),
        ("~~~\na\n\n```\n\nb\n", None),  # ``` does not close a ~~~ fence
        ("- item\n\n  continued", None),  # indented: may belong to the item
        ("    code\n\n    more", None),
        ("Intro\n\n```js\nlet a;\n\nlet b;", "```js"),
    ],
)
def test_split_stable_prefix(text: str, stable_before: str | None) -> None:
    expected = 0 if stable_before is None else text.index(stable_before)
    assert split_stable_prefix(text) == expected


def test_split_resumes_from_an_earlier_answer() -> None:
    text = "One\n\n```\na\n\nb\n```\n\nTwo\n\nThree"
    first = split_stable_prefix(text[:12])
    assert split_stable_prefix(text, first) == split_stable_prefix(text) == text.index("Three")


def test_stable_prefix_renders_the_same_blocks() -> None:
    text = "# Head\n\nSome text.\n\n```py\nx = 1\n```\n\n| a |\n|---|\n| 1 |\n\nTail *still* stream"
    cut = split_stable_prefix(text)
    whole = render_markdown(text)
    head, tail = render_markdown(text[:cut]), render_markdown(text[cut:])
    assert head.html + tail.html == whole.html
    assert head.code_blocks + tail.code_blocks == whole.code_blocks


def test_next_stable_prefix_takes_a_slice_of_finished_blocks() -> None:
    from grokdesk.core.markdown import next_stable_prefix, split_stable_prefix

    blocks = [f"Paragraph {i} " + "word " * 40 + "\n\n" for i in range(20)]
    text = "".join(blocks) + "still arriving"
    whole = split_stable_prefix(text)
    first = next_stable_prefix(text, 0, 500)
    assert 0 < first < whole and first <= 500 and text[first:].startswith("Paragraph")
    second = next_stable_prefix(text, first, 500)
    assert first < second <= first + 500
    # A single finished block longer than the budget still moves on.
    long_block = "x" * 2000 + "\n\nnext"
    assert next_stable_prefix(long_block, 0, 500) == split_stable_prefix(long_block)
