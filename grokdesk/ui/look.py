"""Theme (system, light, dark) and font size, applied to the whole application.

The app paints itself on every platform: the Fusion style, one complete QPalette per
theme and a small style sheet. Relying on the platform theme left "Dark" without
effect wherever no desktop theme is installed (a bare X server, the packaged build).
Widgets that paint their own colours (the transcript, the usage chart) read them from
`theme_of(palette)` and repaint on QEvent.PaletteChange, so a switch is live.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from grokdesk.ui.icons import forget_pixmaps

_SCHEMES = {
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
    "system": Qt.ColorScheme.Unknown,
}
# Dynamic properties on the QApplication: the chosen setting, and whether the app
# already listens to the platform's scheme (for "system").
_THEME_PROPERTY = "grokdeskTheme"
_LISTENING_PROPERTY = "grokdeskFollowsScheme"


@dataclass(frozen=True, slots=True)
class Theme:
    """Every colour the app uses, as #rrggbb. Text colours meet WCAG AA (4.5:1) on the
    backgrounds they are used on, `control_border` and `accent` 3:1 (tests/ui/test_theme.py)."""

    name: str
    dark: bool
    window: str  # chrome: side panel, tool bars, status bar
    base: str  # transcript, inputs, lists
    alt_base: str
    raised: str  # buttons, headers
    text: str
    muted: str  # secondary text: headers, hints, reasoning
    border: str  # decorative separators
    control_border: str  # outlines that identify a control
    accent: str  # selection, the send button, focus
    on_accent: str
    link: str
    hover: str  # a quiet hover fill for flat buttons
    user_bubble: str
    code_bg: str
    code_header: str
    code_border: str
    pygments_style: str
    inline_code_bg: str
    notice_bg: str
    notice_text: str
    error_bg: str
    error_text: str
    tooltip_bg: str
    tooltip_text: str
    chart: tuple[str, ...]  # series colours of the usage chart


LIGHT = Theme(
    name="light",
    dark=False,
    window="#f3f4f6",
    base="#ffffff",
    alt_base="#f6f7f9",
    raised="#ffffff",
    text="#1f2328",
    muted="#59636e",
    border="#dde1e6",
    control_border="#868e96",
    accent="#0b63ce",
    on_accent="#ffffff",
    link="#0b63ce",
    hover="#e9ecf0",
    user_bubble="#eef2f8",
    code_bg="#fafbfc",
    code_header="#eef1f4",
    code_border="#d8dee4",
    pygments_style="xcode",
    inline_code_bg="#eff1f4",
    notice_bg="#fff6dc",
    notice_text="#6d4a00",
    error_bg="#fdeceb",
    error_text="#b3261e",
    tooltip_bg="#1f2328",
    tooltip_text="#f6f8fa",
    chart=("#0b63ce", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#5c940d", "#1098ad"),
)

DARK = Theme(
    name="dark",
    dark=True,
    window="#16181b",
    base="#1d1f23",
    alt_base="#23262b",
    raised="#2a2d33",
    text="#e6e8eb",
    muted="#9ba3ad",
    border="#30343a",
    control_border="#6e7781",
    accent="#3370d8",
    on_accent="#ffffff",
    link="#79b8ff",
    hover="#2c3036",
    user_bubble="#2a2f37",
    code_bg="#14171c",
    code_header="#20242b",
    code_border="#30363d",
    pygments_style="github-dark",
    inline_code_bg="#2d3138",
    notice_bg="#2f2816",
    notice_text="#e8c46a",
    error_bg="#3a1f1f",
    error_text="#ff8f87",
    tooltip_bg="#e6e8eb",
    tooltip_text="#1d1f23",
    chart=("#5b9cf0", "#f0883e", "#56d364", "#d2a8ff", "#ff7b9c", "#a5d6ff", "#e3b341"),
)

THEMES = {"light": LIGHT, "dark": DARK}


def resolve_theme(setting: str) -> Theme:
    """The theme for a setting: "light", "dark", or "system" (the platform's scheme where
    Qt reports one, light otherwise)."""
    if setting in THEMES:
        return THEMES[setting]
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        hints = QGuiApplication.styleHints()
        if hints.colorScheme() == Qt.ColorScheme.Dark:
            return DARK
    return LIGHT


def theme_of(palette: QPalette) -> Theme:
    """The theme a widget is painted with, from its palette (dark when the window is)."""
    return DARK if palette.color(QPalette.ColorRole.Window).lightness() < 128 else LIGHT


def make_palette(theme: Theme) -> QPalette:
    """A complete palette: every role in every colour group, so nothing falls back to
    the platform's colours."""
    c = QColor
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.ToolTipBase: theme.tooltip_bg,
        QPalette.ColorRole.ToolTipText: theme.tooltip_text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.raised,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.BrightText: theme.error_text,
        QPalette.ColorRole.Light: theme.base if theme.dark else "#ffffff",
        QPalette.ColorRole.Midlight: theme.border,
        QPalette.ColorRole.Mid: theme.control_border,
        QPalette.ColorRole.Dark: theme.control_border,
        QPalette.ColorRole.Shadow: "#000000",
        QPalette.ColorRole.Highlight: theme.accent,
        QPalette.ColorRole.HighlightedText: theme.on_accent,
        QPalette.ColorRole.Link: theme.link,
        QPalette.ColorRole.LinkVisited: theme.link,
        QPalette.ColorRole.Accent: theme.accent,
    }
    for role, value in roles.items():
        palette.setColor(role, c(value))
    # Disabled text is dimmed (WCAG exempts inactive controls); everything else as active.
    dimmed = c(theme.muted)
    dimmed.setAlpha(150)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.PlaceholderText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, dimmed)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, c(theme.border))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, c(theme.alt_base))
    return palette


