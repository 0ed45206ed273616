"""Keeping the API key out of messages, logs and reprs.

Keys are masked the way the xAI server masks them in its "Incorrect API key" message:
the first two characters, `***`, the last two.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from grokdesk.core.secrets import mask_key

__all__ = ["SENSITIVE_HEADERS", "mask_key", "redact", "redact_headers"]

# Anything that looks like an xAI key or a bearer token, even when we do not know the key.
_KEY_LIKE = re.compile(r"\bxai-[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def redact(text: str, key: str | None = None) -> str:
    """`text` with `key` (and anything key-like or a bearer token) masked."""
    if key:
        key = key.strip()
        if key:
            text = text.replace(key, mask_key(key))
    text = _BEARER.sub(lambda m: m.group(1) + "***", text)
    return _KEY_LIKE.sub(lambda m: mask_key(m.group(0)), text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of `headers` fit for a log line: credentials replaced by `***`."""
    return {name: ("***" if name.lower() in SENSITIVE_HEADERS else value) for name, value in headers.items()}
