"""Reading the answer of POST /v1/tokenize-text: how many tokens the text made.

The answer lists every token as an object with its text and its bytes as a list of
numbers (`{"token_ids":[{"token_id":13902,"string_token":"Hello","token_bytes":[72,…]},…]}`),
so a megabyte of text comes back as ~7 MB of JSON. Parsing that built hundreds of
thousands of Python objects and held the UI thread ~85 ms (measured 2026-12-02 with a
1 MB reply), for a single number. A large answer is therefore counted, not parsed: each
token object has one `"token_id"` key, and that quoted name cannot occur anywhere else in
valid JSON of this shape (a quote inside a string is escaped, and `"token_ids"` differs).
"""

from __future__ import annotations

import json

# Answers up to this size are parsed (and so checked) in full; they take under 3 ms.
PARSE_UP_TO = 256 * 1024
_TOKEN_KEY = b'"token_id"'
_LIST_KEY = b'"token_ids"'


def count_tokens(body: bytes) -> int | None:
    """The number of tokens in a tokenize-text answer; None when it is not one."""
    if len(body) <= PARSE_UP_TO:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        tokens = data.get("token_ids") if isinstance(data, dict) else None
        return len(tokens) if isinstance(tokens, list) else None
    trimmed = body.strip()
    if not (trimmed.startswith(b"{") and trimmed.endswith(b"}") and _LIST_KEY in trimmed[:4096]):
        return None
    return trimmed.count(_TOKEN_KEY)
