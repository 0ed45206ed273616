"""The first-run welcome: a key is saved only when it checks out (or, offline, on request)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from grokdesk.storage.keystore import SERVICE, USERNAME, KeySource, KeyStore, SaveResult
from grokdesk.ui.settings.keyentry import xai_key_checker
from grokdesk.ui.settings.welcome import CONSOLE_URL, MenuEntryOffer, WelcomeView
from tests.helpers.fake_xai import DEFAULT_API_KEY as GOOD_KEY
from tests.helpers.fake_xai import FakeXai
from tests.helpers.fake_xai_scripts import TEAM_ID, Error
from tests.helpers.memkeyring import MemoryKeyring
from tests.ui.conftest import MakeWindow, shut_down

pytestmark = pytest.mark.usefixtures("qloop")


API_KEY_PATH = "/v1/api-key"


def closed_port_url() -> str:
    """A loopback base URL nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class Opened:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url.toString())
        return True


def make_view(qtbot: QtBot, base_url: str, store: KeyStore, opened: Opened | None = None) -> WelcomeView:
    view = WelcomeView(xai_key_checker(base_url, max_retries=0), store, open_url=opened or Opened())
    qtbot.addWidget(view)
    view.show()
    return view


def check(qtbot: QtBot, view: WelcomeView, key: str) -> None:
    view.entry.field.setText(key)
    with qtbot.waitSignal(view.entry.check_finished, timeout=5000):
        view.entry.check_button.click()


def test_good_key_is_checked_shown_and_saved(qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring) -> None:
    store = KeyStore({})
    view = make_view(qtbot, fake_xai.base_url, store)
    saved: list[SaveResult] = []
    view.key_saved.connect(saved.append)

    check(qtbot, view, GOOD_KEY)

    assert len(saved) == 1
    assert saved[0].stored_securely
    assert memory.store[(SERVICE, USERNAME)] == GOOD_KEY
    assert store.key == GOOD_KEY
    assert store.source is KeySource.KEYRING
    status = view.entry.status.text()
    assert "xa***yz" in status
    assert GOOD_KEY not in status
    assert view.entry.field.text() == ""  # the key leaves the field once saved


def test_check_shows_redacted_key_name_and_team(
    qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring
) -> None:
    view = make_view(qtbot, fake_xai.base_url, KeyStore({}))
    results: list[str] = []
    view.entry.check_finished.connect(lambda _ok: results.append(view.entry.status.text()))
    check(qtbot, view, GOOD_KEY)
    assert f"xai-...{GOOD_KEY[-4:]}" in results[0]
    assert "Test key" in results[0]
    assert TEAM_ID in results[0]


def test_rejected_key_is_not_saved(qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring) -> None:
    wrong = "xai-WrongKey0123456789abcdefghijklmnopqrstu"
    view = make_view(qtbot, fake_xai.base_url, KeyStore({}))
    saved: list[SaveResult] = []
    view.key_saved.connect(saved.append)

    check(qtbot, view, wrong)

    assert saved == []
    assert memory.store == {}
    status = view.entry.status.text()
    assert "rejected" in status
    assert wrong not in status
    assert view.entry.save_anyway_button.isHidden()  # only offered when offline
    assert view.entry.field.text() == wrong  # kept, so the user can fix a typo


@pytest.mark.parametrize(
    ("key_info", "reason"),
    [
        ({"api_key_blocked": True}, "blocked or disabled"),
        ({"api_key_disabled": True}, "blocked or disabled"),
        ({"team_blocked": True}, "team is blocked"),
    ],
)
def test_blocked_key_or_team_is_explained_and_not_saved(
    qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring, key_info: dict[str, bool], reason: str
) -> None:
    fake_xai.key_info = key_info
    view = make_view(qtbot, fake_xai.base_url, KeyStore({}))
    check(qtbot, view, GOOD_KEY)
    assert reason in view.entry.status.text()
    assert memory.store == {}
    assert view.entry.save_anyway_button.isHidden()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "credits"),  # the recorded 403 for a new team without credits
        ({"code": "permission-denied", "error": "The API key is blocked."}, "blocked"),
    ],
)
def test_forbidden_key_is_explained_and_not_saved(
    qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring, body: dict[str, str] | None, reason: str
) -> None:
    fake_xai.script_next(Error(403, body), path=API_KEY_PATH)
    view = make_view(qtbot, fake_xai.base_url, KeyStore({}))
    check(qtbot, view, GOOD_KEY)
    assert reason in view.entry.status.text()
    assert memory.store == {}
    assert view.entry.save_anyway_button.isHidden()


