"""Tokens and money spent: today, this month, and per model, from the replies' own usage."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from grokdesk.core.budget import TICKS_PER_USD, cost_usd, format_cost, tool_call_counts
from grokdesk.core.conversation import Usage
from grokdesk.core.models import ModelInfo
from grokdesk.storage.records import UsageTotals
from grokdesk.storage.store import Store
from grokdesk.ui.look import theme_of
from grokdesk.ui.persistence import StoreCall

CHART_DAYS = 30
GRID_STEPS = 5
COLUMNS = ("Model", "Replies", "Prompt", "Completion", "Reasoning", "Cached", "Cost", "Tool calls", "Images")


def totals_cost(totals: UsageTotals, info: ModelInfo | None) -> float | None:
    """The API's own cost where replies reported one, plus the others priced from the model's prices."""
    reported = totals.cost_in_usd_ticks / TICKS_PER_USD
    unpriced = totals.tokens_to_price()
    if unpriced == Usage():
        return reported
    priced = cost_usd(unpriced, info) if info is not None else None
    return None if priced is None else reported + priced


def tool_calls_text(totals: UsageTotals) -> str:
    usage = Usage(
        web_search_calls=totals.web_search_calls,
        x_search_calls=totals.x_search_calls,
        code_calls=totals.code_calls,
    )
    return ", ".join(tool_call_counts(usage))


def period_starts(now: float | None = None) -> tuple[float, float]:
    """Local midnight today and the first of this month, as Unix times."""
    moment = datetime.fromtimestamp(time.time() if now is None else now)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp(), day.replace(day=1).timestamp()


@dataclass
class DailySeries:
    """Per model, one value a day (dollars, or tokens when no price is known)."""

    days: list[date]
    values: dict[str, list[float]] = field(default_factory=dict)
    unit: str = "$"

    def total(self, index: int) -> float:
        return sum(series[index] for series in self.values.values())


def daily_series(
    rows: list[tuple[str, UsageTotals]],
    model_info: Callable[[str], ModelInfo | None],
    today: date,
    days: int = CHART_DAYS,
) -> DailySeries:
    """The last `days` days up to `today`: cost per day and model; tokens if no reply
    in the period has a known price (a chart of zeros would say nothing)."""
    span = [today - timedelta(days=days - 1 - i) for i in range(days)]
    index = {d.isoformat(): i for i, d in enumerate(span)}
    costs: dict[str, list[float]] = {}
    tokens: dict[str, list[float]] = {}
    for day, totals in rows:
        i = index.get(day)
        if i is None:
            continue
        name = totals.model or "(unknown)"
        cost = totals_cost(totals, model_info(totals.model))
        costs.setdefault(name, [0.0] * days)[i] += cost or 0.0
        used = totals.total_tokens or totals.prompt_tokens + totals.completion_tokens
        tokens.setdefault(name, [0.0] * days)[i] += used
    if any(any(v) for v in costs.values()):
        return DailySeries(span, costs, "$")
    return DailySeries(span, tokens, "tokens")


def _format_value(value: float, unit: str) -> str:
    if unit == "$":
        return f"${value:,.2f}" if value >= 0.1 else f"${value:,.4f}".rstrip("0").rstrip(".")
    return f"{value:,.0f} tokens"


class UsageChart(QWidget):
    """Stacked bars: one a day for the last 30 days, one colour per model, painted with
    QPainter in the theme's colours; hovering a bar tells that day's figures."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageChart")
        self.setAccessibleName("Cost per day for the last 30 days, per model")
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.series = DailySeries([])
        self.setMouseTracking(True)

    def set_series(self, series: DailySeries) -> None:
        self.series = series
        total = sum(series.total(i) for i in range(len(series.days)))
        self.setAccessibleDescription(
            f"{len(series.values)} models, {_format_value(total, series.unit)} in {len(series.days)} days"
        )
        self.update()

    def _plot_rect(self) -> QRectF:
        metrics = QFontMetrics(self.font())
        left = metrics.horizontalAdvance("$0,000.00") + 12
        legend = metrics.height() + 14
        return QRectF(left, 10, max(10, self.width() - left - 12), max(10, self.height() - 34 - legend))

    def _scale_max(self) -> float:
        peak = max((self.series.total(i) for i in range(len(self.series.days))), default=0.0)
        if peak <= 0:
            return 1.0
        # A round top for the axis: 1, 2 or 5 times a power of ten.
        magnitude = 10.0 ** math.floor(math.log10(peak))
        for step in (1, 2, 5, 10):
            if peak <= step * magnitude:
                return step * magnitude
        return peak

    def paintEvent(self, event: QPaintEvent) -> None:
        theme = theme_of(self.palette())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(theme.base))
        plot = self._plot_rect()
        metrics = QFontMetrics(self.font())
        series = self.series
        top = self._scale_max()
        muted = QColor(theme.muted)
        # Grid lines and the value axis.
        for step in range(GRID_STEPS + 1):  # the top is 1, 2 or 5 x 10^n: fifths are round
            value = top * step / GRID_STEPS
            y = plot.bottom() - plot.height() * step / GRID_STEPS
            painter.setPen(QPen(QColor(theme.border), 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(muted)
            label = _format_value(value, series.unit).replace(" tokens", "")
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, plot.left() - 8, metrics.height()),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )
        days = len(series.days)
        if not days:
            painter.end()
            return
        slot = plot.width() / days
        bar = max(2.0, slot * 0.66)
        colours = [QColor(c) for c in theme.chart]
        models = list(series.values)
        for i, day in enumerate(series.days):
            x = plot.left() + slot * i + (slot - bar) / 2
            y = plot.bottom()
            for m, model in enumerate(models):
                value = series.values[model][i]
                if value <= 0:
                    continue
                height = plot.height() * value / top
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colours[m % len(colours)])
                painter.drawRoundedRect(QRectF(x, y - height, bar, height), 2, 2)
                y -= height
            if i % 7 == (days - 1) % 7:  # a date label each week, ending today
                painter.setPen(muted)
                width = bar + 60
                left = min(x - 30, self.width() - width)
                painter.drawText(
                    QRectF(left, plot.bottom() + 4, width, metrics.height()),
                    int(Qt.AlignmentFlag.AlignRight if left < x - 30 else Qt.AlignmentFlag.AlignHCenter),
                    f"{day.day} {day.strftime('%b')}",
                )
        # Legend: one swatch per model.
        x = plot.left()
        y = self.height() - metrics.height() - 6
        for m, model in enumerate(models):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colours[m % len(colours)])
            painter.drawRoundedRect(QRectF(x, y + 3, 10, 10), 2, 2)
            painter.setPen(QColor(theme.text))
            painter.drawText(QPointF(x + 14, y + metrics.ascent()), model)
            x += 14 + metrics.horizontalAdvance(model) + 18
        if not models:
            painter.setPen(muted)
            painter.drawText(plot, int(Qt.AlignmentFlag.AlignCenter), "No replies in the last 30 days")
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self._describe_at(float(event.pos().x()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def _describe_at(self, x: float) -> str:
        plot = self._plot_rect()
        days = len(self.series.days)
        if not days or not plot.left() <= x <= plot.right():
            return ""
        i = min(days - 1, int((x - plot.left()) / (plot.width() / days)))
        unit = self.series.unit
        lines = [self.series.days[i].strftime("%a %d %b")]
        lines += [
            f"{model}: {_format_value(values[i], unit)}"
            for model, values in self.series.values.items()
            if values[i]
        ]
        return "\n".join(lines) if len(lines) > 1 else lines[0] + ": nothing"


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
        self.resize(780, 600)
        self._run = run
        self._model_info = model_info
        self.summary = QLabel("Loading…", self)
        self.summary.setObjectName("usageSummary")
        self.chart = UsageChart(self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("usageTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.chart, 3)
        layout.addWidget(self.table, 2)
        layout.addWidget(buttons)

    async def load(self, now: float | None = None) -> None:
        today, month = period_starts(now)
        day_totals = await self._run(Store.usage_totals, today)
        month_totals = await self._run(Store.usage_totals, month)
        all_totals = await self._run(Store.usage_totals, None)
        first_day = datetime.fromtimestamp(today) - timedelta(days=CHART_DAYS - 1)
        by_day = await self._run(Store.usage_by_day, first_day.timestamp())
        self.chart.set_series(daily_series(by_day, self._model_info, datetime.fromtimestamp(today).date()))
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
                tool_calls_text(totals),
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
        calls = UsageTotals(
            "",
            web_search_calls=sum(t.web_search_calls for t in totals.values()),
            x_search_calls=sum(t.x_search_calls for t in totals.values()),
            code_calls=sum(t.code_calls for t in totals.values()),
        )
        if tool_calls_text(calls):
            text += f" ({tool_calls_text(calls)})"
        images = sum(t.images for t in totals.values())
        if images:
            text += f", {images:,} image{'s' if images != 1 else ''} made"
        if known:
            text += f", {format_cost(sum(known))}"
            if len(known) < len(costs):
                text += " (some prices unknown)"
        return text
