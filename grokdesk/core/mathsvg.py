"""LaTeX to SVG with ziamath (pure Python, no TeX, no browser), with the metrics that
put an inline formula on the text baseline.

Kept free of Qt and of the rest of the app so a child process can import it cheaply:
the transcript runs it there, off the interpreter lock of the UI process. The colour
is a placeholder that the caller swaps for the theme's text colour, so one SVG serves
every theme.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Never the colour of real text in a theme; replaced in the SVG text by the caller.
PLACEHOLDER_COLOR = "#0a0b0c"


@dataclass(frozen=True, slots=True)
class LatexSvg:
    svg: str  # drawn in PLACEHOLDER_COLOR
    width: float  # pixels, margins included
    ascent: float  # above the baseline
    descent: float  # below it

    def recoloured(self, color: str) -> str:
        return self.svg.replace(PLACEHOLDER_COLOR, color)


def _import_ziamath() -> Any:
    import ziamath
    from ziamath.config import config

    # SVG 1.1 output: QtSvg implements SVG Tiny, not SVG 2's <symbol> reuse.
    config.svg2 = False
    return ziamath


def latex_svg(latex: str, size: float, display: bool) -> LatexSvg | None:
    """`latex` typeset at `size` pixels, or None when it cannot be typeset.

    None rather than an exception: whatever ziamath's parser raises may not survive
    the trip back from a child process.
    """
    try:
        ziamath = _import_ziamath()
        rendered = ziamath.Latex(latex, size=size, color=PLACEHOLDER_COLOR, inline=not display)
        svg = rendered.svg()
        bbox = rendered.node.bbox
        margin = float(rendered.margin)
        width = float(bbox.xmax - bbox.xmin) + 2 * margin
        ascent = float(bbox.ymax) + margin
        descent = float(-bbox.ymin) + margin
    except Exception:  # anything ziamath or its LaTeX parser raises: the caller shows the source
        return None
    if width <= 0 or ascent + descent <= 0:
        return None
    return LatexSvg(str(svg), width, ascent, descent)
