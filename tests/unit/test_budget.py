"""Token estimates, fitting a conversation into the window, and what a reply cost."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from grokdesk.core.budget import (
    MESSAGE_OVERHEAD_TOKENS,
    billed_completion_tokens,
    conversation_tokens,
    cost_usd,
    estimate_tokens,
    fit_to_window,
    format_cost,
    format_usage,
    format_window,
    image_tokens,
    message_tokens,
    parse_max_prompt_length,
)
from grokdesk.core.catalog import BUILTIN
from grokdesk.core.conversation import (
    Conversation,
    ConversationSettings,
    ImageDetail,
    Message,
    Role,
    TextPart,
    Usage,
)
from grokdesk.core.images import check_image_bytes
from grokdesk.core.models import ModelInfo
from grokdesk.core.request import build_chat_request

# The usage chunk of a reasoning model (grok-code-fast-1, recorded Oct 2025).
REASONING_USAGE = Usage(
    prompt_tokens=213, completion_tokens=27, reasoning_tokens=133, cached_tokens=192, total_tokens=373
)
# $0.20 in, $0.02 cached, $1.50 out per million tokens, in cents per 100M tokens.
CODE_FAST = ModelInfo("grok-code-fast-1", prompt_price=2000, cached_prompt_price=200, completion_price=15000)


def test_estimate_tokens_is_about_four_characters_a_token() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 20
    assert len(text) / 5 < estimate_tokens(text) < len(text) / 3
    assert estimate_tokens("") == 0
    assert estimate_tokens("hello") == 1
    assert estimate_tokens("internationalization") == 4
    assert estimate_tokens("1234567") == 3


def test_estimate_counts_non_latin_text_and_code() -> None:
    assert estimate_tokens("日本語の文章です") == 8
    code = "def f(x):\n        return x + 1\n"
    assert estimate_tokens(code) >= 10


def test_image_tokens_depend_on_detail_and_size() -> None:
    assert image_tokens(ImageDetail.LOW, 4000, 3000) == 512
    assert image_tokens(ImageDetail.HIGH, 400, 300) == 512
    assert image_tokens(ImageDetail.HIGH, 896, 448) == 3 * 256
    assert image_tokens(ImageDetail.HIGH, 897, 448) == 4 * 256
    assert image_tokens("high", 4000, 3000) == 7 * 256  # at most six tiles
    assert image_tokens(ImageDetail.AUTO, 4000, 3000) == image_tokens(ImageDetail.HIGH, 4000, 3000)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_conversation_tokens_count_text_and_images_from_the_request() -> None:
    big = check_image_bytes(png(896, 448), "wide.png", detail=ImageDetail.HIGH)
    small = check_image_bytes(png(10, 10), "tiny.png", detail=ImageDetail.LOW)
    conv = Conversation(
        messages=[Message(Role.USER, [TextPart("hello"), big, small]), Message.text(Role.ASSISTANT, "hi")],
        settings=ConversationSettings(add_datetime=False),
    )
    messages = build_chat_request(conv, model="grok-2-vision-1212", model_info=None)["messages"]
    assert conversation_tokens(messages) == (MESSAGE_OVERHEAD_TOKENS + 1 + 768 + 512) + (
        MESSAGE_OVERHEAD_TOKENS + 1
    )


def test_a_tokenizer_can_replace_the_estimate() -> None:
    messages = [{"role": "user", "content": "anything at all"}]
    assert conversation_tokens(messages, count_text=lambda text: 100) == 100 + MESSAGE_OVERHEAD_TOKENS


def turns(count: int, words: int = 10) -> list[dict[str, str]]:
    text = " ".join(["word"] * words)
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": text} for i in range(count)]


def test_fit_to_window_keeps_everything_that_fits() -> None:
    messages = [{"role": "system", "content": "Prompt"}, *turns(6)]
    assert fit_to_window(messages, window=10_000) == 0


def test_fit_to_window_drops_oldest_turns_keeping_prompt_and_newest() -> None:
    messages = [{"role": "system", "content": "Prompt"}, *turns(6)]  # each turn: 14 tokens
    system = message_tokens(messages[0])
    # Room for the system prompt and three messages: the cut moves to a user message.
    drop = fit_to_window(messages, window=system + 3 * 14)
    assert drop == 4
    kept = messages[:1] + messages[1 + drop :]
    assert conversation_tokens(kept) <= system + 3 * 14
    assert kept[1]["role"] == "user"


def test_fit_to_window_with_a_reserve_for_the_answer() -> None:
    messages = turns(4)
    assert fit_to_window(messages, window=4 * 14) == 0
    assert fit_to_window(messages, window=4 * 14, reserve=14) == 2


def test_fit_to_window_when_nothing_fits() -> None:
    messages = [{"role": "system", "content": "Prompt"}, *turns(2, words=1000)]
    assert fit_to_window(messages, window=500) is None


def test_fit_agrees_with_drop_oldest_of_the_request() -> None:
    conv = Conversation(
        messages=[Message.text(Role.USER if i % 2 == 0 else Role.ASSISTANT, "word " * 50) for i in range(8)],
        settings=ConversationSettings(system_prompt="Be brief."),
    )
    now = datetime(2026, 11, 26, tzinfo=UTC)
    full = build_chat_request(conv, model="grok-3", model_info=None, now=now)["messages"]
    window = conversation_tokens(full) // 2
    drop = fit_to_window(full, window)
    assert drop is not None
    trimmed = build_chat_request(conv, model="grok-3", model_info=None, now=now, drop_oldest=drop)["messages"]
    assert trimmed[0]["role"] == "system"
    assert trimmed[-1] == full[-1]
    assert conversation_tokens(trimmed) <= window


def test_parse_max_prompt_length() -> None:
    message = "This model's maximum prompt length is 131072 but the request contains 179111 tokens."
    assert parse_max_prompt_length(message) == (131072, 179111)
    assert parse_max_prompt_length("Incorrect API key provided") is None


def test_reasoning_usage_chunk_cost() -> None:
    assert billed_completion_tokens(REASONING_USAGE) == 160
    assert REASONING_USAGE.prompt_tokens + billed_completion_tokens(REASONING_USAGE) == 373
    # 21 uncached x $0.20/M + 192 cached x $0.02/M + (27 + 133) x $1.50/M
    expected = (21 * 0.20 + 192 * 0.02 + 160 * 1.50) / 1_000_000
    assert cost_usd(REASONING_USAGE, CODE_FAST) == pytest.approx(expected)


def test_reasoning_already_in_completion_is_not_billed_twice() -> None:
    openai_style = Usage(prompt_tokens=10, completion_tokens=100, reasoning_tokens=60, total_tokens=110)
    assert billed_completion_tokens(openai_style) == 100


def test_cost_without_cached_price_uses_the_prompt_price_and_images_their_own() -> None:
    model = ModelInfo("m", prompt_price=20000, image_prompt_price=40000, completion_price=100000)
    usage = Usage(
        prompt_tokens=1000, completion_tokens=500, cached_tokens=100, image_tokens=300, total_tokens=1500
    )
    expected = (600 * 2.0 + 100 * 2.0 + 300 * 4.0 + 500 * 10.0) / 1_000_000
    assert cost_usd(usage, model) == pytest.approx(expected)


def test_cost_unknown_without_prices() -> None:
    assert cost_usd(REASONING_USAGE, ModelInfo("local")) is None
    assert format_usage(REASONING_USAGE, ModelInfo("local")) == (
        "213 in (192 cached) · 27 out · 133 reasoning · 373 total"
    )


def test_format_usage_with_cost() -> None:
    assert format_usage(REASONING_USAGE, CODE_FAST) == (
        "213 in (192 cached) · 27 out · 133 reasoning · 373 total · $0.000248"
    )
    grok2 = next(m for m in BUILTIN if m.id == "grok-2-1212")
    plain = Usage(prompt_tokens=1_000_000, completion_tokens=100_000, total_tokens=1_100_000)
    assert format_usage(plain, grok2) == "1,000,000 in · 100,000 out · 1,100,000 total · $3.00"


def test_format_cost_and_window() -> None:
    assert format_cost(0) == "$0.00"
    assert format_cost(1.234) == "$1.23"
    assert format_cost(0.0123) == "$0.01"
    assert format_cost(0.00000123) == "$0.00000123"
    assert format_window(1234, 131072, estimated=True) == "~1,234 / 131,072 tokens (estimate)"
    assert format_window(5, None, estimated=False) == "5 / ? tokens"
