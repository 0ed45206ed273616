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
`copy:N` link, N indexing `Rendered.code_blocks`. A language's lexer is loaded once
(its first use compiles its rules: ~60 ms for Python); a block rendered without colours
while it streams loads its lexer in a background thread meanwhile, so colouring it
when it ends does not stall the view.

LaTeX math (see core/math.py) becomes `<img src="math:…">`, the only image emitted:
its URL holds the formula, which the view typesets itself (nothing is fetched). With
`math_images=False` formulas are written as their source instead (plain-text copies).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from grokdesk.core.math import MAX_FORMULA_CHARS, Formula, math_plugin, math_url

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


def _code_label(info: str) -> str:
    return info.split(maxsplit=1)[0] if info.strip() else ""


@functools.lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    """The lexer for a fence's language (None: unknown). Made once: a lexer keeps no
    state between texts, and making the first of a kind compiles all of its rules."""
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@functools.lru_cache(maxsize=4)
def _formatter(style: str) -> HtmlFormatter[str]:
    return HtmlFormatter(noclasses=True, nowrap=True, style=style)


_warmed: set[str] = set()
_warmed_lock = threading.Lock()
# One thread for every language: starting a thread waits for it to run, which on a
# busy machine can take a while.
_warm_up = ThreadPoolExecutor(max_workers=1, thread_name_prefix="highlighter-warm-up")


def warm_highlighter(language: str) -> None:
    """Load `language`'s lexer in a background thread, once: a code block still
    streaming is shown without colours, and loading its lexer when it ends (the
    colours) would otherwise stall the UI thread for tens of milliseconds."""
    language = language.lower()
    with _warmed_lock:
        if not language or language in _warmed:
            return
        _warmed.add(language)

    def load() -> None:
        lexer = _lexer(language)
        if lexer is not None:
            # The rules compile on the first text, in some lexers.
            for _ in lexer.get_tokens(" "):
                pass
        for theme in (LIGHT, DARK):
            _formatter(theme.pygments_style)  # imports the style's module the first time

    _warm_up.submit(load)


def _highlighted(code: str, language: str, theme: Theme) -> str:
    if not language or len(code) > MAX_HIGHLIGHT_CHARS:
        return escape(code)
    lexer = _lexer(language.lower())
    if lexer is None:
        return escape(code)
    return str(highlight(code, lexer, _formatter(theme.pygments_style))).removesuffix("\n")


class _QtRenderer(RendererHTML):
    """Rules for the tokens whose default HTML is unsafe or outside Qt's subset."""

    def __init__(self, parser: MarkdownIt | None = None) -> None:
        super().__init__(parser)
        self.theme = LIGHT

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        return self._code_block(token.content, _code_label(token.info), env)

    def code_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._code_block(tokens[idx].content, "", env)

    def _code_block(self, code: str, language: str, env: EnvType) -> str:
        blocks: list[str] = env.setdefault("code_blocks", [])
        index = len(blocks)
        blocks.append(code)
        theme = self.theme
        code = code.removesuffix("\n")
        if env.get("highlight", True):
            body = _highlighted(code, language, theme)
        else:
            body = escape(code)
            if language:
                warm_highlighter(language)  # coloured once it is finished
        label = escape(language) if language else "code"
        # A header bar (language, copy) over the code, like the code blocks people know.
        copy = env.get("copy_label", "Copy")
        return (
            f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{theme.code_background}"'
            ' style="margin-top: 6px; margin-bottom: 8px;">'
            f'<tr><td width="85%" bgcolor="{theme.code_header}"><span style="color: {theme.muted}; font-size: small;">'
            f"{label}</span></td>"
            f'<td bgcolor="{theme.code_header}" align="right"><a href="copy:{index}" '
            f'style="color: {theme.muted}; text-decoration: none; font-size: small;">{copy}</a></td></tr>'
            f'<tr><td colspan="2"><pre style="margin: 0;">{body}</pre></td></tr></table>\n'
        )

    def code_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        code = escape(tokens[idx].content)
        return f'<code style="background-color: {self.theme.inline_code_background};">{code}</code>'

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # Never an <img>: a remote image would be fetched, telling a stranger we read it.
        token = tokens[idx]
        alt = escape(self.renderInlineAsText(token.children or [], options, env))
        src = str(token.attrGet("src") or "")
        where = f'<a href="{escape(src)}">{escape(src)}</a>' if is_safe_link(src) else escape(src)
        return f'<span style="color: {self.theme.muted};">[image: {alt}]</span> ({where})'

    def html_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # Raw HTML is off, so only the task-list plugin makes these; Qt has no <input>.
        content = tokens[idx].content
        if "task-list-item-checkbox" in content:
            return "\u2611" if 'checked="checked"' in content else "\u2610"
        return escape(content)

    def html_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return f"<p>{escape(tokens[idx].content)}</p>"

    def table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return (
            f'<table border="1" cellspacing="0" cellpadding="6" style="border-color: {self.theme.border};">\n'
        )

    def bullet_list_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if "contains-task-list" in str(tokens[idx].attrGet("class") or ""):
            return '<ul style="list-style-type: none;">\n'
        return "<ul>\n"

    def paragraph_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # A display formula inside a paragraph closes it to stand centred on its own line;
        # it must know whether there is a <p> to close (a tight list item has none).
        env["in_paragraph"] = not tokens[idx].hidden
        return self.renderToken(tokens, idx, options, env)

    def paragraph_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        env["in_paragraph"] = False
        return self.renderToken(tokens, idx, options, env)

    def math_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._formula(tokens[idx].meta["formula"], env)

    def math_display(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        image = self._formula(tokens[idx].meta["formula"], env)
        if not env.get("math_images", True):
            return image
        if env.get("in_paragraph"):
            return f'</p><p align="center">{image}</p><p>'
        return f"<br />{image}<br />"

    def math_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        image = self._formula(tokens[idx].meta["formula"], env)
        if not env.get("math_images", True):
            return f'<p style="white-space: pre-wrap;">{image}</p>\n'
        return f'<p align="center">{image}</p>\n'

    def math_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # A display formula still arriving: its source as it is, until it closes.
        return f'<p style="white-space: pre-wrap;">{escape(tokens[idx].content)}</p>\n'

    def _formula(self, formula: Formula, env: EnvType) -> str:
        if not env.get("math_images", True):
            return escape(formula.source)
        if len(formula.latex) > MAX_FORMULA_CHARS:
            code = escape(formula.source)
            return f'<code style="background-color: {self.theme.inline_code_background};">{code}</code>'
        formulas: list[Formula] = env.setdefault("formulas", [])
        formulas.append(formula)
        return f'<img src="{math_url(formula)}" />'

    def blockquote_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return f'<blockquote style="color: {self.theme.muted};">\n'


def _parser(theme: Theme) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark", {"html": False, "linkify": True, "typographer": False}, renderer_cls=_QtRenderer
    )
    md.enable(["table", "strikethrough", "linkify"])
    md.use(tasklists_plugin)
    md.use(math_plugin)
    # A link that fails validation stays literal text: nothing but http(s) and mailto is clickable.
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    renderer: Any = md.renderer
    renderer.theme = theme
    return md


_PARSERS = {id(theme): _parser(theme) for theme in (LIGHT, DARK)}


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
    parser = _PARSERS[id(DARK if dark else LIGHT)]
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