def test_no_network_offers_save_anyway(qtbot: QtBot, memory: MemoryKeyring) -> None:
    store = KeyStore({})
    view = make_view(qtbot, closed_port_url(), store)
    saved: list[SaveResult] = []
    view.key_saved.connect(saved.append)

    check(qtbot, view, GOOD_KEY)

    assert saved == []
    assert memory.store == {}
    assert "Could not connect" in view.entry.status.text()
    assert view.entry.save_anyway_button.isVisible()

    view.entry.save_anyway_button.click()

    assert len(saved) == 1
    assert memory.store[(SERVICE, USERNAME)] == GOOD_KEY
    assert store.key == GOOD_KEY


def test_editing_the_key_withdraws_save_anyway(qtbot: QtBot, memory: MemoryKeyring) -> None:
    view = make_view(qtbot, closed_port_url(), KeyStore({}))
    check(qtbot, view, GOOD_KEY)
    assert view.entry.save_anyway_button.isVisible()
    view.entry.field.setText(GOOD_KEY + "x")
    assert view.entry.save_anyway_button.isHidden()
    assert memory.store == {}


def test_without_secure_store_the_user_is_told_the_key_is_for_this_session(
    qtbot: QtBot, fake_xai: FakeXai
) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        store = KeyStore({})
        view = make_view(qtbot, fake_xai.base_url, store)
        assert "session" in view.store_note.text()
        saved: list[SaveResult] = []
        view.key_saved.connect(saved.append)
        check(qtbot, view, GOOD_KEY)
        assert saved[0].source is KeySource.MEMORY
        assert "kept for this session only" in view.entry.status.text()
        assert store.key == GOOD_KEY
    finally:
        keyring.set_keyring(previous)


def test_key_field_is_masked_with_a_show_toggle(
    qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring
) -> None:
    view = make_view(qtbot, fake_xai.base_url, KeyStore({}))
    assert view.entry.field.echoMode() is QLineEdit.EchoMode.Password
    view.entry.show_toggle.click()
    assert view.entry.field.echoMode() is QLineEdit.EchoMode.Normal
    view.entry.show_toggle.click()
    assert view.entry.field.echoMode() is QLineEdit.EchoMode.Password


def test_empty_key_asks_for_one(qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring) -> None:
    view = make_view(qtbot, fake_xai.base_url, KeyStore({}))
    view.entry.check_button.click()
    assert "Paste your API key" in view.entry.status.text()
    assert not view.entry.busy


def test_console_link_opens_only_when_clicked(qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring) -> None:
    opened = Opened()
    view = make_view(qtbot, fake_xai.base_url, KeyStore({}), opened)
    assert "console.x.ai" in view.intro.text()
    assert opened.urls == []
    view.intro.linkActivated.emit(CONSOLE_URL)
    assert opened.urls == [CONSOLE_URL]


def test_closing_the_view_during_a_check_cancels_it(
    qtbot: QtBot, qloop: object, memory: MemoryKeyring
) -> None:
    import asyncio

    started = asyncio.Event()

    async def never_answers(key: str) -> object:
        started.set()
        await asyncio.Event().wait()  # the server never answers
        raise AssertionError("unreachable")

    view = WelcomeView(never_answers, KeyStore({}), open_url=Opened())  # type: ignore[arg-type]
    view.entry.field.setText(GOOD_KEY)
    view.entry.check_button.click()
    task = view.entry._task
    assert task is not None
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert "Checking" in view.entry.status.text()

    view.deleteLater()
    qtbot.waitUntil(task.done, timeout=5000)

    assert task.cancelled()
    assert memory.store == {}


