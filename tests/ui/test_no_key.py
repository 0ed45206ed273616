"""A first start with no API key: nothing is asked of the network until there is one;
the welcome view is the only message."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from tests.helpers.fake_xai import FakeXai
from tests.ui.conftest import MakeWindow

API_KEY_PATH = "/v1/api-key"


def test_nothing_is_requested_before_a_key_exists(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window(api_key=None)
    assert window.welcome is not None and window.stack.currentWidget() is window.welcome
    qtbot.waitUntil(lambda: window.has_painted)
    window.catalog.refresh()  # "Refresh model list" from the menu: still no key
    # Anything asked for at the first paint or from the menu would be on its way before the
    # key the user now enters is checked: the key check must be the first request.
    field = window.welcome.findChild(QLineEdit, "apiKeyField")
    assert field is not None
    field.setText(fake_xai.api_key)
    button = window.welcome.findChild(QPushButton, "checkKeyButton")
    assert button is not None
    button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.tabs, timeout=5000)
    qtbot.waitUntil(lambda: fake_xai.requests_to("/v1/models") != [], timeout=5000)
    assert fake_xai.requests[0].path == API_KEY_PATH
    assert "connect" not in window.statusBar().currentMessage()
