"""The model catalog: built-in facts, merging with the API's list, aliases,
retired-model fallbacks and the parameter table."""

from __future__ import annotations

from dataclasses import replace

import pytest

from grokdesk.core.catalog import (
    BUILTIN,
    PARAMETER_TABLE,
    AliasKind,
    alias_kind,
    chat_models,
    describe_alias,
    family,
    format_context,
    format_dollars,
    format_price,
    is_reasoning,
    merge_catalog,
    nearest_available,
    pin,
    reasoning_efforts,
    resolve,
    supported_params,
)
from grokdesk.core.models import ModelInfo

BY_ID = {m.id: m for m in BUILTIN}


def test_seed_family_facts() -> None:
    grok2 = BY_ID["grok-2-1212"]
    assert grok2.aliases == ("grok-2", "grok-2-latest")
    assert grok2.context_window == 131072
    assert not grok2.takes_images
    assert grok2.knowledge_cutoff == "2024-07-17"
    vision = BY_ID["grok-2-vision-1212"]
    assert vision.aliases == ("grok-2-vision", "grok-2-vision-latest")
    assert vision.context_window == 32768
    assert vision.takes_images
    assert vision.knowledge_cutoff == "2024-07-17"
    assert format_price(grok2) == "$2.00 / $10.00 per M tokens"


def test_betas_are_deprecated_and_later_families_present() -> None:
    assert BY_ID["grok-beta"].deprecated
    assert BY_ID["grok-vision-beta"].deprecated
    for model_id in (
        "grok-3",
        "grok-3-mini",
        "grok-4-0709",
        "grok-4-fast-reasoning",
        "grok-code-fast-1",
        "grok-4.3",
    ):
        assert BY_ID[model_id].context_window, model_id
    assert BY_ID["grok-4.3"].context_window == 1_000_000
    assert BY_ID["grok-4-fast-non-reasoning"].context_window == 2_000_000


def test_offline_first_start_uses_the_builtin_list() -> None:
    assert merge_catalog(None) == list(BUILTIN)


def test_api_list_wins_and_builtin_fills_context_windows() -> None:
    from_api = [
        ModelInfo(
            "grok-2-vision-1212",
            aliases=(),  # xAI's 2025 OpenAPI example lists none
            input_modalities=("text", "image"),
            prompt_price=25000,
            completion_price=110000,
        ),
        ModelInfo(
            "grok-3",
            aliases=("grok-3-latest",),
            prompt_price=30000,
            completion_price=150000,
            context_window=99,
        ),
        ModelInfo("my-local-model", owned_by="me"),
    ]
    merged = {m.id: m for m in merge_catalog(from_api)}
    assert set(merged) == {"grok-2-vision-1212", "grok-3", "my-local-model"}  # only what the API lists
    vision = merged["grok-2-vision-1212"]
    assert (vision.prompt_price, vision.completion_price) == (25000, 110000)  # API prices win
    assert vision.context_window == 32768  # filled from the built-in list
    assert vision.aliases == ("grok-2-vision", "grok-2-vision-latest")
    assert vision.image_prompt_price is None  # the API gave prices; a missing one is not borrowed
    grok3 = merged["grok-3"]
    assert grok3.context_window == 99  # the API's value wins
    assert grok3.aliases == ("grok-3-latest",)
    assert merged["my-local-model"] == from_api[2]


def test_bare_models_listing_borrows_modalities_and_prices() -> None:
    # Plain /v1/models has ids only; the built-in entry supplies the rest.
    merged = merge_catalog([ModelInfo("grok-2-vision-1212", created=1), ModelInfo("grok-2-latest")])
    vision, grok2 = merged
    assert vision.takes_images
    assert vision.created == 1
    assert format_price(vision) == "$2.00 / $10.00 per M tokens"
    assert grok2.id == "grok-2-latest"
    assert grok2.context_window == 131072


def test_chat_models_leave_out_image_generation_and_embeddings() -> None:
    models = [
        ModelInfo("grok-2-1212"),
        ModelInfo("grok-2-image-1212", output_modalities=("image",)),
        ModelInfo("grok-2-image-1212b"),  # /v1/models gives no modalities; the id tells
        ModelInfo("grok-imagine-video"),
        ModelInfo("v1-embedding-model"),
        ModelInfo("grok-2-vision-1212", input_modalities=("text", "image")),
    ]
    assert [m.id for m in chat_models(models)] == ["grok-2-1212", "grok-2-vision-1212"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("grok-2", AliasKind.LATEST_STABLE),
        ("grok-3", AliasKind.LATEST_STABLE),
        ("grok-4.3", AliasKind.LATEST_STABLE),
        ("grok-4-fast-reasoning", AliasKind.LATEST_STABLE),
        ("grok-2-latest", AliasKind.NEWEST),
        ("grok-2-vision-latest", AliasKind.NEWEST),
        ("grok-2-1212", AliasKind.PINNED),
        ("grok-4-0709", AliasKind.PINNED),
        ("grok-code-fast-1", AliasKind.PINNED),
        ("model-2025-01-31", AliasKind.PINNED),
    ],
)
def test_alias_kinds(name: str, kind: AliasKind) -> None:
    assert alias_kind(name) is kind


def test_alias_descriptions_say_what_changes() -> None:
    assert "latest stable" in describe_alias("grok-2")
    assert "newest" in describe_alias("grok-2-latest")
    assert "does not change" in describe_alias("grok-2-1212")
    assert describe_alias("grok-2").startswith("grok-2 ")