def style_sheet(theme: Theme) -> str:
    """What the palette cannot say: rounded corners, flat tool buttons, the composer box."""
    t = theme
    return f"""
QToolTip {{ color: {t.tooltip_text}; background: {t.tooltip_bg}; border: 0; padding: 4px 6px; }}
QToolButton[flat="true"], QToolButton#messageAction {{
    border: 0; border-radius: 6px; padding: 3px; background: transparent; }}
QToolButton[flat="true"]:hover, QToolButton#messageAction:hover,
QToolButton[flat="true"]:focus, QToolButton#messageAction:focus {{ background: {t.hover}; }}
QToolButton[flat="true"]:checked {{ background: {t.hover}; color: {t.accent}; }}
QToolButton[flat="true"]::menu-indicator, QToolButton#messageAction::menu-indicator {{
    image: none; width: 0; }}
QFrame#messageActions {{ background: {t.base}; border: 1px solid {t.border}; border-radius: 8px; }}
QFrame#composerBox {{ background: {t.base}; border: 1px solid {t.control_border}; border-radius: 14px; }}
QFrame#composerBox[focused="true"] {{ border: 1px solid {t.accent}; }}
QFrame#composerBox QTextEdit#composer {{ background: transparent; border: 0; }}
QToolButton#sendButton, QToolButton#stopButton {{
    border: 0; border-radius: 15px; background: {t.accent}; padding: 5px; }}
QToolButton#sendButton:disabled {{ background: {t.border}; }}
QToolButton#sendButton:hover, QToolButton#stopButton:hover {{ background: {t.link}; }}
QPushButton#jumpToLatest {{
    border: 1px solid {t.control_border}; border-radius: 14px; padding: 5px 12px;
    background: {t.raised}; }}
QTabWidget::pane {{ border: 0; border-top: 1px solid {t.border}; }}
QTabBar::tab {{ padding: 6px 12px; border: 0; border-bottom: 2px solid transparent;
    color: {t.muted}; background: transparent; }}
QTabBar::tab:selected {{ color: {t.text}; border-bottom: 2px solid {t.accent}; }}
QTabBar::tab:hover:!selected {{ color: {t.text}; background: {t.hover}; }}
QDockWidget::title {{ padding: 6px; background: {t.window}; }}
QStatusBar {{ color: {t.muted}; }}
QScrollBar:vertical {{ width: 10px; background: transparent; margin: 0; }}
QScrollBar:horizontal {{ height: 10px; background: transparent; margin: 0; }}
QScrollBar::handle:vertical {{ min-height: 32px; border-radius: 4px; margin: 1px 2px;
    background: {t.control_border}; }}
QScrollBar::handle:horizontal {{ min-width: 32px; border-radius: 4px; margin: 2px 1px;
    background: {t.control_border}; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QLabel[role="error"] {{ color: {t.error_text}; }}
QFrame#attachmentChip {{ background: {t.alt_base}; border: 1px solid {t.border}; border-radius: 8px; }}
QFrame#tabNotice, QFrame#keyNotice {{ background: {t.notice_bg}; border: 0; border-radius: 8px; }}
QFrame#tabNotice > QLabel, QFrame#keyNotice > QLabel {{ color: {t.notice_text}; }}
QLabel#contextMeter {{ color: {t.muted}; }}
"""


def apply_look(theme: str, font_size: int) -> None:
    """Theme ("system", "light" or "dark") and font size in points, for the whole app."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    app.setProperty(_THEME_PROPERTY, theme)
    hints = QGuiApplication.styleHints()
    # Native dialogs follow an explicit choice; Unknown lets the platform's show through.
    if hints.colorScheme() != _SCHEMES.get(theme, Qt.ColorScheme.Unknown) or theme == "system":
        hints.setColorScheme(_SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    if not app.property(_LISTENING_PROPERTY):
        app.setProperty(_LISTENING_PROPERTY, True)
        hints.colorSchemeChanged.connect(lambda _scheme: _follow_platform(app))
    if app.property("grokdeskStyle") != "fusion":
        # One style everywhere: the palettes below are designed for Fusion's drawing.
        app.setStyle("Fusion")
        app.setProperty("grokdeskStyle", "fusion")
    _paint(app, resolve_theme(theme))
    font = app.font()
    if font.pointSize() != font_size:
        font.setPointSize(font_size)
        app.setFont(font)


def _follow_platform(app: QApplication) -> None:
    """The platform switched light/dark: follow it when the setting is "system"."""
    if app.property(_THEME_PROPERTY) == "system":
        _paint(app, resolve_theme("system"))


def _paint(app: QApplication, theme: Theme) -> None:
    if app.property("grokdeskPainted") == theme.name:
        return
    app.setProperty("grokdeskPainted", theme.name)
    forget_pixmaps()
    app.setPalette(make_palette(theme))
    app.setStyleSheet(style_sheet(theme))
