"""The first-run view, shown instead of the chat while there is no API key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from grokdesk.storage.keystore import KeyStore
from grokdesk.ui.settings.keyentry import CheckKey, KeyEntry, start_task

log = logging.getLogger(__name__)

CONSOLE_URL = "https://console.x.ai"

_TITLE = "Welcome to GrokDesk"
_ABOUT = (
    "GrokDesk is a desktop app for chatting with xAI's Grok models: conversations in tabs, "
    "images to describe, replies as they are written, and everything kept on this computer."
)
_INTRO = (
    "To start, it needs your xAI API key. Create one at "
    f'<a href="{CONSOLE_URL}">console.x.ai</a> (API Keys), then paste it below.'
)


_MENU_ENTRY_QUESTION = "Add GrokDesk to your applications menu, with its icon?"


@dataclass(frozen=True)
class MenuEntryOffer:
    """Adding GrokDesk to the desktop's applications menu (a pip or pipx install has none).

    `install()` writes the entry and icons; it runs off the UI thread, returns the sentence
    to show, and raises OSError with a reason a person can act on.
    """

    install: Callable[[], str]


class MenuEntryRow(QWidget):
    """One line under the key field: the question, Add to menu, No thanks.

    Emits `answered(bool)` once: True when the entry was added, False when declined. A
    failed install shows the reason and leaves both buttons, so it can be retried.
    """

    answered = Signal(bool)

    def __init__(self, offer: MenuEntryOffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("menuEntryOffer")
        self._offer = offer
        self._task: asyncio.Task[None] | None = None
        self.question = QLabel(_MENU_ENTRY_QUESTION, self)
        self.question.setWordWrap(True)
        self.add_button = QPushButton("Add to menu", self)
        self.add_button.setObjectName("addMenuEntryButton")
        self.decline_button = QPushButton("No thanks", self)
        self.decline_button.setObjectName("declineMenuEntryButton")
        self.status = QLabel(self)
        self.status.setObjectName("menuEntryStatus")
        self.status.setWordWrap(True)
        self.status.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.question, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.decline_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 8, 0, 0)
        column.addLayout(row)
        column.addWidget(self.status)
        self.add_button.clicked.connect(self.add)
        self.decline_button.clicked.connect(self.decline)

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def add(self) -> None:
        if self.busy:
            return
        self.add_button.setEnabled(False)
        self.decline_button.setEnabled(False)
        self._show("Adding GrokDesk to the applications menu…")
        self._task = start_task(self, self._add())

    async def _add(self) -> None:
        # Writing a dozen files and running desktop-file-validate: off the UI thread.
        try:
            message = await asyncio.to_thread(self._offer.install)
        except OSError as exc:
            log.warning("menu entry not added: %s", exc)
            self._show(f"{exc} You can try again, or choose No thanks.")
            self.add_button.setEnabled(True)
            self.decline_button.setEnabled(True)
            return
        self.question.hide()
        self.add_button.hide()
        self.decline_button.hide()
        self._show(message)
        self.answered.emit(True)

    def decline(self) -> None:
        if self.busy:
            return
        self.hide()
        self.answered.emit(False)

    def _show(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()


class WelcomeView(QWidget):
    """Explains GrokDesk and asks for a key; saves it in `keystore` once it checks out.

    Emits `key_saved(SaveResult)` after saving; `keystore.key` is then the key. The result's
    message says when there is no secure store and the key is kept for this session only.
    `open_url` opens the console link (only when clicked); injected so tests need no browser.
    With `menu_entry`, it also offers to add GrokDesk to the applications menu and emits
    `menu_entry_answered(bool)` when that was done (True) or declined (False).
    """

    key_saved = Signal(object)  # grokdesk.storage.keystore.SaveResult
    menu_entry_answered = Signal(bool)

    def __init__(
        self,
        check_key: CheckKey,
        keystore: KeyStore,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
        menu_entry: MenuEntryOffer | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeView")
        self._keystore = keystore
        self._open_url = open_url

        self.title = QLabel(_TITLE, self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.about = QLabel(_ABOUT, self)
        self.about.setWordWrap(True)
        self.intro = QLabel(_INTRO, self)
        self.intro.setObjectName("welcomeIntro")
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.intro.setOpenExternalLinks(False)  # opened through open_url, on click only
        self.intro.linkActivated.connect(self._on_link)

        self.entry = KeyEntry(check_key, self)
        self.entry.field.setAccessibleDescription("Paste the API key from console.x.ai")

        self.store_note = QLabel(self)
        self.store_note.setObjectName("keyStoreNote")
        self.store_note.setWordWrap(True)
        if keystore.secure_store_available():
            note = "Your key is kept in the operating system's secure key store, never in a file."
        else:
            note = (
                "This system has no secure key store, so the key will be kept for this session only "
                "and asked for again next time. It is never written to a file."
            )
        self.store_note.setText(note + " If XAI_API_KEY is set, GrokDesk uses it instead and never saves it.")

        column = QWidget(self)
        column.setFixedWidth(560)
        inner = QVBoxLayout(column)
        inner.addWidget(self.title)
        inner.addWidget(self.about)
        inner.addWidget(self.intro)
        inner.addWidget(self.entry)
        inner.addWidget(self.store_note)
        self.menu_entry: MenuEntryRow | None = None
        if menu_entry is not None:
            self.menu_entry = MenuEntryRow(menu_entry, column)
            self.menu_entry.answered.connect(self.menu_entry_answered)
            inner.addWidget(self.menu_entry)
        # Centred by stretches, not by an alignment flag: an aligned widget loses its
        # height-for-width, and the word-wrapped labels were cut off.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.entry.key_accepted.connect(self._save)

    def focus_key_field(self) -> None:
        self.entry.field.setFocus()

    def _save(self, key: str) -> None:
        result = self._keystore.save(key)
        self.entry.clear()
        self.entry.status.setText(result.message)
        self.entry.status.show()
        self.key_saved.emit(result)

    def _on_link(self, href: str) -> None:
        self._open_url(QUrl(href))
