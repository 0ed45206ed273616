"""ModelInfo from `/v1/language-models` and `/v1/models` entries.

`/v1/language-models` carries modalities, prices (US cents per 100M tokens) and
aliases but no context window; `/v1/models` may have ids only (2026 servers add
`context_length` and prices).

Modalities are reported as the server gives them; filtering is the caller's job
(ModelInfo.can_chat, the catalog). `/v1/models` entries carry no modalities, so
they are guessed from the id: `-image` models generate images (output "image",
so can_chat is False) and `-vision` models also read images. The guess is only
a fallback for servers without `/v1/language-models`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from grokdesk.core.models import ModelInfo

# Fields kept on ModelInfo itself; everything else lands in ModelInfo.extra.
_KNOWN = frozenset(
    {
        "id",
        "aliases",
        "input_modalities",
        "output_modalities",
        "context_length",
        "prompt_text_token_price",
        "cached_prompt_text_token_price",
        "prompt_image_token_price",
        "completion_text_token_price",
        "created",
        "owned_by",
        "object",
    }
)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _guess_modalities(model_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if "-image" in model_id:
        return ("text",), ("image",)
    if "vision" in model_id:
        return ("text", "image"), ("text",)
    return ("text",), ("text",)


def model_from_entry(entry: Mapping[str, object]) -> ModelInfo | None:
    """One ModelInfo, or None for an entry without a usable id."""
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id:
        return None
    guessed_in, guessed_out = _guess_modalities(model_id)
    cached = entry.get("cached_prompt_text_token_price", entry.get("cached_prompt_token_price"))
    owned_by = entry.get("owned_by")
    return ModelInfo(
        id=model_id,
        aliases=_strings(entry.get("aliases")) or (),
        input_modalities=_strings(entry.get("input_modalities")) or guessed_in,
        output_modalities=_strings(entry.get("output_modalities")) or guessed_out,
        context_window=_int_or_none(entry.get("context_length")),
        prompt_price=_int_or_none(entry.get("prompt_text_token_price")),
        cached_prompt_price=_int_or_none(cached),
        image_prompt_price=_int_or_none(entry.get("prompt_image_token_price")),
        completion_price=_int_or_none(entry.get("completion_text_token_price")),
        created=_int_or_none(entry.get("created")),
        owned_by=owned_by if isinstance(owned_by, str) else "",
        extra={k: v for k, v in entry.items() if k not in _KNOWN},
    )


def models_from_list(entries: object) -> list[ModelInfo]:
    if not isinstance(entries, list):
        return []
    found = (model_from_entry(e) for e in entries if isinstance(e, Mapping))
    return [model for model in found if model is not None]


def with_context_windows(models: list[ModelInfo], windows: Mapping[str, int]) -> list[ModelInfo]:
    """Fill context windows known from `/v1/models` into `/v1/language-models` entries."""
    filled = []
    for model in models:
        window = model.context_window or windows.get(model.id)
        if window is None:
            window = next((windows[a] for a in model.aliases if a in windows), None)
        filled.append(model if window == model.context_window else replace(model, context_window=window))
    return filled
