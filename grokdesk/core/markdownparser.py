"""The markdown-it side of core/markdown.py: the renderer for Qt's rich-text subset and
the parser set up with it.

Apart from core/markdown.py so that markdown-it (with linkify and the plugins) is
imported by the first render, not by importing core/markdown: the window imports that
before its first paint, and these imports cost more than the transcript's own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.tasklists import tasklists_plugin

from grokdesk.core.markdown import DARK, LIGHT, MAX_HIGHLIGHT_CHARS, Theme, background, is_safe_link
from grokdesk.core.math import MAX_FORMULA_CHARS, Formula, math_plugin, math_url

if TYPE_CHECKING:
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer


def _code_label(info: str) -> str:
    return info.split(maxsplit=1)[0] if info.strip() else ""


# Pygments is imported by the first highlighted block (or by a warm-up below): a
# conversation without code never needs it.


@functools.lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    """The lexer for a fence's language (None: unknown). Made once: a lexer keeps no
    state between texts, and making the first of a kind compiles all of its rules
    (~60 ms for Python)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@functools.lru_cache(maxsize=4)
def _formatter(style: str) -> HtmlFormatter[str]:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(noclasses=True, nowrap=True, style=style)


_warmed: set[str] = set()
_warmed_lock = threading.Lock()


def warm_pygments() -> None:
    """Import what every highlighted block needs, whatever its language (Pygments, its
    lexer registry, the HTML formatter and both themes' styles: each style is a module),
    and Python's lexer: a guess at the first block's language, ~60 ms of rules to compile."""
    from pygments import highlight  # noqa: F401

    for theme in (LIGHT, DARK):
        _formatter(theme.pygments_style)
    if _claim("python"):
        _load_lexer("python")


def warm_highlighter(language: str) -> None:
    """Load `language`'s lexer (and Pygments) in a background thread, once: a code
    block still streaming is shown without colours, and loading its lexer when it ends
    (the colours) would otherwise stall the UI thread for tens of milliseconds."""
    language = language.lower()
    if not _claim(language):
        return

    def load() -> None:
        _load_lexer(language)
        warm_pygments()

    # The thread of the markdown warm-up (core/markdown.py): one for every language too.
    background.submit(load)


def _claim(language: str) -> bool:
    """Whether `language`'s lexer is still to be loaded ahead (then by the caller)."""
    with _warmed_lock:
        if not language or language in _warmed:
            return False
        _warmed.add(language)
        return True


def _load_lexer(language: str) -> None:
    lexer = _lexer(language)
    if lexer is not None:
        # The rules compile on the first text, in some lexers.
        for _ in lexer.get_tokens(" "):
            pass


def lexer_for(language: str) -> Lexer | None:
    """The (shared) lexer for a fence's language, None when Pygments knows no such language."""
    return _lexer(language.lower())


def format_tokens(tokens: list[tuple[Any, str]], style: str) -> str:
    """Pygments tokens as the HTML a highlighted block's lines are made of."""
    from pygments import format as format_html

    return str(format_html(tokens, _formatter(style)))


def code_table(
    body: str, label: str, index: int, theme: Theme, copy_label: str, *, more: bool = False
) -> str:
    """A code block: a header bar (its language, its copy link) over its lines' HTML;
    with `more`, open at the bottom for the rest of its lines (see `code_rows`)."""
    return (
        f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{theme.code_background}"'
        f' style="margin-top: 6px; margin-bottom: {0 if more else 8}px;">'
        f'<tr><td width="85%" bgcolor="{theme.code_header}"><span style="color: {theme.muted}; font-size: small;">'
        f"{label}</span></td>"
        f'<td bgcolor="{theme.code_header}" align="right"><a href="copy:{index}" '
        f'style="color: {theme.muted}; text-decoration: none; font-size: small;">{copy_label}</a></td></tr>'
        f'<tr><td colspan="2"{_OPEN_BELOW if more else ""}><pre style="margin: 0;">{body}</pre></td></tr></table>\n'
    )


def code_rows(body: str, theme: Theme, *, more: bool) -> str:
    """More lines of the code block above, in a table of their own that continues it
    without a gap (a very long block is laid out in such pieces: ui/chat/expand.py);
    with `more`, open at the bottom for the next."""
    padding = "padding-top: 0px; padding-bottom: 0px;" if more else "padding-top: 0px;"
    return (
        f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{theme.code_background}"'
        f' style="margin-top: 0px; margin-bottom: {0 if more else 8}px;">'
        f'<tr><td style="{padding}"><pre style="margin: 0;">{body}</pre></td></tr></table>\n'
    )


_OPEN_BELOW = ' style="padding-bottom: 0px;"'


def code_language(info: str) -> str:
    """The language a fence's info string names ("" for none)."""
    return _code_label(info)


def _highlighted(code: str, language: str, theme: Theme) -> str:
    if not language or len(code) > MAX_HIGHLIGHT_CHARS:
        return escape(code)
    lexer = _lexer(language.lower())
    if lexer is None:
        return escape(code)
    from pygments import highlight

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
        return code_table(body, label, index, theme, env.get("copy_label", "Copy"))

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


def make_parser(theme: Theme) -> MarkdownIt:
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
