"""Theme (system, light, dark) and font size, applied to the whole application."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

_SCHEMES = {
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
    "system": Qt.ColorScheme.Unknown,
}


def apply_look(theme: str, font_size: int) -> None:
    """Theme ("system", "light" or "dark") and font size in points, for the whole app."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    # Qt 6.8+: an explicit scheme overrides the platform's; Unknown follows the system.
    QGuiApplication.styleHints().setColorScheme(_SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    font = app.font()
    if font.pointSize() != font_size:
        font.setPointSize(font_size)
        app.setFont(font)
