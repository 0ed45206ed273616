"""The app's preferences over QSettings: typed, validated, versioned and migrated forward.

The API key is never stored here (it lives in the OS keyring, see storage/keystore.py).
Each `validate_*` function returns the reason a value is refused, or None; the settings
dialog shows that reason next to the field, and the setters raise ValueError with it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from PySide6.QtCore import QByteArray, QSettings

# The server address rule lives in core (the API client applies the same one).
from grokdesk.core.endpoint import DEFAULT_BASE_URL, normalize_base_url, validate_base_url

log = logging.getLogger(__name__)

SETTINGS_VERSION: Final = 2
DEFAULT_MODEL: Final = "grok-4.3"
SEND_KEYS: Final = ("enter", "ctrl+enter")
THEMES: Final = ("system", "light", "dark")
IMAGE_DETAILS: Final = ("auto", "low", "high")
PROXY_MODES: Final = ("system", "none")
FONT_SIZE_MIN: Final = 8
FONT_SIZE_MAX: Final = 32
DEFAULT_FONT_SIZE: Final = 11

_TRUE = {"true", "1", "yes", "on"}
# Which chat API a server gets: Responses with a fallback, always Responses, or Chat Completions.
API_MODES = ("automatic", "responses", "chat")
API_MODE_LABELS = {"automatic": "Automatic", "responses": "Responses", "chat": "Chat Completions"}
_FALSE = {"false", "0", "no", "off"}


# ---- validation ---------------------------------------------------------------------------------


def validate_proxy(text: str) -> str | None:
    """'system', 'none', or an http(s) proxy URL such as http://proxy.example:3128."""
    value = text.strip()
    if value.lower() in PROXY_MODES:
        return None
    if not value:
        return "Choose the system proxy, no proxy, or enter a proxy URL."
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "The proxy is not a valid URL (check the host name and port)."
    if parts.scheme.startswith("socks"):
        return "SOCKS proxies are not supported; use an http:// or https:// proxy."
    if parts.scheme not in ("http", "https"):
        return "The proxy URL must start with http:// or https://, for example http://proxy.example:3128."
    if not parts.hostname:
        return "The proxy URL has no host name."
    if port == 0:
        return "The proxy port must be a number from 1 to 65535."
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "The proxy URL must be only a scheme, host and port."
    return None


def validate_font_size(size: int) -> str | None:
    if not FONT_SIZE_MIN <= size <= FONT_SIZE_MAX:
        return f"The font size must be from {FONT_SIZE_MIN} to {FONT_SIZE_MAX} points."
    return None


def validate_model(model: str) -> str | None:
    model = model.strip()
    if not model:
        return "Enter a model name, for example grok-4.3."
    if any(c.isspace() for c in model):
        return "A model name has no spaces."
    return None


def _choice_validator(what: str, choices: tuple[str, ...]) -> Callable[[str], str | None]:
    def validate(value: str) -> str | None:
        if value not in choices:
            return f"The {what} must be one of: {', '.join(choices)}."
        return None

    return validate


validate_send_key = _choice_validator("send key", SEND_KEYS)
validate_theme = _choice_validator("theme", THEMES)
validate_image_detail = _choice_validator("image detail", IMAGE_DETAILS)


def _refuse(reason: str | None) -> None:
    if reason:
        raise ValueError(reason)


# ---- migrations ----------------------------------------------------------------------------------


def _v1_to_v2(qs: QSettings) -> None:
    """Version 1 named the server `api_base` and the model `model`."""
    for old, new in (("api_base", "base_url"), ("model", "default_model")):
        if qs.contains(old):
            if not qs.contains(new):
                qs.setValue(new, qs.value(old))
            qs.remove(old)


# MIGRATIONS[v] turns version v into v + 1; they run in order, each exactly once.
MIGRATIONS: Final[dict[int, Callable[[QSettings], None]]] = {1: _v1_to_v2}


