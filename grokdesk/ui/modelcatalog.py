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
from grokdesk.core.models import ModelInfo
from grokdesk.storage.modelcache import load_models, save_models
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
        self.from_api = False
        self._task: asyncio.Task[bool] | None = None
        self._learned: dict[str, int] = {}
        self.load_cached()

    @property
    def models(self) -> list[ModelInfo]:
        return self._models

    def load_cached(self) -> None:
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
        self.from_api = True
        self._set(core_catalog.merge_catalog(listed, core_catalog.BUILTIN))
        return True

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
        return items


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
