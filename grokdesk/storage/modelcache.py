"""The last good model list, cached in the data folder so the app starts offline with it."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, fields
from pathlib import Path

from grokdesk.core.imagegen import ImageModel
from grokdesk.core.models import ModelInfo

log = logging.getLogger("grokdesk.storage.modelcache")
CACHE_NAME = "models-cache.json"
CACHE_VERSION = 1
_FIELDS = {f.name for f in fields(ModelInfo)}


def save_models(data_dir: Path, base_url: str, models: list[ModelInfo]) -> None:
    """Write atomically (temp file, then rename) so a crash never leaves half a file."""
    path = data_dir / CACHE_NAME
    payload = {
        "version": CACHE_VERSION,
        "base_url": base_url,
        "models": [{k: v for k, v in asdict(m).items() if k != "extra"} for m in models],
    }
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not cache the model list in %s: %s", path, exc.strerror)


def load_models(data_dir: Path, base_url: str) -> list[ModelInfo]:
    """The cached list for `base_url`, or [] when there is none or it is unreadable."""
    path = data_dir / CACHE_NAME
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("ignoring an unreadable model cache %s: %s", path, exc)
        return []
    if not isinstance(payload, dict) or payload.get("version") != CACHE_VERSION:
        return []
    if payload.get("base_url") != base_url:
        return []
    models = []
    for item in payload.get("models", []):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        values = {k: v for k, v in item.items() if k in _FIELDS}
        for key in ("aliases", "input_modalities", "output_modalities"):
            if isinstance(values.get(key), list):
                values[key] = tuple(str(v) for v in values[key])
        try:
            models.append(ModelInfo(**values))
        except TypeError:
            continue
    return models


IMAGE_CACHE_NAME = "image-models-cache.json"
_IMAGE_FIELDS = {f.name for f in fields(ImageModel)}


def save_image_models(data_dir: Path, base_url: str, models: list[ImageModel]) -> None:
    """The image-generation models, cached beside the chat models (same atomic write)."""
    path = data_dir / IMAGE_CACHE_NAME
    payload = {"version": CACHE_VERSION, "base_url": base_url, "models": [asdict(m) for m in models]}
    tmp = path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not cache the image model list in %s: %s", path, exc.strerror)


def load_image_models(data_dir: Path, base_url: str) -> list[ImageModel]:
    """The cached image models for `base_url`; [] when none or unreadable."""
    path = data_dir / IMAGE_CACHE_NAME
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("ignoring an unreadable image model cache %s: %s", path, exc)
        return []
    if not isinstance(payload, dict) or payload.get("version") != CACHE_VERSION:
        return []
    if payload.get("base_url") != base_url:
        return []
    models = []
    for item in payload.get("models", []):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        values = {k: v for k, v in item.items() if k in _IMAGE_FIELDS}
        for key in ("aliases", "input_modalities"):
            if isinstance(values.get(key), list):
                values[key] = tuple(str(v) for v in values[key])
        try:
            models.append(ImageModel(**values))
        except TypeError:
            continue
    return models
