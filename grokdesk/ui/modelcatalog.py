"""The models the key can use, for every tab's picker.

Starts from the cached list (or the built-in catalog on a first start offline),
then refreshes from the API in the background; the window never waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from grokdesk.api.errors import ApiError
from grokdesk.core import catalog as core_catalog
from grokdesk.core import imagegen
from grokdesk.core.imagegen import ImageModel
from grokdesk.core.models import ModelInfo
from grokdesk.storage.modelcache import load_image_models, load_models, save_image_models, save_models
from grokdesk.ui.asynctasks import spawn

if TYPE_CHECKING:
    from grokdesk.api.client import XaiClient

log = logging.getLogger("grokdesk.ui.modelcatalog")


class ModelCatalog(QObject):
    """Signals:
    models_changed(): the list changed.
    refresh_failed(str): the API could not be asked; the reason, for the status bar.
    """

    models_changed = Signal()
    refresh_failed = Signal(str)

    def __init__(
        self,
        *,
        data_dir: Path,
        base_url: Callable[[], str],
        client: Callable[[], XaiClient],
        has_key: Callable[[], bool] = lambda: True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self._base_url = base_url
        self._client = client
        self._has_key = has_key
        self._models: list[ModelInfo] = []
        self._image_models: list[ImageModel] = []
        self.from_api = False
        self._task: asyncio.Task[bool] | None = None
        self._learned: dict[str, int] = {}
        self.load_cached()

    @property
    def models(self) -> list[ModelInfo]:
        return self._models

    @property
    def image_models(self) -> list[ImageModel]:
        """The image-generation models, listed apart from the chat models."""
        return self._image_models

    def load_cached(self) -> None:
        self._image_models = load_image_models(self._data_dir, self._base_url())
        cached = load_models(self._data_dir, self._base_url())
        self._set(
            core_catalog.merge_catalog(cached, core_catalog.BUILTIN) if cached else list(core_catalog.BUILTIN)
        )

    def refresh(self) -> None:
        """Ask the API for the list in the background; not before there is a key (a first
        start shows the welcome alone, not a failed request in the status bar)."""
        if not self._has_key():
            return
        if self._task is not None and not self._task.done():
            return
        self._task = spawn(self.refresh_now(), name="refresh-models")

    async def aclose(self) -> None:
        """Stop a refresh still under way (at quit, before the clients close)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def refresh_now(self) -> bool:
        try:
            listed = await self._client().list_models()
        except ApiError as error:
            log.info("model list not refreshed: %s", error.message)
            self.refresh_failed.emit(error.message)
            return False
        save_models(self._data_dir, self._base_url(), listed)
        await self._refresh_image_models()
        self.from_api = True
        self._set(core_catalog.merge_catalog(listed, core_catalog.BUILTIN))
        return True

    async def _refresh_image_models(self) -> None:
        # Imported here: the API client (httpx) is not needed before the first paint.
        from grokdesk.api.images import list_image_models

        try:
            self._image_models = await list_image_models(self._client())
        except ApiError as error:
            # The chat models are fresh; the image list stays as it was.
            log.info("image model list not refreshed: %s", error.message)
            return
        save_image_models(self._data_dir, self._base_url(), self._image_models)

    def image_info(self, model_id: str) -> ImageModel | None:
        return imagegen.resolve_image_model(model_id, self._image_models)

    def is_image_model(self, model_id: str) -> bool:
        """Whether sending with `model_id` makes images: a listed image model, or (before
        the API has listed any) an id that names one."""
        if self.image_info(model_id) is not None:
            return True
        return not self._image_models and imagegen.is_image_model_id(model_id)

    def knows(self, model_id: str) -> bool:
        """Whether the last list offers this model, to chat or to make images."""
        return self.info(model_id) is not None or self.image_info(model_id) is not None

    def nearest(self, model_id: str) -> str | None:
        """The id of the best replacement for a model the key cannot use: an image model
        for an image model, a chat model otherwise; None when there is none."""
        if imagegen.is_image_model_id(model_id) and self._image_models:
            others = [m for m in self._image_models if m.id != model_id and model_id not in m.aliases]
            image_model = imagegen.nearest_image_model(model_id, others)
            return image_model.id if image_model is not None else None
        models = [m for m in self._models if m.id != model_id and model_id not in m.aliases]
        found = core_catalog.nearest_available(model_id, models)
        return found.id if found is not None else None

    def _set(self, models: list[ModelInfo]) -> None:
        self._models = core_catalog.chat_models(models)
        self.models_changed.emit()

    def info(self, model_id: str) -> ModelInfo | None:
        return core_catalog.resolve(model_id, self._models)

    def context_window(self, model_id: str) -> int | None:
        """The model's window: what the server said in a 400 wins over the catalog."""
        info = self.info(model_id)
        canonical = info.id if info is not None else model_id
        learned = self._learned.get(canonical)
        if learned is not None:
            return learned
        return info.context_window if info is not None else None

    def learn_limit(self, model_id: str, limit: int) -> None:
        """Remember "maximum prompt length is N" from the server for this model."""
        info = self.info(model_id)
        self._learned[info.id if info is not None else model_id] = limit

    def choices(self) -> list[tuple[str, str, str]]:
        """(label, model id or alias, tooltip) for the pickers: each chat model, then
        its aliases grouped under it, each saying what it follows."""
        items = []
        for model in self._models:
            items.append((_label(model), model.id, _tooltip(model)))
            for alias in model.aliases:
                meaning = core_catalog.describe_alias(alias)
                items.append((f"    ↳ {alias}", alias, f"{meaning}\nNow: {model.id}"))
        if self._image_models:
            # An empty id: the picker draws a separator, so image models stand apart.
            items.append(("", "", ""))
        for image_model in self._image_models:
            items.append((f"{image_model.id}  {IMAGE_BADGE}", image_model.id, _image_tooltip(image_model)))
            for alias in image_model.aliases:
                items.append((f"    ↳ {alias}", alias, f"Makes images; now: {image_model.id}"))
        return items


IMAGE_BADGE = "[makes images]"


def _image_tooltip(model: ImageModel) -> str:
    lines = [model.id, "Makes images from the prompt you write (Grok Imagine)."]
    if model.edits_images:
        lines.append("Attach up to 5 images to edit them.")
    if model.price_ticks is not None:
        lines.append(f"{imagegen.format_ticks(model.price_ticks)} per image")
    return "\n".join(lines)


def _label(model: ModelInfo) -> str:
    label = model.id
    if model.takes_images:
        label += "  [images]"
    if model.deprecated:
        label += "  (deprecated)"
    return label


def _tooltip(model: ModelInfo) -> str:
    lines = [model.id]
    if model.aliases:
        lines.append("Also known as: " + ", ".join(model.aliases))
        lines.extend(core_catalog.describe_alias(alias) for alias in model.aliases)
    lines.append("Takes text and images" if model.takes_images else "Takes text only")
    if model.context_window:
        lines.append(f"Context window: {model.context_window:,} tokens")
    price = core_catalog.format_price(model)
    if price:
        lines.append(price)
    if model.deprecated:
        lines.append("Deprecated: xAI may retire it soon.")
    return "\n".join(lines)
