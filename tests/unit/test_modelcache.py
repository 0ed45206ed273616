"""The model list cache: what an offline start gets back, and what it ignores."""

from __future__ import annotations

import json
from pathlib import Path

from grokdesk.core.models import ModelInfo
from grokdesk.storage.modelcache import CACHE_NAME, load_models, save_models

URL = "https://api.x.ai/v1"


def test_a_cached_list_comes_back_for_the_same_server(tmp_path: Path) -> None:
    models = [ModelInfo("grok-4", aliases=("grok-4-latest",), input_modalities=("text", "image"))]
    save_models(tmp_path, URL, models)
    assert load_models(tmp_path, URL) == models
    assert load_models(tmp_path, "http://127.0.0.1:9/v1") == []  # another server's list is not used


def test_an_unreadable_or_foreign_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / CACHE_NAME).write_text("{not json", encoding="utf-8")
    assert load_models(tmp_path, URL) == []
    (tmp_path / CACHE_NAME).write_text(
        json.dumps({"version": 99, "base_url": URL, "models": [{"id": "grok-4"}]}), encoding="utf-8"
    )
    assert load_models(tmp_path, URL) == []
    (tmp_path / CACHE_NAME).write_text(
        json.dumps({"version": 1, "base_url": URL, "models": [{"id": 5}, {"id": "grok-3", "unknown": 1}]}),
        encoding="utf-8",
    )
    assert [m.id for m in load_models(tmp_path, URL)] == ["grok-3"]