@pytest.mark.allow_log_errors
def test_a_broken_check_is_reported_not_left_spinning(
    qtbot: QtBot, memory: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(key: str) -> object:
        raise TypeError(f"bug while sending {key}")

    view = WelcomeView(broken, KeyStore({}), open_url=Opened())  # type: ignore[arg-type]
    qtbot.addWidget(view)
    check(qtbot, view, GOOD_KEY)
    assert "internal error" in view.entry.status.text()
    assert view.entry.check_button.isEnabled()
    assert memory.store == {}
    assert "TypeError" in caplog.text
    assert GOOD_KEY not in caplog.text


# -- the applications-menu offer ------------------------------------------------------------------


def make_offer_view(qtbot: QtBot, install: Callable[[], str]) -> tuple[WelcomeView, list[bool]]:
    view = WelcomeView(
        xai_key_checker(closed_port_url(), max_retries=0),
        KeyStore({}),
        open_url=Opened(),
        menu_entry=MenuEntryOffer(install=install),
    )
    qtbot.addWidget(view)
    view.show()
    answers: list[bool] = []
    view.menu_entry_answered.connect(answers.append)
    return view, answers


def test_menu_entry_offer_adds_once_clicked(qtbot: QtBot, memory: MemoryKeyring) -> None:
    calls: list[str] = []

    def install() -> str:
        calls.append("install")
        return "Added GrokDesk to the applications menu."

    view, answers = make_offer_view(qtbot, install)
    row = view.findChild(QWidget, "menuEntryOffer")
    assert row is view.menu_entry and row.isVisible()
    assert calls == []  # nothing is written before the user asks
    add = view.findChild(QPushButton, "addMenuEntryButton")
    add.click()
    qtbot.waitUntil(lambda: answers == [True], timeout=5000)
    assert calls == ["install"]
    assert view.menu_entry.status.text() == "Added GrokDesk to the applications menu."
    assert add.isHidden()


def test_menu_entry_offer_failure_is_shown_and_can_be_declined(qtbot: QtBot, memory: MemoryKeyring) -> None:
    def install() -> str:
        raise OSError("Cannot write the menu entry: Permission denied (/home/a/.local/share/applications).")

    view, answers = make_offer_view(qtbot, install)
    row = view.menu_entry
    assert row is not None
    row.add_button.click()
    qtbot.waitUntil(row.add_button.isEnabled, timeout=5000)
    assert "Permission denied" in row.status.text()
    assert answers == []  # not remembered: a failure is no answer
    row.decline_button.click()
    assert answers == [False]
    assert row.isHidden()


def test_no_offer_without_one(qtbot: QtBot, fake_xai: FakeXai, memory: MemoryKeyring) -> None:
    view = make_view(qtbot, fake_xai.base_url, KeyStore({}))
    assert view.menu_entry is None
    assert view.findChild(QWidget, "menuEntryOffer") is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="freedesktop.org menus")
def test_the_app_offers_the_menu_entry_once(
    qtbot: QtBot,
    make_window: MakeWindow,
    memory: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    launcher = tmp_path / "venv" / "bin" / "grokdesk"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\n", encoding="utf-8")
    launcher.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(launcher)])
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    data = tmp_path / "data"

    first = make_window(data_dir=data, api_key=None)
    assert first.welcome is not None and first.welcome.menu_entry is not None
    first.welcome.menu_entry.add_button.click()
    entry = xdg / "applications" / "grokdesk.desktop"
    qtbot.waitUntil(lambda: first.settings.menu_entry_offer_answered, timeout=10_000)
    assert f"TryExec={launcher}" in entry.read_text(encoding="utf-8").splitlines()
    shut_down(qtbot, first)

    # Added: not offered again, even after the entry is removed by hand.
    entry.unlink()
    second = make_window(data_dir=data, api_key=None)
    assert second.welcome is not None and second.welcome.menu_entry is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="freedesktop.org menus")
def test_no_offer_when_the_entry_exists(
    make_window: MakeWindow, memory: MemoryKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "applications").mkdir(parents=True)
    (xdg / "applications" / "grokdesk.desktop").write_text("[Desktop Entry]\n", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    window = make_window(api_key=None)
    assert window.welcome is not None and window.welcome.menu_entry is None
