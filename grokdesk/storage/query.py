"""Turn what a person typed into a safe FTS5 query.

Whatever is typed (quotes, `*`, `AND`, `-`, parentheses, `col:`) is treated as plain
words: each word becomes a quoted FTS5 string, so FTS5 syntax can never raise. The
words must all occur (implicit AND); the last one is prefix-matched while the user
is still typing it, so results appear as they type.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """The MATCH expression for `text`, or None when it holds no searchable word."""
    words = _WORD.findall(text)
    if not words:
        return None
    # Quoting with doubled quotes is FTS5's own escape; \w+ never contains one, but stay safe.
    terms = ['"' + word.replace('"', '""') + '"' for word in words]
    if _WORD.fullmatch(text[-1]):  # the last word is still being typed
        terms[-1] += "*"
    return " ".join(terms)
