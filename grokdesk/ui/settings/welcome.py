"""The first-run view, shown instead of the chat while there is no API key."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from grokdesk.storage.keystore import KeyStore
from grokdesk.ui.settings.keyentry import CheckKey, KeyEntry

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


class WelcomeView(QWidget):
    """Explains GrokDesk and asks for a key; saves it in `keystore` once it checks out.

    Emits `key_saved(SaveResult)` after saving; `keystore.key` is then the key. The result's
    message says when there is no secure store and the key is kept for this session only.
    `open_url` opens the console link (only when clicked); injected so tests need no browser.
    """

    key_saved = Signal(object)  # grokdesk.storage.keystore.SaveResult

    def __init__(
        self,
        check_key: CheckKey,
        keystore: KeyStore,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
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
