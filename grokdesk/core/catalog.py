"""The model catalog: built-in facts, merging with the API's list, aliases,
retired-model fallbacks, and the one table of parameters each family accepts.

The API's list always wins (models are retired often: Feb and May 2026 retired
most earlier ids). The built-in list serves a first start offline and supplies what
the API does not say, above all context windows (the REST LanguageModel has
no context-window field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from grokdesk.core.models import ModelInfo


def _price(dollars_per_million: float) -> int:
    """$/M tokens in the API's unit, US cents per 100M tokens."""
    return round(dollars_per_million * 10_000)


_TEXT = ("text",)
_TEXT_IMAGE = ("text", "image")

# Sources: xAI's Models and Pricing pages (Dec 2024, Jan 2025, Apr 2025) and its
# model guides. Prices for the families after Grok 2 are from xAI's public pricing
# page (2025); the API's own prices replace them as soon as a list is fetched.
BUILTIN: tuple[ModelInfo, ...] = (
    ModelInfo(
        "grok-2-1212",
        aliases=("grok-2", "grok-2-latest"),
        context_window=131072,
        prompt_price=_price(2.00),
        completion_price=_price(10.00),
        created=1737331200,
        knowledge_cutoff="2024-07-17",
    ),
    ModelInfo(
        "grok-2-vision-1212",
        aliases=("grok-2-vision", "grok-2-vision-latest"),
        input_modalities=_TEXT_IMAGE,
        # xAI's pages disagree (8192 vs 32768); the Jan 2025 docs say 32768.
        context_window=32768,
        prompt_price=_price(2.00),
        image_prompt_price=_price(2.00),
        completion_price=_price(10.00),
        created=1733961600,
        knowledge_cutoff="2024-07-17",
    ),
    ModelInfo(
        "grok-beta",
        context_window=131072,
        prompt_price=_price(5.00),
        completion_price=_price(15.00),
        deprecated=True,
    ),
    ModelInfo(
        "grok-vision-beta",
        input_modalities=_TEXT_IMAGE,
        context_window=8192,
        prompt_price=_price(5.00),
        image_prompt_price=_price(5.00),
        completion_price=_price(15.00),
        deprecated=True,
    ),
    ModelInfo(
        "grok-3",
        aliases=("grok-3-latest", "grok-3-beta"),
        context_window=131072,
        prompt_price=_price(3.00),
        cached_prompt_price=_price(0.75),
        completion_price=_price(15.00),
        created=1743724800,
        knowledge_cutoff="2024-11-17",
    ),
    ModelInfo(
        "grok-3-mini",
        aliases=("grok-3-mini-latest", "grok-3-mini-beta"),
        context_window=131072,
        prompt_price=_price(0.30),
        cached_prompt_price=_price(0.075),
        completion_price=_price(0.50),
        created=1743724800,
        knowledge_cutoff="2024-11-17",
    ),
    ModelInfo(
        "grok-4-0709",
        aliases=("grok-4", "grok-4-latest"),
        # Image input conflicts between sources; the API's modalities decide.
        context_window=256000,
        prompt_price=_price(3.00),
        cached_prompt_price=_price(0.75),
        completion_price=_price(15.00),
        created=1752019200,
    ),
    ModelInfo(
        "grok-4-fast-reasoning",
        input_modalities=_TEXT_IMAGE,
        context_window=2_000_000,
        prompt_price=_price(0.20),
        cached_prompt_price=_price(0.05),
        completion_price=_price(0.50),
        created=1756944000,
    ),
    ModelInfo(
        "grok-4-fast-non-reasoning",
        input_modalities=_TEXT_IMAGE,
        context_window=2_000_000,
        prompt_price=_price(0.20),
        cached_prompt_price=_price(0.05),
        completion_price=_price(0.50),
        created=1756944000,
    ),
    ModelInfo(
        "grok-code-fast-1",
        context_window=256000,
        prompt_price=_price(0.20),
        cached_prompt_price=_price(0.02),
        completion_price=_price(1.50),
        created=1755993600,
    ),
    ModelInfo("grok-4.3", input_modalities=_TEXT_IMAGE, context_window=1_000_000),
)
BUILTIN_CATALOG = BUILTIN

