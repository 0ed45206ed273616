"""Math: a reply holding 200 distinct LaTeX formulas (120 inline, 80 display) in the real TranscriptView.

Offscreen, in one process, a new view (so a cold typesetting cache) per round:
  streamed: the reply arrives in 40-character pieces every 10 ms (about what a fast model
            sends), each piece given to message_changed as the controller does; then the
            reply is marked complete.
  opened:   the finished reply is shown at once (a conversation opened from the library).
Figures (and the longest stall of an idle loop, for the machine's noise): time from the reply's end (streamed) or from opening (opened) until every formula
is typeset and in place ("final render"); the longest event-loop stall (5 ms timer) over
the whole round; typesetting time per formula (ziamath and QtSvg in one thread) and the
drawing of a ready SVG alone (what the UI process still does; ziamath runs in a child
process). The first round also starts that child and imports ziamath there, and is
reported apart.

    python bench/bench_math.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C

TARGET_STALL_MS = 50.0
PIECE = 40
PIECE_MS = 10


def math_reply(count: int = 200) -> str:
    """Paragraphs with three inline formulas each and a display formula after every paragraph
    but one in three; every formula distinct."""
    parts: list[str] = []
    made = 0
    n = 0
    while made < count:
        n += 1
        parts.append(
            f"Step {n}: with $x_{{{n}}} = \\frac{{{n}}}{{{n + 1}}}$ and \\(y^{{{n}}} + z_{n} \\le {n}\\) "
            f"the sum $\\sum_{{i=1}}^{{{n}}} i^2 = \\frac{{{n}({n}+1)(2\\cdot{n}+1)}}{{6}}$ holds."
        )
        made += 3
        if made < count and n % 3 != 0:
            parts.append(f"$$\\int_0^{{{n}}} t^{{{n}}}\\,dt = \\frac{{{n}^{{{n + 1}}}}}{{{n + 1}}}$$")
            made += 1
        if made < count and n % 3 != 0:
            parts.append(f"\\[\\sqrt{{a_{{{n}}}^2 + b_{{{n}}}^2}} \\ge \\left|a_{{{n}}}\\right|\\]")
            made += 1
    return "\n\n".join(parts) + "\n"


def run_round(text: str, mode: str) -> dict[str, float]:
    from PySide6.QtCore import QEventLoop, QTimer

    from grokdesk.core.conversation import Message, MessageState, Role
    from grokdesk.ui.chat.transcript import TranscriptView

    view = TranscriptView()
    view.resize(900, 700)
    view.show()
    C.qt_app().processEvents()
    loop = QEventLoop()
    probe = C.StallProbe()
    marks: dict[str, float] = {}
    question = Message.text(Role.USER, "Show me 200 formulas")

    def done() -> bool:
        return "end" in marks and not view.math.pending()

    def check() -> None:
        if done():
            marks["ready"] = time.perf_counter()
            loop.quit()

    checker = QTimer()
    checker.setInterval(2)
    checker.timeout.connect(check)

    if mode == "opened":
        reply = Message.text(Role.ASSISTANT, text)

        def start() -> None:
            marks["start"] = marks["end"] = time.perf_counter()
            view.set_messages([question, reply])
            marks["shown"] = time.perf_counter()

    else:
        reply = Message.text(Role.ASSISTANT, "", state=MessageState.STREAMING)
        messages = [question, reply]
        position = 0
        feeder = QTimer()
        feeder.setInterval(PIECE_MS)

        def feed() -> None:
            nonlocal position
            if position >= len(text):
                feeder.stop()
                reply.state = MessageState.COMPLETE
                view.message_changed(reply)
                marks["end"] = time.perf_counter()
                return
            reply.append_text(text[position : position + PIECE])
            position += PIECE
            view.message_changed(reply)

        feeder.timeout.connect(feed)

        def start() -> None:
            marks["start"] = time.perf_counter()
            view.set_messages(messages)
            marks["shown"] = time.perf_counter()
            feeder.start()

    QTimer.singleShot(0, start)
    probe.start()
    checker.start()
    loop.exec()
    probe.stop()
    checker.stop()
    shown = sum(1 for _ in _math_images(view))
    view.close()
    view.deleteLater()
    return {
        "final_ms": C.ms(marks["ready"] - marks["end"]),
        "total_ms": C.ms(marks["ready"] - marks["start"]),
        "stall_ms": probe.max_ms,
        # Leaving out the opening render of the reply's text (the transcript's, math or not).
        "stall_after_open_ms": max(
            (
                gap
                for gap, end in zip(probe.gaps, probe.ends, strict=True)
                if end - gap / 1000 >= marks["shown"]
            ),
            default=0.0,
        ),
        "shown": float(shown),
    }


def _math_images(view: object) -> list[str]:
    from PySide6.QtGui import QTextDocument

    assert isinstance(view.document(), QTextDocument)  # type: ignore[attr-defined]
    names: list[str] = []
    block = view.document().begin()  # type: ignore[attr-defined]
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fmt = iterator.fragment().charFormat()
            if fmt.isImageFormat() and fmt.toImageFormat().name().startswith("math:"):
                names.append(fmt.toImageFormat().name())
            iterator += 1
        block = block.next()
    return names


def without_math(text: str) -> str:
    """The same reply with its delimiters removed: no formula, the same Markdown work."""
    for delimiter in ("$$", "\\[", "\\]", "\\(", "\\)", "$"):
        text = text.replace(delimiter, "")
    return text


def idle_stall_ms(seconds: float = 3.0) -> float:
    """The longest stall of an idle event loop: what other load on the machine adds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    probe = C.StallProbe().start()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()
    probe.stop()
    return probe.max_ms


