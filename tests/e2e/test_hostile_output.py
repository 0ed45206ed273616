"""Hostile output and network safety, in the real window (extends
tests/ui/test_conversation.py::test_model_output_is_shown_never_obeyed, which covers a
finished reply's HTML): replies while they stream, reasoning, server error text and
every dangerous link scheme; nothing is fetched, nothing runs, no dangerous link opens;
plain http to another machine is refused everywhere; TLS checks cannot be turned off."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QTextDocument
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from grokdesk.api.client import XaiClient
from grokdesk.api.errors import InsecureBaseUrl
from grokdesk.core.conversation import MessageState
from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.settings.dialog import SettingsDialog
from tests.e2e.conftest import Windows, anchors, current
from tests.helpers.fake_xai import CHAT, RESPONSES, FakeXai
from tests.helpers.fake_xai_scripts import Error, Reply
from tests.helpers.tls_server import SelfSignedServer

DANGEROUS_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "file://127.0.0.1/etc/passwd",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "smb://127.0.0.1/share",
    "grokdesk-unknown:thing",
]
# Schemes the transcript itself uses for its actions, and the ones that may open a browser.
OWN_SCHEMES = {"act", "copy", "reasoning", "image", "more", "thumb"}
OPENABLE_SCHEMES = {"http", "https", "mailto"}


def hostile_text(root: str) -> str:
    links = " ".join(f"[{i}]({url})" for i, url in enumerate(DANGEROUS_LINKS) if not url.startswith(" "))
    return (
        f'<img src="{root}/html-img.png"> <script>fetch("{root}/script")</script> '
        f'<iframe src="{root}/iframe"></iframe> <object data="{root}/object"></object> '
        f'<link rel="stylesheet" href="{root}/style.css"> <a href="javascript:alert(1)">html link</a>\n\n'
        f"![remote]({root}/markdown-img.png) ![ref][pic] {links} <javascript:alert(1)> "
        f"<file:///etc/passwd> [reference][bad]\n\n"
        f"[pic]: {root}/reference-img.png\n[bad]: javascript:alert(1)\n\n"
        f'<div style="background:url({root}/css-bg.png)">styled</div>\n\n'
        f"```html\n<img src={root}/in-code.png>\n```\n\n[safe]({root}/safe-page)"
    )


@pytest.fixture
def opened_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the app asks the desktop to open (nothing is really opened)."""
    opened: list[str] = []

    def record(url: QUrl) -> bool:
        opened.append(url.toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(record))
    return opened


def images(tab: ConversationTab) -> list[str]:
    html = tab.transcript.toHtml()
    return [part.split('"', 1)[0] for part in html.split('<img src="')[1:]]


def assert_nothing_fetched(fake: FakeXai) -> None:
    # The app's own API calls; anything else would be a resource the reply made it load.
    allowed = {
        CHAT,
        RESPONSES,
        "/v1/models",
        "/v1/language-models",
        "/v1/image-generation-models",
        "/v1/tokenize-text",
        "/v1/api-key",
    }
    assert sorted({r.path for r in fake.requests} - allowed) == []


def assert_links_safe(tab: ConversationTab) -> None:
    for href in anchors(tab):
        scheme = QUrl(href).scheme().lower()
        assert scheme in OWN_SCHEMES | OPENABLE_SCHEMES, href
    assert all(QUrl(src).scheme() == "thumb" for src in images(tab)), images(tab)


def test_hostile_reply_while_streaming_and_after(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai, opened_urls: list[str]
) -> None:
    tab = current(windows.open())
    text = hostile_text(fake_xai.root_url)
    fake_xai.script_next(Reply(text=text, chunk_delay=0.003))
    tab.composer.setPlainText("Show me something")
    tab.send()
    checks = 0
    while tab.controller.is_streaming:  # the incremental (streaming) rendering, checked as it grows
        qtbot.wait(15)
        assert_links_safe(tab)
        checks += 1
    assert checks > 3
    assert tab.controller.conversation.messages[-1].state is MessageState.COMPLETE
    qtbot.wait(50)  # a resource load, were one attempted, would have happened by now
    assert_links_safe(tab)
    assert_nothing_fetched(fake_xai)
    assert "<script>" in tab.transcript.plain_text()  # shown as text
    # Nothing opened by itself. Clicking every link the transcript holds opens web pages
    # only (bare addresses in the text are linked, visibly, and open only when clicked).
    assert opened_urls == []
    clickable = [href for href in anchors(tab) if QUrl(href).scheme() in OPENABLE_SCHEMES]
    for href in clickable:
        tab.transcript.anchorClicked.emit(QUrl(href))
    assert f"{fake_xai.root_url}/safe-page" in opened_urls
    assert opened_urls == clickable and all(QUrl(u).scheme() in ("http", "https") for u in opened_urls)
    assert_nothing_fetched(fake_xai)  # the patched opener fetched nothing either


@pytest.mark.parametrize("url", DANGEROUS_LINKS)
def test_a_dangerous_link_clicked_opens_nothing(
    url: str, qtbot: QtBot, windows: Windows, opened_urls: list[str]
) -> None:
    tab = current(windows.open())
    tab.transcript.anchorClicked.emit(QUrl(url))
    qtbot.wait(10)
    assert opened_urls == []
    # The transcript loads nothing for such a URL either.
    assert tab.transcript.loadResource(int(QTextDocument.ResourceType.ImageResource.value), QUrl(url)) is None


def test_a_web_link_clicked_opens_in_the_browser(
    qtbot: QtBot, windows: Windows, opened_urls: list[str]
) -> None:
    """The positive control for the tests above: the patched opener does record."""
    tab = current(windows.open())
    tab.transcript.anchorClicked.emit(QUrl("https://docs.x.ai/"))
    assert opened_urls == ["https://docs.x.ai/"]


