"""What the app knows about one model: capabilities, aliases, window, prices.

Prices are kept in the API's own unit, US cents per 100 million tokens
(20000 means $2.00 per million tokens).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CENTS_PER_100M_PER_DOLLAR_PER_M = 10_000


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    aliases: tuple[str, ...] = ()
    input_modalities: tuple[str, ...] = ("text",)
    output_modalities: tuple[str, ...] = ("text",)
    context_window: int | None = None
    # US cents per 100M tokens; None when unknown.
    prompt_price: int | None = None
    cached_prompt_price: int | None = None
    image_prompt_price: int | None = None
    completion_price: int | None = None
    created: int | None = None
    owned_by: str = "xai"
    deprecated: bool = False
    # ISO date of the training cutoff when known (built-in catalog only; the API has no field).
    knowledge_cutoff: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def takes_images(self) -> bool:
        return "image" in self.input_modalities

    @property
    def can_chat(self) -> bool:
        return "text" in self.output_modalities

    @staticmethod
    def dollars_per_million(price: int | None) -> float | None:
        if price is None:
            return None
        return price / CENTS_PER_100M_PER_DOLLAR_PER_M
