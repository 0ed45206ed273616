"""Icon buttons: every one has a visible icon, a tooltip and an accessible name."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QAbstractButton, QWidget
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Message, Role
from grokdesk.ui.icons import icon
from tests.ui.conftest import MakeWindow
from tests.ui.test_conversation import current


def icon_only_buttons(root: QWidget) -> list[QAbstractButton]:
    """Buttons without text that show (or would show) an icon; a text button whose text
    is set only when it appears (a notice's action) is left out while hidden."""
    return [
        b
        for b in root.findChildren(QAbstractButton)
        if not b.text().strip() and (not b.icon().isNull() or b.isVisibleTo(root))
    ]


def test_every_icon_only_button_has_tooltip_and_accessible_name(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    tab = current(window)
    tab.controller.add_message(Role.USER, Message.text(Role.USER, "hello").parts)
    tab.transcript.show_actions(tab.controller.conversation.messages[-1].id)  # the hover bar exists too
    buttons = icon_only_buttons(window)
    names = {b.objectName() for b in buttons}
    # The ones this look introduced are among them (the walk really finds them).
    assert {
        "sendButton",
        "stopButton",
        "attachButton",
        "roleButton",
        "messageAction",
        "newTabButton",
    } <= names
    missing = [
        (b.objectName() or type(b).__name__, b.parent().objectName() if b.parent() else "")
        for b in buttons
        if not b.toolTip().strip() or not b.accessibleName().strip()
    ]
    assert missing == [], missing
    # An icon-only button shows an icon (or it would be an empty square).
    ours = [b for b in buttons if not b.objectName().startswith(("qt_", "Scroll")) and b.objectName()]
    blank = [b.objectName() for b in ours if b.icon().isNull()]
    assert blank == [], blank


def test_icons_are_tinted_by_the_palette(qtbot: QtBot, qapp: object) -> None:
    """Glyphs paint in the palette's colour at paint time, so a theme switch recolours them."""
    from PySide6.QtGui import QGuiApplication, QPalette

    glyph = icon("copy")
    assert not glyph.isNull()
    image = glyph.pixmap(QSize(32, 32)).toImage()
    painted = [
        image.pixelColor(x, y) for x in range(32) for y in range(32) if image.pixelColor(x, y).alpha() > 200
    ]
    assert painted, "the glyph drew nothing"
    expected = QGuiApplication.palette().color(QPalette.ColorRole.ButtonText)
    assert all(abs(c.lightness() - expected.lightness()) < 40 for c in painted)
    disabled = glyph.pixmap(QSize(32, 32), QIcon.Mode.Disabled).toImage()
    assert any(disabled.pixelColor(x, y) != QColor(0, 0, 0, 0) for x in range(32) for y in range(32))