def test_remote_resources_are_never_loaded(windows: Windows, fake_xai: FakeXai) -> None:
    tab = current(windows.open())
    for url in (f"{fake_xai.root_url}/direct.png", "file:///etc/hostname", "https://example.com/x.png"):
        for kind in QTextDocument.ResourceType:
            assert tab.transcript.loadResource(int(kind.value), QUrl(url)) is None
    assert_nothing_fetched(fake_xai)


def test_hostile_reasoning_and_error_text_are_shown_not_obeyed(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai, opened_urls: list[str]
) -> None:
    root = fake_xai.root_url
    tab = current(windows.open(model="grok-3-mini"))
    fake_xai.script_next(
        Reply(text="fine", reasoning=f'<img src="{root}/reasoning.png"> [x](javascript:alert(1))'),
        Error(
            400,
            {"code": "bad", "error": f'Refused: <img src="{root}/error.png"> <a href="javascript:x">x</a>'},
        ),
    )
    tab.composer.setPlainText("think")
    tab.send()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    reply = tab.controller.conversation.messages[-1]
    tab.transcript.anchorClicked.emit(QUrl(f"reasoning:{reply.id}"))  # expand the reasoning
    assert "reasoning.png" in tab.transcript.plain_text()
    tab.composer.setPlainText("again")
    tab.send()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    assert tab.controller.conversation.messages[-1].state is MessageState.FAILED
    assert "error.png" in tab.transcript.plain_text()
    qtbot.wait(50)
    assert_links_safe(tab)
    assert_nothing_fetched(fake_xai)
    assert opened_urls == []


# -- plain http to another machine ----------------------------------------------------------

INSECURE = ["http://api.x.ai/v1", "http://10.0.0.8:8080/v1", "http://example.com", "HTTP://EXAMPLE.COM/v1"]


@pytest.mark.parametrize("url", INSECURE)
def test_the_client_refuses_plain_http_to_another_machine(url: str) -> None:
    with pytest.raises(InsecureBaseUrl, match=r"unencrypted|https"):
        XaiClient(url, "xai-anything")


@pytest.mark.parametrize("url", INSECURE)
def test_the_settings_dialog_refuses_plain_http_to_another_machine(
    url: str, qtbot: QtBot, windows: Windows
) -> None:
    window = windows.open()
    saved = window.settings.base_url
    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    field = dialog.findChild(QLineEdit, "baseUrlField")
    assert field is not None
    field.setText(url)
    assert "baseUrlField" in dialog.errors()
    error = dialog.findChild(QLabel, "baseUrlError")
    assert error is not None and error.isVisible() and "https" in error.text()
    assert not dialog.ok_button.isEnabled()
    dialog.accept()  # even forced, nothing is saved
    assert window.settings.base_url == saved
    dialog.reject()


def test_a_hand_edited_settings_file_with_plain_http_is_not_used(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai, tmp_path: Path
) -> None:
    data_dir = tmp_path / "edited"
    data_dir.mkdir()
    (data_dir / "settings.ini").write_text("[General]\nbase_url=http://api.x.ai/v1\n", encoding="utf-8")
    window = windows.open(data_dir=data_dir)
    assert window.settings.base_url.startswith("https://")


# -- TLS verification ----------------------------------------------------------------------------

WORDS_FOR_TURNING_TLS_OFF = ("verif", "certif", "tls", "ssl", "insecure", "self-signed", "self signed")


def test_the_settings_dialog_has_no_way_to_turn_tls_checks_off(qtbot: QtBot, windows: Windows) -> None:
    window = windows.open()
    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    assert isinstance(dialog, SettingsDialog)
    for widget in dialog.findChildren(QWidget):
        said = " ".join(
            [widget.objectName(), widget.toolTip(), widget.accessibleName(), widget.whatsThis()]
            + ([widget.text()] if isinstance(widget, QAbstractButton | QLabel) else [])
        ).lower()
        if isinstance(widget, QAbstractButton) and widget.isCheckable():
            assert not any(word in said for word in WORDS_FOR_TURNING_TLS_OFF), said
        assert "verify" not in said and "insecure" not in said, said
    dialog.reject()


def test_no_setting_or_variable_turns_tls_checks_off(
    qtbot: QtBot, windows: Windows, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings a user might try by hand, and Python's own switch, change nothing."""
    data_dir = tmp_path / "tls"
    data_dir.mkdir()
    (data_dir / "settings.ini").write_text(
        "[General]\nverify=false\nssl_verify=false\ntls_verify=false\ninsecure=true\nverify_tls=0\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    with SelfSignedServer() as tls:
        window = windows.open(data_dir=data_dir, base_url=tls.base_url)
        tab = current(window)
        tab.composer.setPlainText("is this private?")
        tab.send()
        qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=10_000)
        assert tls.http_bytes == 0
    assert "could not be verified" in tab.transcript.plain_text()
    assert os.environ["PYTHONHTTPSVERIFY"] == "0"  # really set while the window tried


def test_a_plain_http_base_url_given_at_start_is_refused_with_a_reason(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    """`--base-url` or GROKDESK_BASE_URL pointing at another machine over plain http."""
    window = windows.open(base_url="http://api.x.ai/v1")
    tab = current(window)
    tab.composer.setPlainText("over plain http?")
    tab.send()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=10_000)
    assert "unencrypted" in tab.transcript.plain_text()  # a notice under the message, nothing sent
    assert fake_xai.requests == []
    assert tab.controller.conversation.messages[0].plain_text == "over plain http?"
