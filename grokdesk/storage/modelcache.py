"""The last good model lists (chat and image models), cached in the data folder so the app
starts offline with them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from grokdesk.core.imagegen import ImageModel
from grokdesk.core.models import ModelInfo

log = logging.getLogger("grokdesk.storage.modelcache")
CACHE_NAME = "models-cache.json"
IMAGE_CACHE_NAME = "image-models-cache.json"
CACHE_VERSION = 1
_FIELDS = {f.name for f in fields(ModelInfo)}
_IMAGE_FIELDS = {f.name for f in fields(ImageModel)}
# Fields kept as tuples in the dataclasses, lists in JSON.
_TUPLE_FIELDS = ("aliases", "input_modalities", "output_modalities")


def save_models(data_dir: Path, base_url: str, models: list[ModelInfo]) -> None:
    items = ({k: v for k, v in asdict(m).items() if k != "extra"} for m in models)
    _write(data_dir / CACHE_NAME, base_url, items, "model list")


def load_models(data_dir: Path, base_url: str) -> list[ModelInfo]:
    """The cached list for `base_url`, or [] when there is none or it is unreadable."""
    models = []
    for values in _read(data_dir / CACHE_NAME, base_url, _FIELDS, "model cache"):
        try:
            models.append(ModelInfo(**values))
        except TypeError:
            continue
    return models


def save_image_models(data_dir: Path, base_url: str, models: list[ImageModel]) -> None:
    """The image-generation models, cached beside the chat models (same atomic write)."""
    _write(data_dir / IMAGE_CACHE_NAME, base_url, (asdict(m) for m in models), "image model list")


def load_image_models(data_dir: Path, base_url: str) -> list[ImageModel]:
    """The cached image models for `base_url`; [] when none or unreadable."""
    models = []
    for values in _read(data_dir / IMAGE_CACHE_NAME, base_url, _IMAGE_FIELDS, "image model cache"):
        try:
            models.append(ImageModel(**values))
        except TypeError:
            continue
    return models


def _write(path: Path, base_url: str, items: Iterable[dict[str, Any]], what: str) -> None:
    """Write atomically (temp file, then rename) so a crash never leaves half a file."""
    payload = {"version": CACHE_VERSION, "base_url": base_url, "models": list(items)}
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not cache the %s in %s: %s", what, path, exc.strerror)


def _read(path: Path, base_url: str, known: set[str], what: str) -> list[dict[str, Any]]:
    """The cached items for `base_url` with only the fields in `known`; [] when the file is
    missing, unreadable, of another version or for another server."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("ignoring an unreadable %s %s: %s", what, path, exc)
        return []
    if not isinstance(payload, dict) or payload.get("version") != CACHE_VERSION:
        return []
    if payload.get("base_url") != base_url:
        return []
    found = []
    for item in payload.get("models", []):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        values = {k: v for k, v in item.items() if k in known}
        for key in _TUPLE_FIELDS:
            if isinstance(values.get(key), list):
                values[key] = tuple(str(v) for v in values[key])
        found.append(values)
    return found