# Words in an id that mark a model which does not chat (`/v1/models` includes
# image-generation models; embedding models have their own endpoint).
_NOT_CHAT_WORDS = frozenset({"image", "imagine", "video", "embed", "embedding", "embeddings", "tts"})


def merge_catalog(
    api_models: list[ModelInfo] | None, builtin: tuple[ModelInfo, ...] = BUILTIN
) -> list[ModelInfo]:
    """The models to offer: the API's list, with gaps filled from the built-in one.

    `None` (no list yet, first start offline) gives the built-in list. Otherwise
    only the API's models are kept (a model it does not list is not available),
    and a field is taken from the built-in entry only where the API left it empty.
    An entry without prices came from plain `/v1/models`, whose modalities are a
    guess from the id (api.model_list), so the built-in modalities replace them.
    """
    if api_models is None:
        return list(builtin)
    merged = []
    for model in api_models:
        known = _builtin_entry(model, builtin)
        if known is None:
            merged.append(model)
            continue
        bare_listing = model.prompt_price is None and model.completion_price is None
        merged.append(
            replace(
                model,
                aliases=model.aliases or known.aliases,
                input_modalities=known.input_modalities if bare_listing else model.input_modalities,
                context_window=model.context_window or known.context_window,
                prompt_price=_first(model.prompt_price, known.prompt_price, bare_listing),
                cached_prompt_price=_first(
                    model.cached_prompt_price, known.cached_prompt_price, bare_listing
                ),
                image_prompt_price=_first(model.image_prompt_price, known.image_prompt_price, bare_listing),
                completion_price=_first(model.completion_price, known.completion_price, bare_listing),
                created=model.created or known.created,
                knowledge_cutoff=model.knowledge_cutoff or known.knowledge_cutoff,
            )
        )
    return merged


def _first(api: int | None, known: int | None, bare_listing: bool) -> int | None:
    # Prices are only borrowed for a bare listing: when the API gives some prices,
    # a missing one means "not charged separately", not "unknown".
    return known if api is None and bare_listing else api


def _builtin_entry(model: ModelInfo, builtin: tuple[ModelInfo, ...]) -> ModelInfo | None:
    names = {model.id, *model.aliases}
    for known in builtin:
        if known.id in names or names.intersection(known.aliases):
            return known
    return None


def chat_models(models: list[ModelInfo]) -> list[ModelInfo]:
    """Only models that can chat: no image-generation, video or embedding models."""
    return [m for m in models if m.can_chat and not _NOT_CHAT_WORDS.intersection(_words(m.id))]


def _words(model_id: str) -> list[str]:
    return model_id.lower().split("-")


# --- aliases -------------------------------------------------------------------


class AliasKind(StrEnum):
    LATEST_STABLE = "latest_stable"  # <name>
    NEWEST = "newest"  # <name>-latest
    PINNED = "pinned"  # <name>-<date> or <name>-<version>


_DATE_SUFFIX = re.compile(r"-(\d{4}|\d{8}|\d{4}-\d{2}-\d{2})$")


def alias_kind(name: str) -> AliasKind:
    """What a model name promises: `<name>` the latest stable alias, `<name>-latest`
    the newest, `<name>-<date>` a pinned release."""
    if name.endswith("-latest"):
        return AliasKind.NEWEST
    if _DATE_SUFFIX.search(name):
        return AliasKind.PINNED
    # A version number after a word, like grok-code-fast-1; in grok-3 the 3 names the family.
    words = name.split("-")
    if len(words) >= 3 and words[-1].isdigit() and words[-2].isalpha() and words[-2] != "grok":
        return AliasKind.PINNED
    return AliasKind.LATEST_STABLE