def per_formula_ms(text: str) -> float:
    """Worker-side cost: typeset every formula of the reply in this thread, cold cache."""
    from grokdesk.core.markdown import render_markdown
    from grokdesk.ui.chat.mathrender import MathStyle, typeset

    formulas = render_markdown(text).formulas
    style = MathStyle("#1f2328", 15.0, 1.0, 3.0, 7.0, "#eff1f3", "monospace")
    start = time.perf_counter()
    for formula in formulas:
        typeset(formula, style)
    return C.ms(time.perf_counter() - start) / len(formulas)


def rasterise_per_formula_ms(text: str) -> float:
    """UI-process side: draw each formula's ready SVG (QtSvg) on an image, as the worker thread does."""
    from grokdesk.core.markdown import render_markdown
    from grokdesk.core.mathsvg import latex_svg
    from grokdesk.ui.chat.mathrender import MathStyle, rasterise, svg_size

    formulas = render_markdown(text).formulas
    style = MathStyle("#1f2328", 15.0, 1.0, 3.0, 7.0, "#eff1f3", "monospace")
    svgs = [latex_svg(f.latex, svg_size(f, style), f.display) for f in formulas]
    start = time.perf_counter()
    for formula, svg in zip(formulas, svgs, strict=True):
        rasterise(formula, style, svg)
    return C.ms(time.perf_counter() - start) / len(formulas)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    C.setup_env()
    C.banner("math")
    C.qt_app()
    text = math_reply()
    from grokdesk.core.markdown import render_markdown

    count = len(render_markdown(text).formulas)
    first = run_round(text, "opened")
    C.report(
        "math.first_open_with_import",
        first["total_ms"],
        unit=" ms",
        note=f"{count} formulas; child process started, ziamath imported there; stall {first['stall_ms']:.1f} ms",
    )
    for mode in ("opened", "streamed"):
        rounds = [run_round(text, mode) for _ in range(args.rounds)]
        assert all(r["shown"] == count for r in rounds), "not every formula was shown"
        C.report(f"math.{mode}.final_render", [r["final_ms"] for r in rounds], unit=" ms")
        if mode == "streamed":
            C.report(f"math.{mode}.total", [r["total_ms"] for r in rounds], unit=" ms")
        C.report(
            f"math.{mode}.max_stall",
            [r["stall_ms"] for r in rounds],
            unit=" ms",
            target=TARGET_STALL_MS,
            op="<",
        )
        if mode == "opened":
            C.report(
                f"math.{mode}.max_stall_after_open",
                [r["stall_after_open_ms"] for r in rounds],
                unit=" ms",
                target=TARGET_STALL_MS,
                op="<",
                note="while the formulas are typeset and placed",
            )
    control = [run_round(without_math(text), "streamed") for _ in range(args.rounds)]
    assert all(r["shown"] == 0 for r in control)
    C.report(
        "math.streamed.without_math.total",
        [r["total_ms"] for r in control],
        unit=" ms",
        note="control: the same reply, delimiters removed",
    )
    C.report("math.streamed.without_math.max_stall", [r["stall_ms"] for r in control], unit=" ms")
    C.report(
        "math.idle_floor_max_stall", idle_stall_ms(), unit=" ms", note="idle loop, for the machine's noise"
    )
    C.report(
        "math.typeset_per_formula",
        per_formula_ms(text),
        unit=" ms",
        note="ziamath + QtSvg in one thread, cold cache",
    )
    C.report(
        "math.rasterise_per_formula",
        rasterise_per_formula_ms(text),
        unit=" ms",
        note="QtSvg drawing a ready SVG: the UI process's share",
    )


if __name__ == "__main__":
    main()
