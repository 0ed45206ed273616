"""Tokens and money spent: today, this month, and per model, from the replies' own usage."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from grokdesk.core.budget import TICKS_PER_USD, cost_usd, format_cost
from grokdesk.core.conversation import Usage
from grokdesk.core.models import ModelInfo
from grokdesk.storage.records import UsageTotals
from grokdesk.storage.store import Store
from grokdesk.ui.persistence import StoreCall

COLUMNS = ("Model", "Replies", "Prompt", "Completion", "Reasoning", "Cached", "Cost", "Images")


def totals_cost(totals: UsageTotals, info: ModelInfo | None) -> float | None:
    """The API's own cost where replies reported one, plus the others priced from the model's prices."""
    reported = totals.cost_in_usd_ticks / TICKS_PER_USD
    if totals.unpriced == Usage():
        return reported
    priced = cost_usd(totals.unpriced, info) if info is not None else None
    return None if priced is None else reported + priced


def period_starts(now: float | None = None) -> tuple[float, float]:
    """Local midnight today and the first of this month, as Unix times."""
    moment = datetime.fromtimestamp(time.time() if now is None else now)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp(), day.replace(day=1).timestamp()


class UsageDialog(QDialog):
    """Filled in the background through `run` (a Store method on the store's thread)."""

    def __init__(
        self,
        run: StoreCall,
        model_info: Callable[[str], ModelInfo | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("usageDialog")
        self.setWindowTitle("Usage")
        self.resize(640, 360)
        self._run = run
        self._model_info = model_info
        self.summary = QLabel("Loading…", self)
        self.summary.setObjectName("usageSummary")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("usageTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    async def load(self, now: float | None = None) -> None:
        today, month = period_starts(now)
        day_totals = await self._run(Store.usage_totals, today)
        month_totals = await self._run(Store.usage_totals, month)
        all_totals = await self._run(Store.usage_totals, None)
        self.summary.setText(
            f"Today: {self._describe(day_totals)}\nThis month: {self._describe(month_totals)}\n"
            f"All time: {self._describe(all_totals)}"
        )
        rows = sorted(all_totals.values(), key=lambda t: t.total_tokens, reverse=True)
        self.table.setRowCount(len(rows))
        for row, totals in enumerate(rows):
            cost = totals_cost(totals, self._model_info(totals.model))
            values = (
                totals.model or "(unknown)",
                f"{totals.replies:,}",
                f"{totals.prompt_tokens:,}",
                f"{totals.completion_tokens:,}",
                f"{totals.reasoning_tokens:,}",
                f"{totals.cached_tokens:,}",
                format_cost(cost) if cost is not None else "price unknown",
                f"{totals.images:,}",
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def _describe(self, totals: dict[str, UsageTotals]) -> str:
        tokens = sum(t.total_tokens or t.prompt_tokens + t.completion_tokens for t in totals.values())
        costs = [totals_cost(t, self._model_info(t.model)) for t in totals.values()]
        known = [c for c in costs if c is not None]
        text = f"{tokens:,} tokens in {sum(t.replies for t in totals.values()):,} replies"
        images = sum(t.images for t in totals.values())
        if images:
            text += f", {images:,} image{'s' if images != 1 else ''} made"
        if known:
            text += f", {format_cost(sum(known))}"
            if len(known) < len(costs):
                text += " (some prices unknown)"
        return text
