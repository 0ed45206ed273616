"""The LaTeX to SVG step runs in one child process, started on the first formula and
stopped on close; when no child can run, formulas are still typeset (in this process)
and that is logged once; a new colour draws the same SVG again without typesetting."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor

import pytest
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from grokdesk.core.math import Formula
from grokdesk.core.mathsvg import LatexSvg
from grokdesk.ui.chat.mathprocess import MathProcess
from grokdesk.ui.chat.mathrender import MathStyle, MathTypesetter, Typeset
from tests.helpers.childpools import FailingPool, no_pool

STYLE = MathStyle("#1f2328", 15.0, 1.0, 3.0, 7.0, "#eff1f3", "monospace")
FORMULA = Formula(r"\frac{1}{2}", display=False, opening="\\(", closing="\\)")


def typeset_all(
    qtbot: QtBot, typesetter: MathTypesetter, keys: list[tuple[Formula, MathStyle]]
) -> list[Typeset]:
    results: dict[tuple[Formula, MathStyle], Typeset] = {}

    def deliver(key: tuple[Formula, MathStyle], result: Typeset) -> None:
        results[key] = result  # worker thread; read once all arrived

    for formula, style in keys:
        typesetter.request(formula, style, deliver)
    qtbot.waitUntil(lambda: len(results) == len(keys) and not typesetter.busy(), timeout=30_000)
    return [results[key] for key in keys]


def test_the_svg_comes_from_one_child_process_started_on_the_first_formula(qtbot: QtBot) -> None:
    # The application's own children (image readers) may be running from earlier tests.
    before = set(multiprocessing.active_children())
    process = MathProcess()
    try:
        assert not process.started
        typesetter = MathTypesetter(process=process)
        second = Formula(r"\sqrt{x}", display=True, opening="$$", closing="$$")
        results = typeset_all(qtbot, typesetter, [(FORMULA, STYLE), (second, STYLE)])
        assert process.started and not process.in_process
        assert all(r.ok and r.width > 4 for r in results)
        assert len(set(multiprocessing.active_children()) - before) == 1
    finally:
        process.close()
    assert set(multiprocessing.active_children()) <= before


@pytest.mark.parametrize("make_pool", [no_pool, FailingPool], ids=["cannot-start", "broken"])
def test_without_a_child_formulas_are_typeset_here_and_that_is_logged_once(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture, make_pool: Callable[[], Executor]
) -> None:
    process = MathProcess(make_pool=make_pool)
    typesetter = MathTypesetter(process=process)
    broken = Formula(r"\frac{1}{", display=False, opening="$", closing="$")
    results = typeset_all(qtbot, typesetter, [(FORMULA, STYLE), (broken, STYLE)])
    assert process.in_process
    assert [r.ok for r in results] == [True, False]  # the broken one drawn as its source
    notes = [r for r in caplog.records if r.name == "grokdesk.ui.childpool"]
    assert len(notes) == 1 and notes[0].levelno == logging.INFO


class _Counting(MathProcess):
    def __init__(self) -> None:
        super().__init__(make_pool=no_pool)
        self.calls = 0

    def svg(self, latex: str, size: float, display: bool) -> LatexSvg | None:
        self.calls += 1
        return super().svg(latex, size, display)


def _ink(result: Typeset) -> QColor:
    """The colour of the most opaque pixel: the formula's ink."""
    image = result.image
    best = QColor(0, 0, 0, 0)
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if pixel.alpha() > best.alpha():
                best = pixel
    return best


def test_a_new_colour_draws_the_same_svg_again_without_typesetting(qtbot: QtBot) -> None:
    process = _Counting()
    typesetter = MathTypesetter(process=process)
    light, dark = typeset_all(
        qtbot,
        typesetter,
        [(FORMULA, STYLE), (FORMULA, MathStyle("#e6edf3", 15.0, 1.0, 3.0, 7.0, "#3a3d41", "monospace"))],
    )
    assert process.calls == 1
    assert _ink(light).name() == "#1f2328"
    assert _ink(dark).name() == "#e6edf3"
