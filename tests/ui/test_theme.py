"""Light and dark themes: WCAG AA contrast, and Dark really darkens the app, live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pygments.styles import get_style_by_name
from pygments.token import Error, Whitespace
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from grokdesk.core import markdown
from grokdesk.core.conversation import Message, MessageState, Role
from grokdesk.ui.chat.transcript import TranscriptView
from grokdesk.ui.icons import icon
from grokdesk.ui.look import DARK, LIGHT, Theme, apply_look, make_palette, theme_of

TEXT = 4.5  # WCAG AA, normal text
UI = 3.0  # WCAG AA, user interface components


def luminance(colour: str | QColor) -> float:
    c = QColor(colour)

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: str | QColor, b: str | QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def app_theme(qapp: QApplication) -> Iterator[None]:
    """Whatever a test sets, the next test starts light again."""
    yield
    apply_look("light", qapp.font().pointSize())


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_palette_roles_meet_wcag_aa(theme: Theme) -> None:
    palette = make_palette(theme)
    role = QPalette.ColorRole
    text_pairs = [
        (role.WindowText, role.Window),
        (role.Text, role.Base),
        (role.Text, role.AlternateBase),
        (role.ButtonText, role.Button),
        (role.HighlightedText, role.Highlight),
        (role.PlaceholderText, role.Base),
        (role.ToolTipText, role.ToolTipBase),
        (role.Link, role.Base),
        (role.Link, role.Window),
    ]
    for fg, bg in text_pairs:
        ratio = contrast(palette.color(fg), palette.color(bg))
        assert ratio >= TEXT, f"{theme.name}: {fg.name} on {bg.name} is {ratio:.2f}:1"
    # Outlines that identify controls, and the accent (selection, focus, the send button).
    for fg, bg in [(role.Mid, role.Base), (role.Mid, role.Window), (role.Highlight, role.Base)]:
        ratio = contrast(palette.color(fg), palette.color(bg))
        assert ratio >= UI, f"{theme.name}: {fg.name} against {bg.name} is {ratio:.2f}:1"


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_transcript_colours_meet_wcag_aa(theme: Theme) -> None:
    t = theme
    text_pairs = {
        "text on the transcript": (t.text, t.base),
        "headers and hints": (t.muted, t.base),
        "text in the user's bubble": (t.text, t.user_bubble),
        "muted text in the user's bubble": (t.muted, t.user_bubble),
        "links in the user's bubble": (t.link, t.user_bubble),
        "notice text": (t.notice_text, t.notice_bg),
        "text in a notice": (t.text, t.notice_bg),
        "header in a notice": (t.muted, t.notice_bg),
        "error text": (t.error_text, t.error_bg),
        "error text on the transcript": (t.error_text, t.base),
        "text in an error box": (t.text, t.error_bg),
        "Retry link in an error box": (t.link, t.error_bg),
        "inline code": (t.text, t.inline_code_bg),
        "code block label": (t.muted, t.code_header),
        "plain code": (t.text, t.code_bg),
        "action bar on the transcript": (t.text, t.base),
        "selected text": (t.on_accent, t.accent),
        "tooltip": (t.tooltip_text, t.tooltip_bg),
    }
    for what, (fg, bg) in text_pairs.items():
        assert contrast(fg, bg) >= TEXT, f"{t.name}: {what} is {contrast(fg, bg):.2f}:1"
    assert contrast(t.control_border, t.base) >= UI
    assert contrast(t.accent, t.base) >= UI
    for colour in t.chart:  # bars of the usage chart
        assert contrast(colour, t.base) >= UI, f"{t.name}: chart colour {colour}"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_code_highlighting_meets_wcag_aa(dark: bool) -> None:
    """Every token colour of the code style, on the code block background."""
    code_theme = markdown.DARK if dark else markdown.LIGHT
    ui_theme = DARK if dark else LIGHT
    assert code_theme.code_background == ui_theme.code_bg
    style = get_style_by_name(code_theme.pygments_style)
    for token, token_style in style:
        if token in Whitespace or token in Error or not token_style["color"] or token_style["bgcolor"]:
            continue
        colour = "#" + token_style["color"]
        ratio = contrast(colour, code_theme.code_background)
        assert ratio >= TEXT, f"{code_theme.pygments_style}: {token} {colour} is {ratio:.2f}:1"


def demo_messages() -> list[Message]:
    return [
        Message.text(Role.USER, "Show me code"),
        Message.text(Role.ASSISTANT, "Here:\n\n```python\ndef f():\n    return 1\n```\n", model="grok-4"),
        Message.text(Role.ASSISTANT, "half", model="grok-4", state=MessageState.FAILED, error="Refused"),
    ]


def test_dark_darkens_window_and_transcript_live(qtbot: QtBot, qapp: QApplication, app_theme: None) -> None:
    apply_look("light", 11)
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.set_messages(demo_messages())
    view.show()
    qtbot.waitExposed(view)
    light_html = view.toHtml()
    assert luminance(qapp.palette().color(QPalette.ColorRole.Window)) > 0.5
    glyph = icon("copy")
    assert glyph_lightness(glyph) < 100
    assert glyph.pixmap(QSize(24, 24)).cacheKey() == glyph.pixmap(QSize(24, 24)).cacheKey()  # drawn once
    assert luminance(view.grab().toImage().pixelColor(view.width() - 30, view.height() - 30)) > 0.5

    apply_look("dark", 11)  # no restart: the open transcript follows
    assert theme_of(qapp.palette()) is DARK
    assert luminance(qapp.palette().color(QPalette.ColorRole.Window)) < 0.05
    assert luminance(view.palette().color(QPalette.ColorRole.Base)) < 0.05
    # What is painted: the transcript's background, and the code block in the dark code style.
    image = view.grab().toImage()
    assert luminance(image.pixelColor(view.width() - 30, view.height() - 30)) < 0.05
    dark_html = view.toHtml()
    assert markdown.DARK.code_background in dark_html and markdown.DARK.code_background not in light_html
    assert DARK.error_text in dark_html  # the failure note is re-coloured too
    assert "def" in view.plain_text()
    assert glyph_lightness(glyph) > 150  # the icons too, drawn again in the new colour

    apply_look("light", 11)
    assert markdown.LIGHT.code_background in view.toHtml()
    assert glyph_lightness(glyph) < 100


def glyph_lightness(glyph: QIcon) -> float:
    image = glyph.pixmap(QSize(24, 24)).toImage()
    opaque = [
        image.pixelColor(x, y) for x in range(24) for y in range(24) if image.pixelColor(x, y).alpha() > 200
    ]
    return sum(colour.lightness() for colour in opaque) / len(opaque)


def test_system_follows_the_platform_and_is_light_otherwise(qapp: QApplication, app_theme: None) -> None:
    apply_look("system", 11)
    expected = DARK if qapp.styleHints().colorScheme().name == "Dark" else LIGHT
    assert theme_of(qapp.palette()) is expected
    assert qapp.property("grokdeskStyle") == "fusion"
