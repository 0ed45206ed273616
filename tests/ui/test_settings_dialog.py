"""The settings dialog: validation with reasons, the key section, and no key in the settings file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import QSettings, QUrl
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from grokdesk.storage.keystore import SERVICE, USERNAME, KeySource, KeyStore
from grokdesk.ui.settings.appsettings import AppSettings
from grokdesk.ui.settings.dialog import SettingsDialog
from grokdesk.ui.settings.keyentry import xai_key_checker
from tests.helpers.fake_xai import DEFAULT_API_KEY as GOOD_KEY
from tests.helpers.fake_xai import FakeXai
from tests.helpers.memkeyring import MemoryKeyring

pytestmark = pytest.mark.usefixtures("qloop")

OLD_KEY = "xai-OldKey0123456789abcdefghijklmnopqrstuvw"
MODELS = ["grok-4.3", "grok-3-mini", "grok-code-fast-1"]


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class Recorder:
    def __init__(self, answer: bool = True) -> None:
        self.calls: list[object] = []
        self.answer = answer

    def __call__(self, arg: object) -> bool:
        self.calls.append(arg.toLocalFile() if isinstance(arg, QUrl) else arg)
        return self.answer


class Env:
    def __init__(self, tmp_path: Path, server: FakeXai, env: dict[str, str] | None = None) -> None:
        self.ini = tmp_path / "config" / "GrokDesk.ini"
        self.data_dir = tmp_path / "data"
        self.data_dir.mkdir()
        self.settings = AppSettings(QSettings(str(self.ini), QSettings.Format.IniFormat))
        self.keystore = KeyStore(env or {})
        self.keystore.load()
        self.opened = Recorder()
        self.confirm = Recorder()
        self.server = server

    def dialog(self, qtbot: QtBot) -> SettingsDialog:
        dialog = SettingsDialog(
            self.settings,
            self.keystore,
            xai_key_checker(self.server.base_url, max_retries=0),
            data_dir=self.data_dir,
            model_ids=MODELS,
            open_url=self.opened,
            confirm_remove=self.confirm,
        )
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog


@pytest.fixture
def env(tmp_path: Path, fake_xai: FakeXai, memory: MemoryKeyring) -> Env:
    return Env(tmp_path, fake_xai)


def test_shows_current_settings(qtbot: QtBot, env: Env) -> None:
    env.settings.theme = "dark"
    env.settings.font_size = 15
    env.settings.proxy = "http://proxy.example:3128"
    dialog = env.dialog(qtbot)
    assert dialog.base_url_field.text() == "https://api.x.ai/v1"
    assert dialog.theme_combo.currentData() == "dark"
    assert dialog.font_size_spin.value() == 15
    assert dialog.proxy_mode_combo.currentData() == "custom"
    assert dialog.proxy_url_field.text() == "http://proxy.example:3128"
    assert dialog.add_datetime_check.isChecked()
    assert [dialog.model_combo.itemText(i) for i in range(dialog.model_combo.count())] == MODELS
    assert dialog.data_dir_field.text() == str(env.data_dir)
    assert dialog.ok_button.isEnabled()


def test_plain_http_to_another_host_is_refused_with_a_reason(qtbot: QtBot, env: Env) -> None:
    dialog = env.dialog(qtbot)
    accepted: list[bool] = []
    dialog.settings_applied.connect(lambda: accepted.append(True))

    dialog.base_url_field.setText("http://api.x.ai/v1")

    assert dialog.base_url_error.isVisible()
    assert "unencrypted" in dialog.base_url_error.text()
    assert not dialog.ok_button.isEnabled()
    dialog.accept()  # even forced, nothing is saved and the dialog stays open
    assert accepted == []
    assert dialog.isVisible()
    assert env.settings.base_url == "https://api.x.ai/v1"

    dialog.base_url_field.setText("http://127.0.0.1:8080/v1")
    assert dialog.base_url_error.isHidden()
    assert dialog.ok_button.isEnabled()


def test_bad_proxy_is_refused_with_a_reason(qtbot: QtBot, env: Env) -> None:
    dialog = env.dialog(qtbot)
    assert not dialog.proxy_url_field.isEnabled()  # only for a custom proxy
    dialog.proxy_mode_combo.setCurrentIndex(dialog.proxy_mode_combo.findData("custom"))
    assert dialog.proxy_url_field.isEnabled()
    assert not dialog.ok_button.isEnabled()  # a custom proxy needs a URL

    dialog.proxy_url_field.setText("socks5://proxy.example:1080")
    assert "SOCKS" in dialog.proxy_error.text()
    assert not dialog.ok_button.isEnabled()

    dialog.proxy_url_field.setText("proxy.example:3128")
    assert "http://" in dialog.proxy_error.text()
    assert dialog.errors() == {"proxyUrlField": dialog.proxy_error.text()}

    dialog.proxy_url_field.setText("http://proxy.example:3128")
    assert dialog.proxy_error.isHidden()
    dialog.ok_button.click()
    assert env.settings.proxy == "http://proxy.example:3128"


def test_font_size_is_bounded(qtbot: QtBot, env: Env) -> None:
    dialog = env.dialog(qtbot)
    dialog.font_size_spin.setValue(99)
    assert dialog.font_size_spin.value() == 32
    dialog.font_size_spin.setValue(1)
    assert dialog.font_size_spin.value() == 8
    assert dialog.ok_button.isEnabled()


def test_empty_model_is_refused(qtbot: QtBot, env: Env) -> None:
    dialog = env.dialog(qtbot)
    dialog.model_combo.setEditText("  ")
    assert "model name" in dialog.model_error.text()
    assert not dialog.ok_button.isEnabled()
    dialog.model_combo.setEditText("my-local-model")  # any OpenAI-compatible server's model
    assert dialog.ok_button.isEnabled()


def test_cancel_changes_nothing(qtbot: QtBot, env: Env) -> None:
    dialog = env.dialog(qtbot)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    dialog.reject()
    assert env.settings.theme == "system"


def test_every_input_has_an_object_name_and_accessible_name(qtbot: QtBot, env: Env) -> None:
    dialog = env.dialog(qtbot)
    dialog.replace_key_button.click()  # shows the key entry too
    kinds = (QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit, QAbstractButton)
    unnamed = []
    for widget in dialog.findChildren(QWidget):
        if not isinstance(widget, kinds) or isinstance(
            widget.parent(), QComboBox | QAbstractSpinBox | QLineEdit
        ):
            continue  # parts of combos, spin boxes and line edits (the clear button)
        if not widget.objectName() or not widget.accessibleName():
            unnamed.append(f"{type(widget).__name__}({widget.objectName()!r})")
    assert unnamed == []


def test_open_data_folder_opens_a_file_url(qtbot: QtBot, env: Env) -> None:
    dialog = env.dialog(qtbot)
    dialog.open_data_dir_button.click()
    assert env.opened.calls == [str(env.data_dir)]


def test_key_section_shows_source_and_masked_key(qtbot: QtBot, env: Env) -> None:
    env.keystore.save(GOOD_KEY)
    dialog = env.dialog(qtbot)
    assert "keyring" in dialog.key_source_label.text()
    assert dialog.key_masked_label.text() == "xa***yz"
    assert dialog.remove_key_button.isEnabled()


def test_environment_key_cannot_be_removed(
    qtbot: QtBot, tmp_path: Path, fake_xai: FakeXai, memory: MemoryKeyring
) -> None:
    env = Env(tmp_path, fake_xai, {"XAI_API_KEY": GOOD_KEY})
    dialog = env.dialog(qtbot)
    assert "XAI_API_KEY" in dialog.key_source_label.text()
    assert not dialog.remove_key_button.isEnabled()
    assert env.keystore.source is KeySource.ENVIRONMENT


def test_check_current_key_reports_a_rejected_key(qtbot: QtBot, env: Env) -> None:
    env.keystore.save(OLD_KEY)
    dialog = env.dialog(qtbot)
    dialog.check_current_button.click()
    qtbot.waitUntil(lambda: "rejected" in dialog.key_message.text(), timeout=5000)
    assert OLD_KEY not in dialog.key_message.text()


def test_replace_key_saves_only_a_key_that_checks_out(qtbot: QtBot, env: Env, memory: MemoryKeyring) -> None:
    env.keystore.save(OLD_KEY)
    dialog = env.dialog(qtbot)
    changed: list[bool] = []
    dialog.key_changed.connect(lambda: changed.append(True))
    dialog.replace_key_button.click()
    assert dialog.key_entry.isVisible()

    dialog.key_entry.field.setText("xai-Typo0123456789abcdefghijklmnopqrstuvwxy")
    with qtbot.waitSignal(dialog.key_entry.check_finished, timeout=5000):
        dialog.key_entry.check_button.click()
    assert changed == []
    assert memory.store[(SERVICE, USERNAME)] == OLD_KEY

    dialog.key_entry.field.setText(GOOD_KEY)
    with qtbot.waitSignal(dialog.key_changed, timeout=5000):
        dialog.key_entry.check_button.click()
    assert memory.store[(SERVICE, USERNAME)] == GOOD_KEY
    assert env.keystore.key == GOOD_KEY
    assert dialog.key_masked_label.text() == "xa***yz"
    assert dialog.key_entry.isHidden()


def test_remove_key_asks_first(qtbot: QtBot, env: Env, memory: MemoryKeyring) -> None:
    env.keystore.save(GOOD_KEY)
    dialog = env.dialog(qtbot)
    changed: list[bool] = []
    dialog.key_changed.connect(lambda: changed.append(True))

    env.confirm.answer = False
    dialog.remove_key_button.click()
    assert memory.store[(SERVICE, USERNAME)] == GOOD_KEY
    assert changed == []

    env.confirm.answer = True
    dialog.remove_key_button.click()
    assert memory.store == {}
    assert changed == [True]
    assert env.keystore.source is KeySource.NONE
    assert "No API key" in dialog.key_source_label.text()
    assert not dialog.remove_key_button.isEnabled()
    assert not dialog.check_current_button.isEnabled()


def test_full_round_saves_settings_and_keeps_the_key_out_of_every_file(
    qtbot: QtBot, env: Env, tmp_path: Path, memory: MemoryKeyring
) -> None:
    dialog = env.dialog(qtbot)
    applied: list[bool] = []
    dialog.settings_applied.connect(lambda: applied.append(True))

    dialog.replace_key_button.click()
    dialog.key_entry.field.setText(GOOD_KEY)
    with qtbot.waitSignal(dialog.key_changed, timeout=5000):
        dialog.key_entry.check_button.click()
    dialog.base_url_field.setText("http://localhost:8080/v1")
    dialog.proxy_mode_combo.setCurrentIndex(dialog.proxy_mode_combo.findData("none"))
    dialog.model_combo.setCurrentIndex(dialog.model_combo.findData("grok-3-mini"))
    dialog.system_prompt_edit.setPlainText("Answer briefly.")
    dialog.add_datetime_check.setChecked(False)
    dialog.standing_context_edit.setPlainText("I live in Lyon.")
    dialog.image_detail_combo.setCurrentIndex(dialog.image_detail_combo.findData("high"))
    dialog.send_key_combo.setCurrentIndex(dialog.send_key_combo.findData("ctrl+enter"))
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.font_size_spin.setValue(14)
    dialog.ok_button.click()

    assert applied == [True]
    assert not dialog.isVisible()
    reread = AppSettings(QSettings(str(env.ini), QSettings.Format.IniFormat))
    assert reread.base_url == "http://localhost:8080/v1"
    assert reread.proxy == "none"
    assert reread.default_model == "grok-3-mini"
    assert reread.default_system_prompt == "Answer briefly."
    assert reread.add_datetime is False
    assert reread.standing_context == "I live in Lyon."
    assert reread.default_image_detail == "high"
    assert reread.send_key == "ctrl+enter"
    assert reread.theme == "dark"
    assert reread.font_size == 14
    assert memory.store[(SERVICE, USERNAME)] == GOOD_KEY

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert env.ini in files
    secret = GOOD_KEY.encode()
    tail = GOOD_KEY.removeprefix("xai-").encode()  # the key without its well-known prefix
    leaks = [p for p in files if secret in p.read_bytes() or tail in p.read_bytes()]
    assert leaks == []


def test_the_api_choice_is_per_server_and_live_tool_defaults_are_kept(qtbot: QtBot, env: Env) -> None:
    env.settings.remember_lacks_responses("https://api.x.ai/v1")
    dialog = env.dialog(qtbot)
    assert dialog.api_mode_combo.currentData() == "automatic"
    dialog.api_mode_combo.setCurrentIndex(dialog.api_mode_combo.findData("chat"))
    dialog.web_search_check.setChecked(True)
    dialog.code_check.setChecked(True)
    dialog.accept()
    assert env.settings.api_mode("https://api.x.ai/v1") == "chat"
    assert env.settings.api_mode("http://127.0.0.1:1/v1") == "automatic"  # another server
    assert not env.settings.lacks_responses("https://api.x.ai/v1")  # a choice by hand replaces it
    assert (env.settings.default_web_search, env.settings.default_x_search) == (True, False)
    assert env.settings.default_code_execution