def describe_alias(name: str) -> str:
    """One sentence for a tooltip."""
    kind = alias_kind(name)
    if kind is AliasKind.NEWEST:
        return f"{name} follows the newest release, which may change at any time."
    if kind is AliasKind.PINNED:
        return f"{name} is a pinned release: it does not change."
    return f"{name} follows the latest stable release; it changes when a new one is published."


def family(name: str) -> str:
    """The name without `-latest` or a pinned suffix: grok-2-vision-1212 -> grok-2-vision."""
    base = name.removesuffix("-latest")
    if alias_kind(base) is AliasKind.PINNED:
        undated = _DATE_SUFFIX.sub("", base)
        base = undated if undated != base else re.sub(r"-\d+$", "", base)
    return base


def resolve(name: str, models: list[ModelInfo]) -> ModelInfo | None:
    """The model behind an id or alias."""
    for model in models:
        if model.id == name:
            return model
    for model in models:
        if name in model.aliases:
            return model
    return None


def pin(name: str, models: list[ModelInfo]) -> str:
    """The exact release behind an alias, for users who want consistency."""
    model = resolve(name, models)
    return model.id if model else name


def nearest_available(
    model_id: str, models: list[ModelInfo], *, needs_images: bool | None = None
) -> ModelInfo | None:
    """The best replacement for a retired model (model ids change often), or, with
    `needs_images=True`, for a model that cannot read the images of a conversation
    (one click switches to a model that takes images).

    Prefers, in order: a model that takes images if the old one did, the same
    family, the same major version, the same kind (reasoning or not), the most
    shared variant words (mini, fast, vision...), then the newest.
    """
    found = resolve(model_id, models)
    if found is not None and (found.takes_images or not needs_images):
        return found
    candidates = [m for m in chat_models(models) if not m.deprecated] or chat_models(models)
    if needs_images:
        candidates = [m for m in candidates if m.takes_images]
    if not candidates:
        return None
    if needs_images is None:
        old = resolve(model_id, list(BUILTIN))
        needs_images = old.takes_images if old else "vision" in model_id
    old_family = family(model_id)
    old_major = _major(model_id)
    old_words = set(_words(old_family))

    reasoning = is_reasoning(model_id)

    def rank(model: ModelInfo) -> tuple[bool, bool, bool, bool, int, int, str]:
        return (
            model.takes_images or not needs_images,
            family(model.id) == old_family or old_family in map(family, model.aliases),
            _major(model.id) == old_major,
            is_reasoning(model) == reasoning,
            len(old_words & set(_words(family(model.id)))),
            model.created or 0,
            model.id,
        )

    return max(candidates, key=rank)


def _major(name: str) -> int | None:
    match = re.match(r"grok-(\d+)", name)
    return int(match.group(1)) if match else None


# --- parameters ------------------------------------------------------------------

# Accepted by every chat model (the OpenAI chat-completions request fields).
_COMMON = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
        "max_completion_tokens",
        "max_tokens",
        "n",
        "seed",
        "user",
        "response_format",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "logprobs",
        "top_logprobs",
    }
)
_PENALTIES_AND_STOP = frozenset({"presence_penalty", "frequency_penalty", "stop"})


@dataclass(frozen=True, slots=True)
class FamilyParams:
    pattern: str  # regular expression matched against the start of the model id
    reasoning: bool  # reasoning models reject penalties and stop (xAI's reasoning guides)
    efforts: tuple[str, ...] = ()  # reasoning_effort values; empty: do not send it
    also_rejects: frozenset[str] = frozenset()
    source: str = ""


