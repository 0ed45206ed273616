"""Markdown of model replies rendered to SAFE HTML for Qt's rich-text subset.

Parser: markdown-it-py in CommonMark mode (plus GitHub tables, strikethrough,
task lists and autolinks). It passes the CommonMark spec tests, is linear on
pathological input (it is a port of markdown-it, which was hardened against
quadratic cases), has a token stream we can render ourselves, and its plugins
cover the GitHub extensions. mistune is faster but departs from CommonMark in
many edge cases (emphasis, lists, link parsing); Qt's own `setMarkdown`
(md4c) cannot be told to refuse remote images or unsafe links and gives no hook
for highlighting or copy buttons.

Model output is shown, never obeyed (it may carry anything a web page could): raw HTML is escaped and
shown as text; images are never emitted as <img> (nothing is fetched); only
http, https and mailto links become clickable, anything else stays plain text.
Code blocks are highlighted with Pygments (inline styles), labelled, and get a
`copy:N` link, N indexing `Rendered.code_blocks`. A language's lexer is loaded once;
a block rendered without colours while it streams loads its lexer in a background
thread meanwhile, so colouring it when it ends does not stall the view
(core/markdownparser.py).

LaTeX math (see core/math.py) becomes `<img src="math:…">`, the only image emitted:
its URL holds the formula, which the view typesets itself (nothing is fetched). With
`math_images=False` formulas are written as their source instead (plain-text copies).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from grokdesk.core.math import Formula

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

SAFE_SCHEMES = ("http:", "https:", "mailto:")
# Above this a code block is shown without colours: highlighting time grows with
# the text, and some lexers slow down badly on hostile input.
MAX_HIGHLIGHT_CHARS = 50_000
# Largest block parsed as Markdown; see render_markdown.
MAX_BLOCK_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Theme:
    """Colours of the rendered HTML; the UI's light and dark themes use these two."""

    pygments_style: str
    inline_code_background: str
    border: str
    muted: str
    code_background: str
    code_header: str


# Code text keeps 4.5:1 contrast on these backgrounds in every Pygments token colour.
LIGHT = Theme("default", "#eff1f4", "#d8dee4", "#59636e", "#fafbfc", "#eef1f4")
DARK = Theme("github-dark", "#2d3138", "#30363d", "#9ba3ad", "#14171c", "#20242b")


@dataclass(slots=True)
class Rendered:
    html: str
    code_blocks: list[str] = field(default_factory=list)
    formulas: list[Formula] = field(default_factory=list)


