"""The sources a reply cites: collected from the API's `url_citation` annotations.

Each URL is kept once, in the order it was first cited. The inline citations in the
text look like `[[1]](https://...)`; the number is a label the model chose, so the
list is built from the URLs, not the numbers.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

# `[[N]](url)`: the inline citation markdown of the Responses API.
INLINE_CITATION = re.compile(r"\[\[(\d{1,3})\]\]\((https?://[^\s)]+)\)")
_X_HOSTS = frozenset({"x.com", "www.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com"})


@dataclass(frozen=True, slots=True)
class Source:
    url: str
    title: str = ""

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "title": self.title} if self.title else {"url": self.url}

    @classmethod
    def from_json(cls, data: object) -> Source | None:
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            return None
        title = data.get("title")
        return cls(data["url"], title if isinstance(title, str) else "")


def is_web_url(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in ("http", "https")


def domain_of(url: str) -> str:
    """The host without a leading "www.": what a person recognises a site by."""
    host = urllib.parse.urlsplit(url).hostname or url
    return host.removeprefix("www.")


def is_x_post(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return (parts.hostname or "").lower() in _X_HOSTS and "/status/" in parts.path


def source_label(source: Source) -> str:
    """How the Sources list names it: "X post 1990530503129391571" or "example.com › path"."""
    parts = urllib.parse.urlsplit(source.url)
    if is_x_post(source.url):
        post = parts.path.rstrip("/").rsplit("/", 1)[-1]
        author = parts.path.strip("/").split("/", 1)[0]
        who = f" by @{author}" if author and author not in ("i", "status") else ""
        return f"X post{who} ({post})"
    path = urllib.parse.unquote(parts.path).strip("/")
    label = domain_of(source.url)
    if path:
        label += " › " + (path if len(path) <= 60 else path[:59] + "…")
    return label


def add_source(sources: list[Source], url: str, title: str = "") -> bool:
    """Add `url` unless it is there already or not a web link; True when added."""
    if not is_web_url(url) or any(s.url == url for s in sources):
        return False
    sources.append(Source(url, title))
    return True


def inline_citations(text: str) -> list[str]:
    """The URLs of the `[[N]](url)` citations in `text`, once each, in order."""
    seen: list[str] = []
    for match in INLINE_CITATION.finditer(text):
        if match.group(2) not in seen:
            seen.append(match.group(2))
    return seen