# THE parameter table: first matching row wins, so specific rows come first.
PARAMETER_TABLE: tuple[FamilyParams, ...] = (
    # xAI's reasoning guide (2025): reasoning, effort "low"/"high".
    FamilyParams(r"grok-3-mini", reasoning=True, efforts=("low", "high"), source="xAI reasoning guide 2025"),
    # xAI's OpenAPI document: not a reasoning model, no reasoning_effort, presence_penalty unsupported.
    FamilyParams(
        r"grok-3",
        reasoning=False,
        also_rejects=frozenset({"presence_penalty"}),
        source="xAI OpenAPI document 2025",
    ),
    # xAI's reasoning guide (2026): effort none/low/medium/high, default low.
    FamilyParams(
        r"grok-4\.3",
        reasoning=True,
        efforts=("none", "low", "medium", "high"),
        source="xAI reasoning guide 2026",
    ),
    # xAI SDK docstring and third-party probes: grok-4.20 rejects reasoning_effort.
    FamilyParams(r"grok-4\.20", reasoning=True, source="xAI SDK chat.py"),
    # xAI SDK: xhigh only on some models such as grok-4.6; default high. Values UNCONFIRMED.
    FamilyParams(r"grok-4\.6", reasoning=True, efforts=("low", "medium", "high", "xhigh"), source="xAI SDK"),
    FamilyParams(r"grok-4\.5", reasoning=True, efforts=("low", "medium", "high"), source="xAI SDK"),
    # The non-reasoning fast variants are ordinary chat models.
    FamilyParams(r"grok-4(-1)?-fast-non-reasoning", reasoning=False, source="xAI reasoning guide 2025"),
    # Error reports: "does not support parameter reasoningEffort".
    FamilyParams(r"grok-4(-1)?-fast", reasoning=True, source="xAI reasoning guide 2025, error reports"),
    # A recorded Oct 2025 stream carries reasoning_content: a reasoning model.
    FamilyParams(r"grok-code-fast", reasoning=True, source="recorded stream Oct 2025"),
    # xAI's OpenAPI document and reasoning guide: always reasons; reasoning_effort, penalties and stop are errors.
    FamilyParams(r"grok-4", reasoning=True, source="xAI OpenAPI document, reasoning guide 2025"),
    # Grok 2 and the betas take every OpenAI parameter.
    FamilyParams(r"grok-(2|beta|vision-beta)", reasoning=False, source="xAI models page Dec 2024"),
    # Unknown later Grok models: assume reasoning, so nothing they might reject is sent.
    FamilyParams(
        r"grok-", reasoning=True, source="assumption: newer Grok models reason (the 2025-2026 trend)"
    ),
    # Any other OpenAI-compatible server (a local model): plain OpenAI parameters.
    FamilyParams(r"", reasoning=False, source="OpenAI chat completions"),
)


def _row(model: str | ModelInfo) -> FamilyParams:
    model_id = model.id if isinstance(model, ModelInfo) else model
    for row in PARAMETER_TABLE:
        if re.match(row.pattern, model_id):
            return row
    return PARAMETER_TABLE[-1]


def is_reasoning(model: str | ModelInfo) -> bool:
    return _row(model).reasoning


def reasoning_efforts(model: str | ModelInfo) -> tuple[str, ...]:
    """The values of `reasoning_effort` the model takes; empty when it takes none."""
    return _row(model).efforts


def supported_params(model: str | ModelInfo) -> frozenset[str]:
    """Request fields the model accepts; anything else must not be sent."""
    row = _row(model)
    params = set(_COMMON)
    if not row.reasoning:
        params |= _PENALTIES_AND_STOP
    if row.efforts:
        params.add("reasoning_effort")
    return frozenset(params - row.also_rejects)


# --- display -----------------------------------------------------------------------


def format_dollars(price: int | None) -> str:
    """A price in cents per 100M tokens as dollars per million: 20000 -> "$2.00"."""
    dollars = ModelInfo.dollars_per_million(price)
    if dollars is None:
        return "?"
    text = f"{dollars:.4f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def format_price(model: ModelInfo) -> str:
    """ "$2.00 / $10.00 per M tokens" (input / output), or "price unknown"."""
    if model.prompt_price is None and model.completion_price is None:
        return "price unknown"
    return f"{format_dollars(model.prompt_price)} / {format_dollars(model.completion_price)} per M tokens"


def format_context(tokens: int | None) -> str:
    """ "131,072 tokens", or "unknown window"."""
    return f"{tokens:,} tokens" if tokens else "unknown window"
