"""The app's one icon set: Phosphor, from the fonts QtAwesome ships.

Icons are glyphs of the icon font painted at the size asked for (crisp at every
scale) in the colour of the application palette at paint time, so they follow a
theme switch without being set again. The font and its character map are read
from QtAwesome's package folder without importing QtAwesome: its import pulls in
qtpy's wrappers of the whole Qt API, about 0.3 s of start-up. Should the folder
layout change, QtAwesome's own `icon()` is used instead.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
    QPixmapCache,
)
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget

FONT_PREFIX = "phosphor"
# Share of the icon's box the glyph fills: Phosphor glyphs have no inner margin.
GLYPH_SCALE = 1.0


@functools.cache
def _font() -> tuple[str, dict[str, int]] | None:
    """(font family, name -> code point), loaded once; None if the files are not found."""
    spec = importlib.util.find_spec("qtawesome")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    fonts = sorted(folder.glob(f"{FONT_PREFIX}-[0-9]*.ttf"))
    charmaps = sorted(folder.glob(f"{FONT_PREFIX}-charmap-*.json"))
    if not fonts or not charmaps:
        return None
    font_id = QFontDatabase.addApplicationFont(str(fonts[-1]))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        return None
    raw: dict[str, str] = json.loads(charmaps[-1].read_text(encoding="utf-8"))
    return families[0], {name: int(code, 16) for name, code in raw.items()}


# Rendered glyphs are kept in Qt's pixmap cache (bounded in bytes, emptied with the
# application): icons are painted again on every repaint of their button, 0.5-0.8 ms a
# glyph on a busy machine (the message action bar, a row of attachment chips). The
# colour is part of the key, so a palette change never shows a stale one; the keys made
# are remembered for `forget_pixmaps`.
_cached_keys: set[str] = set()


def forget_pixmaps() -> None:
    """Drop the rendered glyphs (the theme changed: none of them is the right colour)."""
    for key in _cached_keys:
        QPixmapCache.remove(key)
    _cached_keys.clear()


class GlyphIconEngine(QIconEngine):
    """One glyph, drawn in a palette role's colour (disabled: the disabled colour)."""

    def __init__(self, family: str, char: str, role: QPalette.ColorRole) -> None:
        super().__init__()
        self._family = family
        self._char = char
        self._role = role

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device = painter.device()
        scale = device.devicePixelRatioF() if device is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        palette = QGuiApplication.palette()
        group = QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled else QPalette.ColorGroup.Active
        role = QPalette.ColorRole.HighlightedText if mode == QIcon.Mode.Selected else self._role
        color = palette.color(group, role)
        width, height = max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
        key = f"grokdesk-glyph/{self._family}/{ord(self._char):x}/{color.rgba():x}/{width}x{height}@{scale}"
        cached = QPixmap()
        if QPixmapCache.find(key, cached):
            return cached
        pixmap = QPixmap(width, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        font = QFont(self._family)
        font.setPixelSize(max(1, round(min(width, height) * GLYPH_SCALE)))
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(QRect(QPoint(0, 0), pixmap.size()), Qt.AlignmentFlag.AlignCenter, self._char)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        if QPixmapCache.insert(key, pixmap):
            _cached_keys.add(key)
        return pixmap

    def clone(self) -> QIconEngine:
        return GlyphIconEngine(self._family, self._char, self._role)


def icon(name: str, role: QPalette.ColorRole = QPalette.ColorRole.ButtonText) -> QIcon:
    """The Phosphor icon `name` (e.g. "copy", "paper-plane-right"), tinted by `role`."""
    loaded = _font()
    if loaded is not None and name in loaded[1]:
        family, charmap = loaded
        return QIcon(GlyphIconEngine(family, chr(charmap[name]), role))
    import qtawesome  # a changed package layout: ask the library itself

    color = QGuiApplication.palette().color(role)
    result: QIcon = qtawesome.icon(f"ph.{name}", color=color)
    return result


def set_icon(
    button: QAbstractButton,
    name: str,
    tooltip: str,
    *,
    role: QPalette.ColorRole = QPalette.ColorRole.ButtonText,
    size: int = 18,
) -> None:
    """Make `button` an icon button: icon, tooltip, and the same text as its accessible
    name (screen readers have nothing else to read on an icon-only button)."""
    button.setIcon(icon(name, role))
    button.setIconSize(QSize(size, size))
    button.setToolTip(tooltip)
    if not button.accessibleName():
        button.setAccessibleName(tooltip.split(" (", 1)[0])


def glyph_html(name: str) -> str:
    """The icon `name` as a character of the icon font, for rich text ("" if unknown)."""
    loaded = _font()
    if loaded is None or name not in loaded[1]:
        return ""
    family, charmap = loaded
    return f"<span style=\"font-family: '{family}';\">&#x{charmap[name]:x};</span>"


# Buttons Qt creates itself, by object name: what they do, for tooltips and screen readers.
_BUILTIN_BUTTONS = {
    "qt_dockwidget_floatbutton": "Undock or dock the panel",
    "qt_dockwidget_closebutton": "Hide the panel",
    "ScrollLeftButton": "Scroll the tabs left",
    "ScrollRightButton": "Scroll the tabs right",
    "qt_menubar_ext_button": "More menus",
}


def describe_builtin_buttons(root: QWidget) -> None:
    """Tooltips and accessible names for the icon buttons Qt adds by itself (dock
    title buttons, tab scroll arrows, a line edit's clear button)."""
    for button in root.findChildren(QAbstractButton):
        text = _BUILTIN_BUTTONS.get(button.objectName())
        if text is None and isinstance(button.parent(), QLineEdit) and not button.objectName():
            text = "Clear the text"
        if text is not None:
            if not button.toolTip():
                button.setToolTip(text)
            if not button.accessibleName():
                button.setAccessibleName(text)
