"""Render resources/grokdesk.svg into the PNG, ICO and ICNS icons committed in resources/.

A build tool, not app code: run it after editing the SVG and commit the results.

    python packaging/make_icons.py            # writes resources/icons/grokdesk-N.png, .ico, .icns
    python packaging/make_icons.py --check    # exit 1 if the committed files differ in size set

Qt's SVG renderer rasterises (Pillow has none); Pillow writes ICO and ICNS.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

from PIL import Image

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
SVG = RESOURCES / "grokdesk.svg"
ICON_DIR = RESOURCES / "icons"
# Sizes the freedesktop hicolor theme expects for apps (plus 512 for HiDPI docks).
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
# Windows picks from these for title bars, the taskbar and Explorer's views.
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# macOS iconsets; Pillow writes each size it is given in append_images exactly.
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(svg: Path, size: int) -> Image.Image:
    """Rasterise the SVG at size x size pixels into an RGBA Pillow image."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:
        # QPainter on a QImage needs a Gui application object for its font/raster setup.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        render.app = QGuiApplication([])  # type: ignore[attr-defined]  # keep it alive
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"invalid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the committed files exist")
    args = parser.parse_args(argv)

    pngs = [ICON_DIR / f"grokdesk-{n}.png" for n in PNG_SIZES]
    outputs = [*pngs, RESOURCES / "grokdesk.ico", RESOURCES / "grokdesk.icns"]
    if args.check:
        missing = [str(p) for p in outputs if not p.is_file()]
        print("missing: " + ", ".join(missing) if missing else "all icons present")
        return 1 if missing else 0

    # Render each size from the vector source rather than downscaling one bitmap:
    # small sizes stay crisp.
    images = {n: render(SVG, n) for n in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_SIZES})}
    ICON_DIR.mkdir(exist_ok=True)
    for n, path in zip(PNG_SIZES, pngs, strict=True):
        path.write_bytes(png_bytes(images[n]))
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        RESOURCES / "grokdesk.ico",
        format="ICO",
        sizes=[(n, n) for n in ICO_SIZES],
        append_images=[images[n] for n in ICO_SIZES if n != max(ICO_SIZES)],
    )
    largest_icns = images[max(ICNS_SIZES)]
    largest_icns.save(
        RESOURCES / "grokdesk.icns",
        format="ICNS",
        append_images=[images[n] for n in ICNS_SIZES if n != max(ICNS_SIZES)],
    )
    for path in outputs:
        print(f"{path.relative_to(RESOURCES.parent)}  {path.stat().st_size:>7} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
