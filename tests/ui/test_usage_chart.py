"""The usage chart: cost per day and model over the last 30 days, painted in the theme."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Usage
from grokdesk.core.models import ModelInfo
from grokdesk.storage.records import UsageTotals
from grokdesk.ui.library.usageview import UsageChart, daily_series
from grokdesk.ui.look import DARK, LIGHT, apply_look

TODAY = date(2026, 3, 14)


def info(model: str) -> ModelInfo | None:
    # grok-4 has prices; "mystery" does not.
    return ModelInfo(model, prompt_price=20_000, completion_price=150_000) if model == "grok-4" else None


def totals(model: str, prompt: int, completion: int) -> UsageTotals:
    """Replies that reported tokens but not the API's own cost: priced from the model."""
    return UsageTotals(
        model,
        1,
        prompt,
        completion,
        total_tokens=prompt + completion,
        unpriced=Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion),
    )


@pytest.fixture
def light_again(qapp: QApplication) -> Iterator[None]:
    yield
    apply_look("light", qapp.font().pointSize())


def test_daily_series_covers_thirty_days_ending_today() -> None:
    rows = [
        ("2026-02-12", totals("grok-4", 1_000_000, 0)),  # 31 days ago: outside
        ("2026-02-13", totals("grok-4", 1_000_000, 0)),  # the first day shown
        ("2026-03-14", totals("grok-4", 0, 1_000_000)),
        ("2026-03-14", totals("mystery", 500, 500)),
    ]
    series = daily_series(rows, info, TODAY)
    assert len(series.days) == 30 and series.days[0] == date(2026, 2, 13) and series.days[-1] == TODAY
    assert series.unit == "$"
    assert series.values["grok-4"][0] == pytest.approx(2.0)  # $2 per million prompt tokens
    assert series.values["grok-4"][-1] == pytest.approx(15.0)
    assert series.values["mystery"][-1] == 0.0  # no price: no cost, still listed


def test_without_any_price_the_chart_shows_tokens() -> None:
    series = daily_series([("2026-03-14", totals("mystery", 500, 700))], info, TODAY)
    assert series.unit == "tokens" and series.values["mystery"][-1] == 1200


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_chart_paints_bars_in_the_theme(qtbot: QtBot, light_again: None, theme: object) -> None:
    assert theme in (LIGHT, DARK)
    apply_look("dark" if theme is DARK else "light", 11)
    chart = UsageChart()
    qtbot.addWidget(chart)
    chart.resize(600, 260)
    chart.set_series(daily_series([("2026-03-14", totals("grok-4", 2_000_000, 0))], info, TODAY))
    image = chart.grab().toImage()
    background = image.pixelColor(5, 5)
    assert background == QColor(theme.base)  # type: ignore[attr-defined]
    bar_colour = QColor(theme.chart[0])  # type: ignore[attr-defined]
    # Today's bar is the last one: its colour fills part of the right end of the plot.
    found = any(
        image.pixelColor(x, y) == bar_colour
        for x in range(image.width() - 40, image.width())
        for y in range(20, 200)
    )
    assert found
    assert "1 models" in chart.accessibleDescription()
    assert "$4" in chart._describe_at(image.width() - 20)