def migrate(qs: QSettings) -> int:
    """Bring the stored settings up to SETTINGS_VERSION; returns the version found."""
    raw = qs.value("settings_version")
    if raw is None:
        # No version: an empty store is new; anything else predates versioning (version 1).
        found = 1 if qs.allKeys() else SETTINGS_VERSION
    else:
        try:
            found = int(str(raw))
        except ValueError:
            log.warning("Unreadable settings_version %r; treating the settings as version 1", raw)
            found = 1
    if found > SETTINGS_VERSION:
        # Written by a newer GrokDesk: leave it alone rather than lose what we do not know.
        log.warning("Settings are version %d, newer than this app's %d", found, SETTINGS_VERSION)
        return found
    for version in range(found, SETTINGS_VERSION):
        MIGRATIONS[version](qs)
        qs.setValue("settings_version", version + 1)
    qs.setValue("settings_version", SETTINGS_VERSION)
    qs.sync()
    return found


# ---- the settings object -------------------------------------------------------------------------


class AppSettings:
    """Typed access to the preferences. Setters raise ValueError with the reason; getters
    return the default when a stored value is missing or invalid (e.g. edited by hand)."""

    def __init__(self, qsettings: QSettings) -> None:
        self._qs = qsettings
        self.migrated_from = migrate(qsettings)

    @classmethod
    def open_default(cls) -> AppSettings:
        """The per-user native store (registry, plist, ~/.config/GrokDesk/GrokDesk.conf)."""
        return cls(
            QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "GrokDesk", "GrokDesk")
        )

    @classmethod
    def at_path(cls, path: Path) -> AppSettings:
        """An ini file at `path` (for --data-dir runs and tests that must not touch the user's)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @property
    def qsettings(self) -> QSettings:
        return self._qs

    def file_name(self) -> str:
        return self._qs.fileName()

    def sync(self) -> None:
        self._qs.sync()

    @property
    def version(self) -> int:
        return int(str(self._qs.value("settings_version", SETTINGS_VERSION)))

    # -- helpers
    def _str(self, key: str, default: str, validate: Callable[[str], str | None]) -> str:
        value = self._qs.value(key)
        if value is None:
            return default
        text = str(value)
        if validate(text):
            log.warning("Ignoring invalid setting %s; using the default", key)
            return default
        return text

    def _bool(self, key: str, default: bool) -> bool:
        value = self._qs.value(key)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if value is not None else ""
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return default

    def _bytes(self, key: str) -> bytes:
        value = self._qs.value(key)
        if isinstance(value, QByteArray):
            return bytes(value.data())
        if isinstance(value, bytes):
            return value
        return b""

    # -- connection
    @property
    def base_url(self) -> str:
        return normalize_base_url(self._str("base_url", DEFAULT_BASE_URL, validate_base_url))

    @base_url.setter
    def base_url(self, value: str) -> None:
        _refuse(validate_base_url(value))
        self._qs.setValue("base_url", normalize_base_url(value))

    @property
    def proxy(self) -> str:
        """'system', 'none', or a proxy URL."""
        value = self._str("proxy", "system", validate_proxy).strip()
        return value.lower() if value.lower() in PROXY_MODES else value

    @proxy.setter
    def proxy(self, value: str) -> None:
        _refuse(validate_proxy(value))
        value = value.strip()
        self._qs.setValue("proxy", value.lower() if value.lower() in PROXY_MODES else value)

    # -- chat defaults
    @property
    def default_model(self) -> str:
        return self._str("default_model", DEFAULT_MODEL, validate_model).strip()

    @default_model.setter
    def default_model(self, value: str) -> None:
        _refuse(validate_model(value))
        self._qs.setValue("default_model", value.strip())

    @property
    def default_system_prompt(self) -> str:
        return self._str("default_system_prompt", "", lambda _v: None)

    @default_system_prompt.setter
    def default_system_prompt(self, value: str) -> None:
        self._qs.setValue("default_system_prompt", value)

    @property
    def add_datetime(self) -> bool:
        """Add the current date and time to the system prompt (models have no clock)."""
        return self._bool("add_datetime", True)

    @add_datetime.setter
    def add_datetime(self, value: bool) -> None:
        self._qs.setValue("add_datetime", bool(value))

    @property
    def standing_context(self) -> str:
        """The user's own text added to every system prompt (who they are, where, ...)."""
        return self._str("standing_context", "", lambda _v: None)

    @standing_context.setter
    def standing_context(self, value: str) -> None:
        self._qs.setValue("standing_context", value)

    @property
    def default_image_detail(self) -> str:
        return self._str("default_image_detail", "auto", validate_image_detail)

    @default_image_detail.setter
    def default_image_detail(self, value: str) -> None:
        _refuse(validate_image_detail(value))
        self._qs.setValue("default_image_detail", value)

    # -- appearance and keys
    @property
    def send_key(self) -> str:
        """'enter' (Shift+Enter for a new line) or 'ctrl+enter'."""
        return self._str("send_key", "enter", validate_send_key)

    @send_key.setter
    def send_key(self, value: str) -> None:
        _refuse(validate_send_key(value))
        self._qs.setValue("send_key", value)

    @property
    def theme(self) -> str:
        return self._str("theme", "system", validate_theme)

    @theme.setter
    def theme(self, value: str) -> None:
        _refuse(validate_theme(value))
        self._qs.setValue("theme", value)

    @property
    def font_size(self) -> int:
        value = self._qs.value("font_size")
        try:
            size = int(str(value))
        except ValueError:
            return DEFAULT_FONT_SIZE
        return DEFAULT_FONT_SIZE if validate_font_size(size) else size

    @font_size.setter
    def font_size(self, value: int) -> None:
        _refuse(validate_font_size(value))
        self._qs.setValue("font_size", int(value))

    # -- window
    @property
    def window_geometry(self) -> bytes:
        return self._bytes("window/geometry")

    @window_geometry.setter
    def window_geometry(self, value: bytes) -> None:
        self._qs.setValue("window/geometry", QByteArray(value))

    @property
    def window_state(self) -> bytes:
        return self._bytes("window/state")

    @window_state.setter
    def window_state(self, value: bytes) -> None:
        self._qs.setValue("window/state", QByteArray(value))

    # -- first run
    @property
    def menu_entry_offer_answered(self) -> bool:
        """The welcome view offered the applications-menu entry and it was added or declined."""
        return self._bool("first_run/menu_entry_offer_answered", False)

    @menu_entry_offer_answered.setter
    def menu_entry_offer_answered(self, value: bool) -> None:
        self._qs.setValue("first_run/menu_entry_offer_answered", bool(value))

    # -- which chat API each server gets
    def api_mode(self, base_url: str) -> str:
        """ "automatic", "responses" or "chat" for the server at `base_url`."""
        mode = self._json_map("api/modes").get(normalize_base_url(base_url))
        return mode if mode in API_MODES else "automatic"

    def set_api_mode(self, base_url: str, mode: str) -> None:
        _refuse(None if mode in API_MODES else f"Unknown API setting “{mode}”.")
        modes = self._json_map("api/modes")
        modes[normalize_base_url(base_url)] = mode
        self._qs.setValue("api/modes", json.dumps(modes))
        if mode != "automatic":
            # A choice made by hand replaces what Automatic had found out.
            self.forget_lacks_responses(base_url)

    def lacks_responses(self, base_url: str) -> bool:
        """Automatic found out that this server has no Responses API (it answered 404/405)."""
        return bool(self._json_map("api/no_responses").get(normalize_base_url(base_url)))

    def remember_lacks_responses(self, base_url: str) -> None:
        found = self._json_map("api/no_responses")
        found[normalize_base_url(base_url)] = True
        self._qs.setValue("api/no_responses", json.dumps(found))

    def forget_lacks_responses(self, base_url: str) -> None:
        found = self._json_map("api/no_responses")
        if found.pop(normalize_base_url(base_url), None) is not None:
            self._qs.setValue("api/no_responses", json.dumps(found))

    # -- live search defaults for new conversations
    @property
    def default_web_search(self) -> bool:
        return self._bool("tools/web_search", False)

    @default_web_search.setter
    def default_web_search(self, value: bool) -> None:
        self._qs.setValue("tools/web_search", bool(value))

    @property
    def default_x_search(self) -> bool:
        return self._bool("tools/x_search", False)

    @default_x_search.setter
    def default_x_search(self, value: bool) -> None:
        self._qs.setValue("tools/x_search", bool(value))

    @property
    def default_code_execution(self) -> bool:
        return self._bool("tools/code_execution", False)

    @default_code_execution.setter
    def default_code_execution(self, value: bool) -> None:
        self._qs.setValue("tools/code_execution", bool(value))

    def _json_map(self, key: str) -> dict[str, object]:
        value = self._qs.value(key)
        try:
            data = json.loads(str(value)) if value is not None else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
