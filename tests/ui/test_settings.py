"""AppSettings: typed values, validation reasons, and forward migration of the ini file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from grokdesk.core.endpoint import DEFAULT_BASE_URL, validate_base_url
from grokdesk.ui.settings.appsettings import (
    DEFAULT_FONT_SIZE,
    SETTINGS_VERSION,
    AppSettings,
    validate_font_size,
    validate_proxy,
)


def ini(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def open_settings(path: Path) -> AppSettings:
    return AppSettings.at_path(path)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.x.ai/v1",
        "https://api.x.ai/v1/",
        "https://us.api.x.ai/v1",
        "http://localhost:8080/v1",
        "http://127.0.0.1:11434/v1",
        "http://127.4.5.6/v1",
        "http://[::1]:8000/v1",
        "https://my-openai-compatible.example.com:8443/openai/v1",
    ],
)
def test_accepted_base_urls(url: str) -> None:
    assert validate_base_url(url) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://api.x.ai/v1", "unencrypted"),
        ("http://192.168.1.10:8080/v1", "unencrypted"),
        ("http://localhost.evil.example/v1", "unencrypted"),
        ("ftp://api.x.ai/v1", "https://"),
        ("api.x.ai/v1", "https://"),
        ("", "Enter"),
        ("https://", "no host"),
        ("https://api.x.ai:99999/v1", "port"),
        ("https://user:pw@api.x.ai/v1", "user name"),
        ("https://api.x.ai/v1?x=1", "'?'"),
    ],
)
def test_refused_base_urls_say_why(url: str, reason: str) -> None:
    message = validate_base_url(url)
    assert message is not None
    assert reason in message


@pytest.mark.parametrize(
    "proxy", ["system", "none", "NONE", "http://proxy.example:3128", "https://p.example"]
)
def test_accepted_proxies(proxy: str) -> None:
    assert validate_proxy(proxy) is None


@pytest.mark.parametrize(
    ("proxy", "reason"),
    [
        ("proxy.example:3128", "http://"),
        ("socks5://proxy.example:1080", "SOCKS"),
        ("http://", "no host"),
        ("http://proxy.example:port", "valid URL"),
        ("http://proxy.example:3128/path", "only a scheme"),
        ("", "Choose"),
    ],
)
def test_refused_proxies_say_why(proxy: str, reason: str) -> None:
    message = validate_proxy(proxy)
    assert message is not None
    assert reason in message


def test_font_size_bounds() -> None:
    assert validate_font_size(8) is None
    assert validate_font_size(32) is None
    assert validate_font_size(7) is not None
    assert validate_font_size(33) is not None


def test_defaults_on_a_fresh_file(tmp_path: Path) -> None:
    settings = open_settings(tmp_path / "s.ini")
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.add_datetime is True
    assert settings.send_key == "enter"
    assert settings.theme == "system"
    assert settings.font_size == DEFAULT_FONT_SIZE
    assert settings.default_image_detail == "auto"
    assert settings.proxy == "system"
    assert settings.standing_context == ""
    assert settings.window_geometry == b""
    assert settings.version == SETTINGS_VERSION


def test_values_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    settings = open_settings(path)
    settings.base_url = "http://127.0.0.1:8080/v1/"
    settings.default_model = "grok-3-mini"
    settings.default_system_prompt = "Answer briefly.\nUse metric units."
    settings.add_datetime = False
    settings.standing_context = "I live in Lyon."
    settings.send_key = "ctrl+enter"
    settings.theme = "dark"
    settings.font_size = 14
    settings.default_image_detail = "high"
    settings.proxy = "http://proxy.example:3128"
    settings.window_geometry = b"\x01\x02geometry\x00"
    settings.window_state = b"\xffstate"
    settings.sync()

    again = open_settings(path)
    assert again.base_url == "http://127.0.0.1:8080/v1"
    assert again.default_model == "grok-3-mini"
    assert again.default_system_prompt == "Answer briefly.\nUse metric units."
    assert again.add_datetime is False
    assert again.standing_context == "I live in Lyon."
    assert again.send_key == "ctrl+enter"
    assert again.theme == "dark"
    assert again.font_size == 14
    assert again.default_image_detail == "high"
    assert again.proxy == "http://proxy.example:3128"
    assert again.window_geometry == b"\x01\x02geometry\x00"
    assert again.window_state == b"\xffstate"


def test_setters_refuse_invalid_values_and_keep_the_old_one(tmp_path: Path) -> None:
    settings = open_settings(tmp_path / "s.ini")
    with pytest.raises(ValueError, match="unencrypted"):
        settings.base_url = "http://api.x.ai/v1"
    with pytest.raises(ValueError, match="8 to 32"):
        settings.font_size = 40
    with pytest.raises(ValueError, match="theme"):
        settings.theme = "purple"
    with pytest.raises(ValueError, match="send key"):
        settings.send_key = "shift+enter"
    with pytest.raises(ValueError):
        settings.proxy = "socks5://x:1"
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.font_size == DEFAULT_FONT_SIZE


def test_hand_edited_invalid_values_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_text(
        "[General]\nsettings_version=2\nbase_url=http://evil.example/v1\nfont_size=200\n"
        "theme=neon\nadd_datetime=maybe\n",
        encoding="utf-8",
    )
    settings = open_settings(path)
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.font_size == DEFAULT_FONT_SIZE
    assert settings.theme == "system"
    assert settings.add_datetime is True


def test_migration_from_a_version_1_file(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    # Version 1 named the server `api_base` and the model `model`, and had no version key.
    path.write_text(
        "[General]\napi_base=http://localhost:9000/v1\nmodel=grok-3-mini\ntheme=dark\n", encoding="utf-8"
    )
    settings = open_settings(path)
    assert settings.migrated_from == 1
    assert settings.base_url == "http://localhost:9000/v1"
    assert settings.default_model == "grok-3-mini"
    assert settings.theme == "dark"

    raw = ini(path)
    assert str(raw.value("settings_version")) == str(SETTINGS_VERSION)
    assert not raw.contains("api_base")
    assert not raw.contains("model")
    assert open_settings(path).migrated_from == SETTINGS_VERSION  # runs once


def test_settings_from_a_newer_app_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_text("[General]\nsettings_version=99\napi_base=kept\n", encoding="utf-8")
    settings = open_settings(path)
    assert settings.migrated_from == 99
    assert ini(path).value("api_base") == "kept"
    assert str(ini(path).value("settings_version")) == "99"
