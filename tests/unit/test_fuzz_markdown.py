"""Markdown rendering of random and hostile text: never a crash, never a hang
(hypothesis deadline), never anything that loads or runs."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grokdesk.core.markdown import render_markdown, split_stable_prefix
from tests.helpers.safe_html import assert_safe_html

FRAGMENTS = [
    "\n", "\n\n", "    ", "```", "```python\n", "~~~", "`", "*", "**", "_", "~~", "[", "]", "(", ")", "![",
    "](", "<", ">", "&", "&#58;", "&amp;", "#", "> ", "- ", "1. ", "- [ ] ", "- [x] ", "|", "|---|", "\\",
    "javascript:alert(1)", "JaVaScRiPt:", "file:///etc/passwd", "data:text/html,", "http://127.0.0.1:1/x",
    "https://example.com", "www.example.com", "a@b.co", "<script>", "</script>", "<img src=x onerror=alert(1)>",
    "<iframe src=http://x>", "<a href=javascript:x>", "\"", "'", "\u202e", "\x00", "é", "日本",
]  # fmt: skip

markdownish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=80).map("".join)

FUZZ = settings(
    max_examples=400, deadline=3000, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@FUZZ
@given(markdownish, st.booleans())
def test_random_markdown_renders_safely(text: str, dark: bool) -> None:
    rendered = render_markdown(text, dark=dark)
    assert_safe_html(rendered.html)
    assert "<script" not in rendered.html.lower()
    # The only images are typeset formulas (the math: scheme carries their LaTeX); nothing
    # a reply writes can make the transcript load an image from elsewhere.
    sources = re.findall(r"<img\b[^>]*>", rendered.html, flags=re.IGNORECASE)
    assert all(re.search(r'\bsrc="math:[id]/[A-Za-z0-9_=-]*"', tag) for tag in sources), sources


@FUZZ
@given(st.text(max_size=400))
def test_any_unicode_renders_safely(text: str) -> None:
    assert_safe_html(render_markdown(text).html)


@FUZZ
@given(markdownish, st.integers(min_value=0, max_value=2000))
def test_stable_prefix_is_monotonic_and_resumable(text: str, cut: int) -> None:
    cut = min(cut, len(text))
    earlier = split_stable_prefix(text[:cut])
    full = split_stable_prefix(text)
    assert 0 <= earlier <= full <= len(text)
    assert split_stable_prefix(text, earlier) == full
