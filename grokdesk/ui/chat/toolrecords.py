"""What a reply did with live tools, as transcript HTML: tool call records, the
Sources list, and inline `[[N]](url)` citations as small numbered links.

Kept apart from the transcript view so the view only asks for these pieces.
Every link is a plain http(s) anchor: it opens in the browser only when clicked,
like every other link in the transcript.
"""

from __future__ import annotations

import html
import re

from grokdesk.core.conversation import Message
from grokdesk.core.markdown import Rendered, render_markdown
from grokdesk.core.sources import is_x_post, source_label
from grokdesk.core.tools import ToolKind, ToolStatus, describe_call
from grokdesk.ui.icons import glyph_html

# An inline citation as the Markdown renderer leaves it: a link whose text is "[N]".
_CITATION_LINK = re.compile(r'<a href="(https?://[^"]+)">\[(\d{1,3})\]</a>')
# Icons from the app's icon font (emoji are missing from many desktop fonts and showed as
# empty boxes); the text fallback is for a build without the font.
_ICONS = {
    ToolKind.WEB: "globe",
    ToolKind.X: "magnifying-glass",
    ToolKind.CODE: "terminal-window",
    ToolKind.OTHER: "gear",
}
_FALLBACK = {ToolKind.WEB: "Web", ToolKind.X: "X", ToolKind.CODE: "Code", ToolKind.OTHER: "Tool"}


def with_citation_links(rendered: Rendered, text: str) -> Rendered:
    """The rendered Markdown of `text` with its `[[N]](url)` citations as small superscript links."""
    if "[[" not in text:
        return rendered
    rendered.html = _CITATION_LINK.sub(
        lambda m: f'<sup><a href="{m.group(1)}" title="{m.group(1)}">[{m.group(2)}]</a></sup>', rendered.html
    )
    return rendered


def render_reply_markdown(text: str, *, highlight: bool = True) -> Rendered:
    """Markdown as the transcript renders it, with citations as small superscript links."""
    return with_citation_links(render_markdown(text, highlight=highlight), text)


def tools_signature(message: Message) -> tuple[tuple[str, str, str, str], ...]:
    """Changes whenever the records shown for `message` change."""
    return tuple((t.id, t.status, t.query, t.code) for t in message.tools)


def tools_html(message: Message, *, expanded: bool) -> str:
    """One line per tool call ("Searching the web: what is xAI"); when `expanded`,
    code runs show their code and output as code blocks."""
    if not message.tools:
        return ""
    lines: list[str] = []
    for call in message.tools:
        icon = glyph_html(_ICONS[call.kind]) or f"{_FALLBACK[call.kind]}:"
        text = html.escape(describe_call(call))
        if call.status is ToolStatus.RUNNING:
            text += "…"
        elif call.status is ToolStatus.COMPLETED:
            text = "✓ " + text
        lines.append(f'<p style="margin:1px 0;color:gray"><small>{icon} {text}</small></p>')
        if expanded and call.code:
            lines.append(f"<pre>{html.escape(call.code)}</pre>")
        if expanded and call.output:
            lines.append(
                f'<p style="margin:1px 0;color:gray"><small>Output:</small></p><pre>{html.escape(call.output)}</pre>'
            )
    has_details = any(c.code or c.output for c in message.tools)
    if has_details:
        label = "▾ Hide code" if expanded else "▸ Show code"
        lines.append(f'<p style="margin:1px 0"><small><a href="tools:{message.id}">{label}</a></small></p>')
    return "".join(lines)


def sources_html(message: Message) -> str:
    """The "Sources" list under a reply: each cited URL once, domain first, the full
    URL as the link target and tooltip; X posts named as such."""
    if not message.sources:
        return ""
    items: list[str] = []
    for number, source in enumerate(message.sources, 1):
        url = html.escape(source.url, quote=True)
        label = html.escape(source_label(source))
        mark = "𝕏 " if is_x_post(source.url) else ""
        items.append(
            f'<p style="margin:0 0 0 12px"><small>{number}. {mark}<a href="{url}" title="{url}">{label}</a>'
            f' <span style="color:gray">— {url}</span></small></p>'
        )
    return '<p style="margin:6px 0 2px 0"><small><b>Sources</b></small></p>' + "".join(items)
