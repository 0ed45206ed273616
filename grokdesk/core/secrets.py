"""Masking secrets for display: the way the xAI server masks keys (first 2, `***`, last 2)."""

from __future__ import annotations

# Below this length the first and last two characters would give away too much of the key.
_MIN_MASKABLE = 8


def mask_key(key: str) -> str:
    """`xai-abcd...wxyz` -> `xa***yz`; short or empty keys become `***`."""
    key = key.strip()
    if len(key) < _MIN_MASKABLE:
        return "***"
    return f"{key[:2]}***{key[-2:]}"
