"""Entering and checking an API key: shared by the welcome view and the settings dialog.

The check calls an injected async `check_key(key)` (in the app: `XaiClient.check_key()`
on a client holding that key) and turns its result or error into one sentence. A key is
only accepted when it checks out, or when the user explicitly saves it anyway after the
server could not be reached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from grokdesk.api.errors import ApiError, AuthError, NetworkError, PermissionDenied
from grokdesk.api.redact import redact

log = logging.getLogger(__name__)


class KeyInfoLike(Protocol):
    """What the key check returns (grokdesk.api.client.KeyInfo fits)."""

    @property
    def redacted_api_key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def team_id(self) -> str: ...


CheckKey = Callable[[str], Awaitable[KeyInfoLike]]


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    ok: bool
    text: str
    offline: bool = False  # the server could not be reached: "Save anyway" may be offered


def xai_key_checker(base_url: str, **client_options: Any) -> CheckKey:
    """A `check_key` that asks `GET /v1/api-key` with a short-lived XaiClient holding the key."""
    from grokdesk.api.client import XaiClient

    async def check(key: str) -> KeyInfoLike:
        async with XaiClient(base_url, key, **client_options) as client:
            return await client.check_key()

    return check


def describe_key(info: KeyInfoLike) -> str:
    parts = [f"Key {info.redacted_api_key}" if info.redacted_api_key else "Key"]
    if info.name:
        parts.append(f"“{info.name}”")
    if info.team_id:
        parts.append(f"team {info.team_id}")
    return "The key works. " + ", ".join(parts) + "."


async def run_key_check(check_key: CheckKey, key: str) -> CheckOutcome:
    """Check `key` and say what happened, in words that never contain the key."""
    try:
        info = await check_key(key)
    except AuthError as exc:
        said = f" The server said: {redact(exc.detail, key)}" if exc.detail else ""
        return CheckOutcome(False, "This key was rejected by the server." + said)
    except PermissionDenied as exc:
        return CheckOutcome(False, redact(exc.message, key))
    except NetworkError as exc:
        return CheckOutcome(
            False,
            redact(exc.message, key) + " You can save the key anyway; it will be checked when you send.",
            offline=True,
        )
    except ApiError as exc:
        return CheckOutcome(False, "The key could not be checked. " + redact(exc.message, key))
    except Exception as exc:  # a bug in check_key: say so instead of hanging on "Checking…"
        log.error("Key check failed unexpectedly: %s", redact(f"{type(exc).__name__}: {exc}", key))
        return CheckOutcome(False, "The key could not be checked because of an internal error.")
    # A check_key that reports blocked keys as data rather than PermissionDenied.
    if getattr(info, "team_blocked", False):
        return CheckOutcome(False, "The team of this key is blocked. Check it at https://console.x.ai.")
    if getattr(info, "api_key_blocked", False) or getattr(info, "api_key_disabled", False):
        return CheckOutcome(False, "This key is blocked or disabled. Enable it at https://console.x.ai.")
    return CheckOutcome(True, describe_key(info))


def start_task(owner: QObject, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """Run `coro` on the (qasync) loop without blocking; cancelled if `owner` is destroyed."""
    task = asyncio.ensure_future(coro)
    owner.destroyed.connect(lambda *_: task.cancel())  # must not capture owner itself
    return task


class KeyEntry(QWidget):
    """A masked key field with a Show toggle, a Check button and the result.

    Emits `key_accepted(str)` with a key that checked out, or that the user chose to
    save anyway after a network failure (the only case "Save anyway" is offered).
    """

    key_accepted = Signal(str)
    check_finished = Signal(bool)  # True when the key checked out

    def __init__(
        self, check_key: CheckKey, parent: QWidget | None = None, *, check_label: str = "Check and save"
    ) -> None:
        super().__init__(parent)
        self.setObjectName("keyEntry")
        self._check_key = check_key
        self._task: asyncio.Task[None] | None = None
        self._offline_key: str | None = None  # the key whose check failed for lack of network

        self.field = QLineEdit(self)
        self.field.setObjectName("apiKeyField")
        self.field.setAccessibleName("xAI API key")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText("xai-…")
        self.field.setClearButtonEnabled(True)
        self.show_toggle = QCheckBox("Show", self)
        self.show_toggle.setObjectName("showKeyToggle")
        self.show_toggle.setAccessibleName("Show the API key")
        self.check_button = QPushButton(check_label, self)
        self.check_button.setObjectName("checkKeyButton")
        self.check_button.setAccessibleName(check_label)
        self.status = QLabel(self)
        self.status.setObjectName("keyStatus")
        self.status.setAccessibleName("Key check result")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # server text is never markup
        self.save_anyway_button = QPushButton("Save anyway", self)
        self.save_anyway_button.setObjectName("saveAnywayButton")
        self.save_anyway_button.setAccessibleName("Save the key without checking it")
        self.save_anyway_button.hide()

        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.show_toggle)
        row.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.save_anyway_button)

        self.show_toggle.toggled.connect(self._on_show_toggled)
        self.field.textChanged.connect(self._on_text_changed)
        self.field.returnPressed.connect(self.check)
        self.check_button.clicked.connect(self.check)
        self.save_anyway_button.clicked.connect(self._save_anyway)

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def check(self) -> None:
        """Start checking the key in the field; the result arrives later."""
        key = self.field.text().strip()
        if not key:
            self._show("Paste your API key first.")
            return
        if self.busy:
            return
        self._offline_key = None
        self.save_anyway_button.hide()
        self.check_button.setEnabled(False)
        self._show("Checking the key…")
        self._task = start_task(self, self._check(key))

    async def _check(self, key: str) -> None:
        # No `finally`: after a cancel (widget destroyed) the widgets must not be touched.
        outcome = await run_key_check(self._check_key, key)
        self.check_button.setEnabled(True)
        self._show(outcome.text)
        if outcome.offline:
            self._offline_key = key
            self.save_anyway_button.show()
        self.check_finished.emit(outcome.ok)
        if outcome.ok:
            self.key_accepted.emit(key)

    def _save_anyway(self) -> None:
        key = self._offline_key
        if key is None or key != self.field.text().strip():
            return  # only the key whose check failed for lack of network
        self.save_anyway_button.hide()
        self._offline_key = None
        self.key_accepted.emit(key)

    def clear(self) -> None:
        self.field.clear()
        self._show("")

    def _on_show_toggled(self, shown: bool) -> None:
        self.field.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    def _on_text_changed(self, _text: str) -> None:
        # A different key has not been checked: no "Save anyway" for it.
        if self._offline_key is not None:
            self._offline_key = None
            self.save_anyway_button.hide()

    def _show(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