def is_safe_link(url: str) -> bool:
    """Only links the system browser or mail client should open."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


_parsers: dict[bool, MarkdownIt] = {}
# Held while a parser is made: a render on the UI thread while the warm-up makes the
# same parser waits for it (without the interpreter lock) instead of making a second.
_parsers_lock = threading.Lock()
# The markdown-it and Pygments imports made ahead (see `warm_up`), and the highlighter's
# lexers (core/markdownparser.py): one thread for all, so two of them never import the
# same modules at once, and starting a thread per job would wait for each to run.
background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="markdown-warm-up")
_warming: Future[None] | None = None


def _parser(dark: bool) -> MarkdownIt:
    """The parser for a theme, made by the warm-up or else by its first render:
    markdown-it is imported then (core/markdownparser.py), after the window's first
    paint, and a parser (its linkify patterns) is compiled only for a theme in use."""
    parser = _parsers.get(dark)
    if parser is None:
        with _parsers_lock:
            parser = _parsers.get(dark)
            if parser is None:
                from grokdesk.core.markdownparser import make_parser

                parser = _parsers[dark] = make_parser(DARK if dark else LIGHT)
    return parser


def warm_up(dark: bool) -> Future[None]:
    """Import markdown-it and Pygments and make the parser for a theme on a background
    thread, once (the window asks when its content is painted): done by the first
    render on the UI thread, they stalled the first reply of a new window for ~0.1 s."""
    global _warming
    # Cancelled while it waited for the thread (a window that asked was closed): asked again.
    if _warming is None or _warming.cancelled():
        _warming = background.submit(_warm, dark)
    return _warming


def _warm(dark: bool) -> None:
    from grokdesk.core.markdownparser import warm_pygments

    # A render runs the rules' first-use set-up too (linkify's patterns on a link).
    _parser(dark).render("# a\n\n*b* `c` https://x.ai\n\n```\nd\n```\n\n| e |\n|---|\n| f |\n", {})
    warm_pygments()


def _wait_for_warm_up() -> None:
    """A render while the warm-up runs waits for it: what remains of its work is what
    the render would do itself, and the two never import the same modules at once."""
    warming = _warming
    if warming is None or warming.done() or threading.current_thread().name.startswith("markdown-warm-up"):
        return  # (on the warm-up's own thread it would wait for itself)
    wait([warming])  # without the interpreter lock; a failure is left to the render, which redoes it


def render_markdown(
    text: str,
    *,
    dark: bool = False,
    highlight: bool = True,
    copy_label: str = "Copy",
    math_images: bool = True,
) -> Rendered:
    """Safe HTML for a QTextBrowser, the code blocks its `copy:N` links refer to, and
    the formulas its `math:` images stand for (their source instead with `math_images=False`).

    `copy_label` is the (trusted) HTML inside each code block's copy link.
    `highlight=False` skips Pygments: meant for the still-streaming tail, where a
    long open code fence would otherwise be re-highlighted on every update.

    Time is bounded on hostile input: markdown-it is linear, but some inline
    patterns ("[a](" repeated) cost ~50 us a character. Long texts are rendered
    block by block, and a single block over MAX_BLOCK_CHARS (other than a code
    fence, which is cheap to parse) is shown as plain text.
    """
    _wait_for_warm_up()
    parser = _parser(dark)
    env: dict[str, Any] = {
        "code_blocks": [],
        "formulas": [],
        "highlight": highlight,
        "copy_label": copy_label,
        "math_images": math_images,
    }
    if len(text) <= MAX_BLOCK_CHARS:
        return Rendered(
            _without_empty_paragraphs(parser.render(text, env)), env["code_blocks"], env["formulas"]
        )
    pieces = []
    cuts = [0, *_boundaries(text, 0), len(text)]
    for begin, end in itertools.pairwise(cuts):
        block = text[begin:end]
        if len(block) <= MAX_BLOCK_CHARS or _FENCE.match(block):
            pieces.append(parser.render(block, env))
        elif block.strip():
            pieces.append(f'<p style="white-space: pre-wrap;">{escape(block.strip())}</p>\n')
    return Rendered(_without_empty_paragraphs("".join(pieces)), env["code_blocks"], env["formulas"])


_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>")


def _without_empty_paragraphs(html_text: str) -> str:
    """Drop the empty paragraphs a display formula leaves when it opens or ends its
    paragraph (Qt would show each as a blank line)."""
    return _EMPTY_PARAGRAPH.sub("", html_text) if "math:d/" in html_text else html_text


_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")


def split_stable_prefix(text: str, start: int = 0) -> int:
    """The index up to which streaming Markdown consists of finished blocks.

    A block is finished when a blank line outside any code fence is followed by
    a line that starts without indentation (so a list continuation or indented
    code is not cut off). Rendering `text[:n]` once and re-rendering only
    `text[n:]` keeps the cost of a streaming update independent of the reply's
    length. `start` must be 0 or an index this function returned for a prefix
    of the same text; scanning resumes there, so each call costs only the new text.
    """
    return max(_boundaries(text, start), default=start)


def next_stable_prefix(text: str, start: int, budget: int) -> int:
    """Like `split_stable_prefix`, but stopping at the last finished block that ends
    within `budget` characters of `start` (or at the first one, if even that is longer),
    so a streaming view can render a big backlog a slice at a time."""
    best = start
    for boundary in _boundaries(text, start):
        if boundary - start > budget:
            return boundary if best == start else best
        best = boundary
    return best


def _boundaries(text: str, start: int) -> Iterator[int]:
    """Every index after `start` where a finished block ends and the next begins."""
    fence: tuple[str, int] | None = None
    after_blank = False
    position = start
    length = len(text)
    while position < length:
        end = text.find("\n", position)
        if end < 0:
            # The last line is still arriving: only its first character counts.
            if after_blank and fence is None and not text[position].isspace():
                yield position
            return
        line = text[position:end]
        if fence is None:
            if not line.strip():
                after_blank = True
            else:
                if after_blank and not line[0].isspace():
                    yield position
                after_blank = False
                opening = _FENCE.match(line)
                if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
                    fence = (opening.group(1)[0], len(opening.group(1)))
        else:
            closing = _FENCE.match(line)
            if (
                closing
                and not closing.group(2).strip()
                and closing.group(1)[0] == fence[0]
                and len(closing.group(1)) >= fence[1]
            ):
                fence = None
        position = end + 1
