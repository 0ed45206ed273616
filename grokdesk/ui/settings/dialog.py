"""The settings dialog (Ctrl+,): the API key, the server, chat defaults, appearance, data folder.

Key actions (check, replace, remove) take effect at once through the KeyStore; everything
else is written to AppSettings only on OK, and only when every field is valid: an invalid
field shows its reason beside it and OK stays disabled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from grokdesk.core.endpoint import validate_base_url
from grokdesk.storage.keystore import KeySource, KeyStore, KeyStoreError
from grokdesk.ui.settings.appsettings import (
    API_MODE_LABELS,
    API_MODES,
    FONT_SIZE_MAX,
    FONT_SIZE_MIN,
    AppSettings,
    validate_font_size,
    validate_model,
    validate_proxy,
)
from grokdesk.ui.settings.keyentry import CheckKey, KeyEntry, run_key_check, start_task

SEND_KEY_CHOICES = (
    ("enter", "Enter sends, Shift+Enter starts a new line"),
    ("ctrl+enter", "Ctrl+Enter sends"),
)
THEME_CHOICES = (("system", "Same as the system"), ("light", "Light"), ("dark", "Dark"))
DETAIL_CHOICES = (("auto", "Automatic"), ("low", "Low (cheaper, faster)"), ("high", "High (more detail)"))
PROXY_CHOICES = (("system", "Use the system proxy"), ("none", "No proxy"), ("custom", "This proxy:"))

ConfirmRemove = Callable[[QWidget], bool]


def ask_before_removing(parent: QWidget) -> bool:
    answer = QMessageBox.question(
        parent,
        "Remove the API key",
        "Remove the saved API key from this computer? You will need to paste it again to chat.",
    )
    return answer == QMessageBox.StandardButton.Yes


def _name(widget: QWidget, object_name: str, accessible: str) -> None:
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)


def _combo(object_name: str, accessible: str, choices: Sequence[tuple[str, str]]) -> QComboBox:
    combo = QComboBox()
    _name(combo, object_name, accessible)
    for value, label in choices:
        combo.addItem(label, value)
    return combo


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(index, 0))


def _error_label(object_name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setProperty("role", "error")  # coloured by the theme's style sheet
    label.hide()
    return label


class SettingsDialog(QDialog):
    """Edits AppSettings and the key. Emits `key_changed()` when the key was saved, replaced or
    removed (read `keystore.key` / `keystore.source`), and `settings_applied()` after OK saved."""

    key_changed = Signal()
    settings_applied = Signal()

    def __init__(
        self,
        settings: AppSettings,
        keystore: KeyStore,
        check_key: CheckKey,
        *,
        data_dir: Path,
        model_ids: Sequence[str] = (),
        parent: QWidget | None = None,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
        confirm_remove: ConfirmRemove = ask_before_removing,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._settings = settings
        self._keystore = keystore
        self._check_key = check_key
        self._data_dir = data_dir
        self._open_url = open_url
        self._confirm_remove = confirm_remove
        self._check_task: asyncio.Task[None] | None = None
        self._errors: dict[str, str] = {}

        content = QWidget()
        column = QVBoxLayout(content)
        column.addWidget(self._build_key_section())
        column.addWidget(self._build_connection_section())
        column.addWidget(self._build_chat_section())
        column.addWidget(self._build_appearance_section())
        column.addWidget(self._build_data_section())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.setObjectName("settingsButtons")
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        _name(self.ok_button, "settingsOkButton", "Save settings")
        _name(self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "settingsCancelButton", "Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        self.resize(620, 720)

        self.set_model_ids(model_ids)
        self._load()
        self._refresh_key_section()

    # ---- building --------------------------------------------------------------------------------

    def _build_key_section(self) -> QGroupBox:
        box = QGroupBox("API key")
        self.key_source_label = QLabel()
        _name(self.key_source_label, "apiKeySource", "Where the API key comes from")
        self.key_source_label.setWordWrap(True)
        self.key_masked_label = QLabel()
        _name(self.key_masked_label, "apiKeyMasked", "API key (masked)")
        self.check_current_button = QPushButton("Check")
        _name(self.check_current_button, "checkCurrentKeyButton", "Check the current API key")
        self.replace_key_button = QPushButton("Replace…")
        _name(self.replace_key_button, "replaceKeyButton", "Replace the API key")
        self.remove_key_button = QPushButton("Remove")
        _name(self.remove_key_button, "removeKeyButton", "Remove the API key")
        self.key_message = QLabel()
        _name(self.key_message, "apiKeyMessage", "API key status")
        self.key_message.setWordWrap(True)
        self.key_message.setTextFormat(Qt.TextFormat.PlainText)
        self.key_message.hide()
        self.key_entry = KeyEntry(self._check_key, check_label="Check and save")
        self.key_entry.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.key_masked_label, 1)
        buttons.addWidget(self.check_current_button)
        buttons.addWidget(self.replace_key_button)
        buttons.addWidget(self.remove_key_button)
        hint = QLabel("Key changes take effect at once. The key is never written to a file.")
        hint.setWordWrap(True)
        layout = QVBoxLayout(box)
        layout.addWidget(self.key_source_label)
        layout.addLayout(buttons)
        layout.addWidget(self.key_message)
        layout.addWidget(self.key_entry)
        layout.addWidget(hint)

        self.check_current_button.clicked.connect(self.check_current_key)
        self.replace_key_button.clicked.connect(self._start_replace)
        self.remove_key_button.clicked.connect(self.remove_key)
        self.key_entry.key_accepted.connect(self._save_key)
        return box

    def _build_connection_section(self) -> QGroupBox:
        box = QGroupBox("Connection")
        form = QFormLayout(box)
        self.base_url_field = QLineEdit()
        _name(self.base_url_field, "baseUrlField", "Server base URL")
        self.base_url_field.setToolTip("Any OpenAI-compatible server; https unless it runs on this computer.")
        self.base_url_error = _error_label("baseUrlError")
        form.addRow("Base URL:", self.base_url_field)
        form.addRow("", self.base_url_error)

        self.proxy_mode_combo = _combo("proxyModeCombo", "Network proxy", PROXY_CHOICES)
        self.proxy_url_field = QLineEdit()
        _name(self.proxy_url_field, "proxyUrlField", "Proxy URL")
        self.proxy_url_field.setPlaceholderText("http://proxy.example:3128")
        self.proxy_error = _error_label("proxyError")
        proxy_row = QHBoxLayout()
        proxy_row.addWidget(self.proxy_mode_combo)
        proxy_row.addWidget(self.proxy_url_field, 1)
        form.addRow("Network proxy:", proxy_row)
        form.addRow("", self.proxy_error)

        self.api_mode_combo = _combo(
            "apiModeCombo", "Chat API for this server", [(m, API_MODE_LABELS[m]) for m in API_MODES]
        )
        self.api_mode_combo.setToolTip(
            "Automatic uses the Responses API (live search, code execution, reasoning summaries) "
            "and switches to Chat Completions for a server that does not offer it."
        )
        form.addRow("API:", self.api_mode_combo)

        self.base_url_field.textChanged.connect(self._validate)
        self.proxy_mode_combo.currentIndexChanged.connect(self._validate)
        self.proxy_url_field.textChanged.connect(self._validate)
        return box

    def _build_chat_section(self) -> QGroupBox:
        box = QGroupBox("New conversations")
        form = QFormLayout(box)
        self.model_combo = QComboBox()
        _name(self.model_combo, "defaultModelCombo", "Default model")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_error = _error_label("defaultModelError")
        form.addRow("Default model:", self.model_combo)
        form.addRow("", self.model_error)

        self.system_prompt_edit = QPlainTextEdit()
        _name(self.system_prompt_edit, "systemPromptEdit", "Default system prompt")
        self.system_prompt_edit.setPlaceholderText(
            "Instructions the model gets at the start of every conversation"
        )
        self.system_prompt_edit.setTabChangesFocus(True)
        self.system_prompt_edit.setFixedHeight(80)
        form.addRow("System prompt:", self.system_prompt_edit)

        self.add_datetime_check = QCheckBox("Tell the model today's date and time")
        _name(
            self.add_datetime_check, "addDateTimeCheck", "Add the current date and time to the system prompt"
        )
        self.add_datetime_check.setToolTip(
            "Models know nothing after their training cutoff and have no clock."
        )
        form.addRow("", self.add_datetime_check)

        self.standing_context_edit = QPlainTextEdit()
        _name(self.standing_context_edit, "standingContextEdit", "Standing context")
        self.standing_context_edit.setPlaceholderText(
            "About you, added to every system prompt (e.g. where you live)"
        )
        self.standing_context_edit.setTabChangesFocus(True)
        self.standing_context_edit.setFixedHeight(60)
        form.addRow("Standing context:", self.standing_context_edit)

        self.image_detail_combo = _combo("imageDetailCombo", "Default image detail", DETAIL_CHOICES)
        form.addRow("Image detail:", self.image_detail_combo)

        tools_row = QHBoxLayout()
        self.web_search_check = QCheckBox("Web search")
        _name(self.web_search_check, "defaultWebSearchCheck", "Search the web by default")
        self.x_search_check = QCheckBox("X search")
        _name(self.x_search_check, "defaultXSearchCheck", "Search X by default")
        self.code_check = QCheckBox("Code execution")
        _name(self.code_check, "defaultCodeCheck", "Let the model run code by default")
        for check in (self.web_search_check, self.x_search_check, self.code_check):
            check.setToolTip("Billed by xAI per successful call, on top of tokens.")
            tools_row.addWidget(check)
        tools_row.addStretch(1)
        form.addRow("Live tools:", tools_row)

        self.model_combo.editTextChanged.connect(self._validate)
        return box

    def _build_appearance_section(self) -> QGroupBox:
        box = QGroupBox("Keys and appearance")
        form = QFormLayout(box)
        self.send_key_combo = _combo("sendKeyCombo", "Send key", SEND_KEY_CHOICES)
        form.addRow("Send with:", self.send_key_combo)
        self.theme_combo = _combo("themeCombo", "Theme", THEME_CHOICES)
        form.addRow("Theme:", self.theme_combo)
        self.font_size_spin = QSpinBox()
        _name(self.font_size_spin, "fontSizeSpin", "Font size in points")
        self.font_size_spin.setRange(FONT_SIZE_MIN, FONT_SIZE_MAX)
        self.font_size_spin.setSuffix(" pt")
        self.font_size_error = _error_label("fontSizeError")
        form.addRow("Font size:", self.font_size_spin)
        form.addRow("", self.font_size_error)
        self.font_size_spin.valueChanged.connect(self._validate)
        return box

    def _build_data_section(self) -> QGroupBox:
        box = QGroupBox("Data")
        row = QHBoxLayout(box)
        self.data_dir_field = QLineEdit(str(self._data_dir))
        _name(self.data_dir_field, "dataFolderField", "Data folder")
        self.data_dir_field.setReadOnly(True)
        self.open_data_dir_button = QPushButton("Open folder")
        _name(self.open_data_dir_button, "openDataFolderButton", "Open the data folder in the file manager")
        row.addWidget(QLabel("Conversations are kept in:"))
        row.addWidget(self.data_dir_field, 1)
        row.addWidget(self.open_data_dir_button)
        self.open_data_dir_button.clicked.connect(self.open_data_folder)
        return box

    # ---- values ----------------------------------------------------------------------------------

    def set_model_ids(self, model_ids: Sequence[str]) -> None:
        """Offer these models; the current text (any model name) is kept."""
        current = self.model_combo.currentText()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for model_id in model_ids:
            self.model_combo.addItem(model_id, model_id)
        self.model_combo.setEditText(current)
        self.model_combo.blockSignals(False)

    def _load(self) -> None:
        s = self._settings
        self.base_url_field.setText(s.base_url)
        proxy = s.proxy
        _select(self.proxy_mode_combo, proxy if proxy in ("system", "none") else "custom")
        self.proxy_url_field.setText("" if proxy in ("system", "none") else proxy)
        self.model_combo.setEditText(s.default_model)
        self.system_prompt_edit.setPlainText(s.default_system_prompt)
        self.add_datetime_check.setChecked(s.add_datetime)
        self.standing_context_edit.setPlainText(s.standing_context)
        _select(self.image_detail_combo, s.default_image_detail)
        _select(self.api_mode_combo, s.api_mode(s.base_url))
        self.web_search_check.setChecked(s.default_web_search)
        self.x_search_check.setChecked(s.default_x_search)
        self.code_check.setChecked(s.default_code_execution)
        _select(self.send_key_combo, s.send_key)
        _select(self.theme_combo, s.theme)
        self.font_size_spin.setValue(s.font_size)
        self._validate()

    def _proxy_value(self) -> str:
        mode = str(self.proxy_mode_combo.currentData())
        return self.proxy_url_field.text().strip() if mode == "custom" else mode

    def errors(self) -> dict[str, str]:
        """Field objectName -> reason, for every invalid field."""
        return dict(self._errors)

    def _validate(self) -> bool:
        custom_proxy = self.proxy_mode_combo.currentData() == "custom"
        self.proxy_url_field.setEnabled(custom_proxy)
        checks = (
            (self.base_url_field, self.base_url_error, validate_base_url(self.base_url_field.text())),
            (self.proxy_url_field, self.proxy_error, validate_proxy(self._proxy_value())),
            (self.model_combo, self.model_error, validate_model(self.model_combo.currentText())),
            (self.font_size_spin, self.font_size_error, validate_font_size(self.font_size_spin.value())),
        )
        self._errors = {}
        for field, label, reason in checks:
            label.setText(reason or "")
            label.setVisible(bool(reason))
            field.setAccessibleDescription(reason or "")
            if reason:
                self._errors[field.objectName()] = reason
        self.ok_button.setEnabled(not self._errors)
        return not self._errors

    def accept(self) -> None:
        if not self._validate():
            return  # refused: the reasons are shown next to the fields
        # The setters validate again with the same functions, so nothing half-checked is saved.
        s = self._settings
        s.base_url = self.base_url_field.text()
        s.proxy = self._proxy_value()
        s.default_model = self.model_combo.currentText()
        s.default_system_prompt = self.system_prompt_edit.toPlainText()
        s.add_datetime = self.add_datetime_check.isChecked()
        s.standing_context = self.standing_context_edit.toPlainText()
        s.default_image_detail = str(self.image_detail_combo.currentData())
        mode = str(self.api_mode_combo.currentData())
        if mode != s.api_mode(s.base_url):
            s.set_api_mode(s.base_url, mode)
        s.default_web_search = self.web_search_check.isChecked()
        s.default_x_search = self.x_search_check.isChecked()
        s.default_code_execution = self.code_check.isChecked()
        s.send_key = str(self.send_key_combo.currentData())
        s.theme = str(self.theme_combo.currentData())
        s.font_size = self.font_size_spin.value()
        s.sync()
        self.settings_applied.emit()
        super().accept()

    # ---- the key ---------------------------------------------------------------------------------

    def _refresh_key_section(self) -> None:
        store = self._keystore
        source = store.source
        if source is KeySource.ENVIRONMENT:
            text = "From the XAI_API_KEY environment variable, for this run only; it is never saved."
        elif source is KeySource.KEYRING:
            text = f"Saved in the system keyring ({store.backend_name()})."
        elif source is KeySource.MEMORY:
            text = "Kept for this session only: this system has no secure key store."
        else:
            text = "No API key. Paste one from console.x.ai to start chatting."
        self.key_source_label.setText(text)
        self.key_masked_label.setText(store.masked or "—")
        has_key = store.key is not None
        self.check_current_button.setEnabled(has_key)
        self.remove_key_button.setEnabled(source in (KeySource.KEYRING, KeySource.MEMORY))
        self.replace_key_button.setText("Replace…" if has_key else "Enter a key…")

    def check_current_key(self) -> None:
        key = self._keystore.key
        if not key or (self._check_task is not None and not self._check_task.done()):
            return
        self.check_current_button.setEnabled(False)
        self._show_key_message("Checking the key…")
        self._check_task = start_task(self, self._check_current(key))

    async def _check_current(self, key: str) -> None:
        outcome = await run_key_check(self._check_key, key)
        self.check_current_button.setEnabled(self._keystore.key is not None)
        self._show_key_message(outcome.text)

    def _start_replace(self) -> None:
        self.key_entry.clear()
        self.key_entry.show()
        self.key_entry.field.setFocus()

    def _save_key(self, key: str) -> None:
        result = self._keystore.save(key)
        self.key_entry.clear()
        self.key_entry.hide()
        self._show_key_message(result.message)
        self._refresh_key_section()
        self.key_changed.emit()

    def remove_key(self) -> None:
        if not self._confirm_remove(self):
            return
        try:
            source = self._keystore.remove()
        except KeyStoreError as exc:
            self._show_key_message(str(exc))
            return
        if source is KeySource.ENVIRONMENT:
            self._show_key_message("The saved key was removed; XAI_API_KEY from the environment is used now.")
        else:
            self._show_key_message("The key was removed from this computer.")
        self._refresh_key_section()
        self.key_changed.emit()

    def _show_key_message(self, text: str) -> None:
        self.key_message.setText(text)
        self.key_message.setVisible(bool(text))

    # ---- data folder -----------------------------------------------------------------------------

    def open_data_folder(self) -> None:
        self._open_url(QUrl.fromLocalFile(str(self._data_dir)))
