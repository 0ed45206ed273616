"""Context-window budgeting, token estimates and the cost of a reply.

Counts made here are ESTIMATES: the real count comes from the server's
tokenizer (`/v1/tokenize-text`) when it is reachable;
callers pass such a counter as `count_text`. Prices are US cents per 100M
tokens (the API's own unit).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from grokdesk.core.conversation import ImageDetail, Usage
from grokdesk.core.images import data_url_size
from grokdesk.core.models import ModelInfo
from grokdesk.core.request import leading_system_count

TextCounter = Callable[[str], int]

# Role markers and separators the chat template adds around each message (a guess
# in line with OpenAI-style templates; small next to real content).
MESSAGE_OVERHEAD_TOKENS = 4
# Images: xAI's image guide describes 448 x 448 tiles of 256 tokens each, at most 6,
# plus one more tile. Not confirmed by any API answer, so an estimate like the rest.
IMAGE_TILE_SIDE = 448
IMAGE_TILE_TOKENS = 256
IMAGE_MAX_TILES = 6

_PIECES = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]|\s{2,}")
_PROMPT_LENGTH = re.compile(r"maximum prompt length is (\d+) but the request contains (\d+) tokens")


def estimate_tokens(text: str) -> int:
    """A local estimate of the token count of `text` (no tokenizer needed).

    English words of up to six letters are one token, longer ones more (about
    four characters per token overall); digits go in groups of three; each other
    character (punctuation, CJK, emoji, accented letters) is one token; a run of
    whitespace such as code indentation is one more.

    A text over `SAMPLED_OVER` characters (a pasted file) is estimated from evenly
    spread slices of it: counting every piece of megabytes takes seconds of Python,
    and an estimate is all this is.
    """
    if len(text) > SAMPLED_OVER:
        step = len(text) // SAMPLES
        sampled = sum(_count(text[i * step : i * step + SAMPLE_CHARS]) for i in range(SAMPLES))
        return round(sampled * len(text) / (SAMPLES * SAMPLE_CHARS))
    return _count(text)


# Texts longer than this are estimated from SAMPLES slices of SAMPLE_CHARS characters.
SAMPLED_OVER = 256_000
SAMPLES = 16
SAMPLE_CHARS = 2_000


def _count(text: str) -> int:
    tokens = 0
    for match in _PIECES.finditer(text):
        piece = match.group()
        first = piece[0]
        if first.isascii() and first.isalpha():
            tokens += 1 + (len(piece) - 1) // 6
        elif first.isdigit() and first.isascii():
            tokens += math.ceil(len(piece) / 3)
        else:
            tokens += 1
    return tokens


def image_tokens(detail: ImageDetail | str, width: int, height: int) -> int:
    """Estimated prompt tokens of one image at the given detail."""
    if ImageDetail(detail) is ImageDetail.LOW:
        tiles = 1
    else:
        tiles = math.ceil(width / IMAGE_TILE_SIDE) * math.ceil(height / IMAGE_TILE_SIDE)
        tiles = max(1, min(IMAGE_MAX_TILES, tiles))
    return (tiles + 1) * IMAGE_TILE_TOKENS


def message_tokens(message: Mapping[str, Any], count_text: TextCounter = estimate_tokens) -> int:
    """Tokens of one request message (as built by core.request)."""
    content = message.get("content")
    tokens = MESSAGE_OVERHEAD_TOKENS
    if isinstance(content, str):
        return tokens + count_text(content)
    for part in content or ():
        if part.get("type") == "text":
            tokens += count_text(part.get("text", ""))
        elif part.get("type") == "image_url":
            image = part.get("image_url", {})
            size = data_url_size(image.get("url", "")) or (IMAGE_TILE_SIDE, IMAGE_TILE_SIDE)
            tokens += image_tokens(image.get("detail", ImageDetail.AUTO), *size)
    return tokens


def conversation_tokens(
    request_messages: Sequence[Mapping[str, Any]], count_text: TextCounter = estimate_tokens
) -> int:
    """Tokens the `messages` of a request would take in the context window."""
    return sum(message_tokens(m, count_text) for m in request_messages)


def fit_to_window(
    request_messages: Sequence[Mapping[str, Any]],
    window: int,
    *,
    reserve: int = 0,
    count_text: TextCounter = estimate_tokens,
) -> int | None:
    """How many of the oldest messages to leave out so the rest fits ("leave out the
    oldest turns", one of the choices when a conversation outgrows the context window).

    The leading system messages and the newest message always stay; the count
    is the `drop_oldest` of core.request.build_chat_request. A cut is moved
    forward to the start of a turn (a user or system message) when that still
    keeps something, so the kept part does not begin with an orphaned reply.
    `reserve` keeps room for the answer. None: even the newest message alone
    does not fit.
    """
    counts = [message_tokens(m, count_text) for m in request_messages]
    lead = leading_system_count(m["role"] for m in request_messages)
    fixed = sum(counts[:lead])
    rest = counts[lead:]
    roles = [m.get("role") for m in request_messages[lead:]]
    budget = window - reserve - fixed
    remaining = sum(rest)
    if remaining <= budget:
        return 0
    for drop in range(1, len(rest)):
        remaining -= rest[drop - 1]
        if remaining <= budget:
            return next((d for d in range(drop, len(rest)) if roles[d] != "assistant"), drop)
    return None


def parse_max_prompt_length(message: str) -> tuple[int, int] | None:
    """(limit, requested) from the server's 400 "maximum prompt length" text
    ("This model's maximum prompt length is 131072 but the request contains 179111 tokens.")."""
    match = _PROMPT_LENGTH.search(message)
    return (int(match.group(1)), int(match.group(2))) if match else None


def billed_completion_tokens(usage: Usage) -> int:
    """Completion tokens including reasoning, which is billed as completion.

    xAI reports reasoning apart (total = prompt + completion + reasoning); a
    server whose total leaves reasoning out has already counted it in completion.
    """
    if usage.reasoning_tokens and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens:
        return usage.completion_tokens
    return usage.completion_tokens + usage.reasoning_tokens


TICKS_PER_USD = 10_000_000_000


def cost_usd(usage: Usage, model: ModelInfo | None) -> float | None:
    """What a reply cost in US dollars: the API's own figure when it gave one (tools
    included), else from the model's prices; None when neither is known."""
    if usage.cost_in_usd_ticks:
        return usage.cost_in_usd_ticks / TICKS_PER_USD
    if model is None or model.prompt_price is None or model.completion_price is None:
        return None
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    images = min(usage.image_tokens, usage.prompt_tokens - cached)
    text = usage.prompt_tokens - cached - images
    cached_price = model.prompt_price if model.cached_prompt_price is None else model.cached_prompt_price
    image_price = model.prompt_price if model.image_prompt_price is None else model.image_prompt_price
    cents_x_100m = (
        text * model.prompt_price
        + cached * cached_price
        + images * image_price
        + billed_completion_tokens(usage) * model.completion_price
    )
    return cents_x_100m / 100_000_000 / 100