def test_resolve_and_pin() -> None:
    models = list(BUILTIN)
    assert resolve("grok-2-latest", models) is BY_ID["grok-2-1212"]
    assert resolve("grok-2-vision", models) is BY_ID["grok-2-vision-1212"]
    assert resolve("grok-3-mini", models) is BY_ID["grok-3-mini"]
    assert resolve("no-such-model", models) is None
    assert pin("grok-2", models) == "grok-2-1212"
    assert pin("grok-4-latest", models) == "grok-4-0709"
    assert pin("unknown", models) == "unknown"


def test_family_of_names() -> None:
    assert family("grok-2-1212") == "grok-2"
    assert family("grok-2-vision-1212") == "grok-2-vision"
    assert family("grok-2-latest") == "grok-2"
    assert family("grok-code-fast-1") == "grok-code-fast"


def test_nearest_available_prefers_the_same_family() -> None:
    available = [BY_ID["grok-2-vision-1212"], BY_ID["grok-3"], BY_ID["grok-4.3"]]
    found = nearest_available("grok-2-1212", available)
    assert found is not None
    assert found.id == "grok-2-vision-1212"
    newer = replace(BY_ID["grok-2-1212"], id="grok-2-0301", created=1800000000)
    found = nearest_available("grok-2-1212", [*available, newer])
    assert found is not None
    assert found.id == "grok-2-0301"


def test_nearest_available_keeps_image_input() -> None:
    available = [BY_ID["grok-2-1212"], BY_ID["grok-3"], BY_ID["grok-4.3"]]
    found = nearest_available("grok-2-vision-1212", available)
    assert found is not None
    assert found.id == "grok-4.3"


def test_switch_to_a_model_that_takes_images() -> None:
    available = [BY_ID["grok-2-1212"], BY_ID["grok-2-vision-1212"], BY_ID["grok-3"], BY_ID["grok-4.3"]]
    found = nearest_available("grok-2-1212", available, needs_images=True)
    assert found is not None
    assert found.id == "grok-2-vision-1212"
    found = nearest_available("grok-4.3", available, needs_images=True)
    assert found is BY_ID["grok-4.3"]  # it already takes images
    assert nearest_available("grok-3", [BY_ID["grok-3"]], needs_images=True) is None


def test_nearest_available_for_a_retired_grok_4() -> None:
    available = [BY_ID["grok-3"], BY_ID["grok-4.3"], BY_ID["grok-3-mini"]]
    found = nearest_available("grok-4-0709", available)
    assert found is not None
    assert found.id == "grok-4.3"


def test_nearest_available_when_the_model_exists_or_nothing_does() -> None:
    assert nearest_available("grok-2-latest", list(BUILTIN)) is BY_ID["grok-2-1212"]
    assert nearest_available("grok-2-1212", []) is None
    assert (
        nearest_available("grok-2-1212", [ModelInfo("grok-2-image-1212", output_modalities=("image",))])
        is None
    )


@pytest.mark.parametrize(
    ("model", "efforts"),
    [
        ("grok-3-mini", ("low", "high")),
        ("grok-3-mini-fast", ("low", "high")),
        ("grok-4.3", ("none", "low", "medium", "high")),
        ("grok-4", ()),
        ("grok-4-0709", ()),
        ("grok-4-fast-reasoning", ()),
        ("grok-4-1-fast-reasoning", ()),
        ("grok-4.20-beta", ()),
        ("grok-3", ()),
        ("grok-2-1212", ()),
        ("llama3:8b", ()),
    ],
)
def test_reasoning_effort_only_where_supported(model: str, efforts: tuple[str, ...]) -> None:
    assert reasoning_efforts(model) == efforts
    assert ("reasoning_effort" in supported_params(model)) == bool(efforts)


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [
        ("grok-3-mini", True),
        ("grok-4-0709", True),
        ("grok-4-fast-reasoning", True),
        ("grok-4-fast-non-reasoning", False),
        ("grok-code-fast-1", True),
        ("grok-4.3", True),
        ("grok-3", False),
        ("grok-2-latest", False),
        ("grok-beta", False),
        ("some-local-model", False),
    ],
)
def test_penalties_and_stop_not_on_reasoning_models(model: str, reasoning: bool) -> None:
    assert is_reasoning(model) is reasoning
    params = supported_params(model)
    assert {"temperature", "max_completion_tokens", "messages"} <= params
    assert ("stop" in params) is not reasoning
    assert ("frequency_penalty" in params) is not reasoning


def test_grok_3_rejects_presence_penalty_only() -> None:
    params = supported_params("grok-3")
    assert "presence_penalty" not in params
    assert {"frequency_penalty", "stop"} <= params
    assert "presence_penalty" in supported_params("grok-2-1212")


def test_parameter_table_works_on_model_info_and_names_every_source() -> None:
    assert supported_params(BY_ID["grok-3-mini"]) == supported_params("grok-3-mini")
    assert all(row.source for row in PARAMETER_TABLE)


def test_price_and_window_formatting() -> None:
    assert format_dollars(20000) == "$2.00"
    assert format_dollars(750) == "$0.075"
    assert format_dollars(None) == "?"
    assert format_price(ModelInfo("x")) == "price unknown"
    assert format_price(ModelInfo("x", prompt_price=2000)) == "$0.20 / ? per M tokens"
    assert format_context(131072) == "131,072 tokens"
    assert format_context(None) == "unknown window"
