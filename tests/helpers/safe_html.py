"""What "safe HTML for the transcript" means, checked on rendered output."""

from __future__ import annotations

from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "code", "pre", "span", "table",
     "thead", "tbody", "tr", "td", "th", "blockquote", "s", "em", "strong", "hr", "br", "img"}
)  # fmt: skip
SAFE_HREF_PREFIXES = ("http:", "https:", "mailto:", "copy:")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.tags


def hrefs_of(html: str) -> list[str]:
    return [attrs.get("href") or "" for tag, attrs in tags_of(html) if tag == "a"]


def assert_safe_html(html: str) -> None:
    """Only Qt-subset tags, nothing that loads or runs, links only to safe schemes."""
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in {html[:300]!r}"
        assert not any(name.startswith("on") for name in attrs), attrs
        if tag == "img":
            # The only image: a formula the view typesets itself (its URL holds the LaTeX).
            assert (attrs.get("src") or "").startswith("math:"), attrs
        else:
            assert "src" not in attrs, attrs
        if tag == "a":
            assert (attrs.get("href") or "").lower().startswith(SAFE_HREF_PREFIXES), attrs