def format_cost(usd: float) -> str:
    """Dollars with enough digits to show small amounts: "$1.23", "$0.000248"."""
    if usd >= 0.01 or usd == 0:
        return f"${usd:.2f}"
    digits = 2 - math.floor(math.log10(usd))
    return f"${usd:.{digits}f}"


def format_usage(usage: Usage, model: ModelInfo | None) -> str:
    """One line for a message's usage, with its cost when the prices are known."""
    if usage.images and not usage.total_tokens:
        # Made by an image model: billed per image, no tokens to show.
        pieces = [f"{usage.images} {'image' if usage.images == 1 else 'images'}"]
        if usage.cost_in_usd_ticks:
            pieces.append(format_cost(usage.cost_in_usd_ticks / TICKS_PER_USD))
        return " · ".join(pieces)
    prompt = f"{usage.prompt_tokens:,} in"
    if usage.cached_tokens:
        prompt += f" ({usage.cached_tokens:,} cached)"
    pieces = [prompt, f"{usage.completion_tokens:,} out"]
    if usage.reasoning_tokens:
        pieces.append(f"{usage.reasoning_tokens:,} reasoning")
    total = usage.total_tokens or usage.prompt_tokens + billed_completion_tokens(usage)
    pieces.append(f"{total:,} total")
    pieces += tool_call_counts(usage)
    cost = cost_usd(usage, model)
    if cost is not None:
        pieces.append(format_cost(cost))
    return " · ".join(pieces)


def tool_call_counts(usage: Usage) -> list[str]:
    """ "2 web searches", "1 X search", "1 code run": the server-side tool calls of a turn."""
    counts = (
        (usage.web_search_calls, "web search", "web searches"),
        (usage.x_search_calls, "X search", "X searches"),
        (usage.code_calls, "code run", "code runs"),
    )
    return [f"{n:,} {one if n == 1 else many}" for n, one, many in counts if n]


def format_window(used: int, window: int | None, *, estimated: bool) -> str:
    """The meter's text: "1,234 / 131,072 tokens (estimate)"."""
    limit = f"{window:,}" if window else "?"
    return f"{'~' if estimated else ''}{used:,} / {limit} tokens{' (estimate)' if estimated else ''}"
