"""Per-conversation settings: system prompt, date line, temperature, length, reasoning effort,
and the live tools with their search filters (refused here, with the reason, when the API
would refuse them)."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from grokdesk.core.catalog import reasoning_efforts
from grokdesk.core.conversation import ConversationSettings
from grokdesk.core.request import datetime_line
from grokdesk.core.tools import SearchFilters, filter_problems, normalize_domain, normalize_handle

NOT_SET = "Model default"


class ConversationSettingsDialog(QDialog):
    """Edits a copy of the settings; `result_settings()` returns the edited copy."""

    def __init__(
        self,
        settings: ConversationSettings,
        *,
        model: str,
        now: datetime | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conversationSettingsDialog")
        self.setWindowTitle("Conversation settings")
        self.system_prompt = QPlainTextEdit(settings.system_prompt, self)
        self.system_prompt.setObjectName("systemPrompt")
        self.system_prompt.setAccessibleName("System prompt")
        self.add_datetime = QCheckBox("Add the current date and time to the system prompt", self)
        self.add_datetime.setObjectName("addDatetime")
        self.add_datetime.setChecked(settings.add_datetime)
        # Models know nothing after their training cutoff: show exactly what is added.
        self.datetime_preview = QLabel(f"Adds: “{datetime_line(now or datetime.now().astimezone())}”", self)
        self.datetime_preview.setObjectName("datetimePreview")
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setObjectName("temperature")
        self.temperature.setRange(-0.1, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setSpecialValueText(NOT_SET)
        self.temperature.setValue(settings.temperature if settings.temperature is not None else -0.1)
        self.max_tokens = QSpinBox(self)
        self.max_tokens.setObjectName("maxCompletionTokens")
        self.max_tokens.setRange(0, 1_000_000)
        self.max_tokens.setSpecialValueText(NOT_SET)
        self.max_tokens.setValue(settings.max_completion_tokens or 0)
        self.effort = QComboBox(self)
        self.effort.setObjectName("reasoningEffort")
        self.effort.addItem(NOT_SET, None)
        for effort in reasoning_efforts(model):
            self.effort.addItem(effort, effort)
        index = self.effort.findData(settings.reasoning_effort)
        self.effort.setCurrentIndex(max(index, 0))
        self.effort.setEnabled(self.effort.count() > 1)
        if not self.effort.isEnabled():
            self.effort.setToolTip(f"{model} does not take a reasoning effort.")

        self._settings = settings
        self.web_search = self._check("webSearchCheck", "Search the web", settings.web_search)
        self.x_search = self._check("xSearchCheck", "Search X", settings.x_search)
        self.code_execution = self._check("codeExecutionCheck", "Run code", settings.code_execution)
        f = settings.filters
        self.allowed_domains = self._field(
            "allowedDomains", f.allowed_domains, "only these sites, e.g. wikipedia.org"
        )
        self.excluded_domains = self._field("excludedDomains", f.excluded_domains, "never these sites")
        self.allowed_handles = self._field("allowedXHandles", f.allowed_x_handles, "only posts by, e.g. @xai")
        self.excluded_handles = self._field("excludedXHandles", f.excluded_x_handles, "never posts by")
        self.from_date = self._field("xFromDate", [f.from_date] if f.from_date else [], "YYYY-MM-DD")
        self.to_date = self._field("xToDate", [f.to_date] if f.to_date else [], "YYYY-MM-DD")
        self.filter_errors = QLabel(self)
        self.filter_errors.setObjectName("searchFilterErrors")
        self.filter_errors.setWordWrap(True)
        self.filter_errors.setStyleSheet("color: palette(highlight);")

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("System prompt:", self.system_prompt)
        form.addRow("", self.add_datetime)
        form.addRow("", self.datetime_preview)
        form.addRow("Temperature:", self.temperature)
        form.addRow("Maximum reply tokens:", self.max_tokens)
        form.addRow("Reasoning effort:", self.effort)
        form.addRow("Live tools:", self.web_search)
        form.addRow("", self.x_search)
        form.addRow("", self.code_execution)
        form.addRow("Web, only:", self.allowed_domains)
        form.addRow("Web, never:", self.excluded_domains)
        form.addRow("X, only from:", self.allowed_handles)
        form.addRow("X, never from:", self.excluded_handles)
        form.addRow("X posts since:", self.from_date)
        form.addRow("X posts until:", self.to_date)
        form.addRow("", self.filter_errors)
        form.addRow(buttons)
        for edit in (
            self.allowed_domains,
            self.excluded_domains,
            self.allowed_handles,
            self.excluded_handles,
            self.from_date,
            self.to_date,
        ):
            edit.textChanged.connect(self.problems)
        self.problems()

    def _check(self, name: str, label: str, checked: bool) -> QCheckBox:
        check = QCheckBox(label, self)
        check.setObjectName(name)
        check.setChecked(checked)
        return check

    def _field(self, name: str, values: list[str], placeholder: str) -> QLineEdit:
        edit = QLineEdit(", ".join(values), self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(placeholder)
        return edit

    def filters(self) -> SearchFilters:
        def words(edit: QLineEdit) -> list[str]:
            return [w for w in re.split(r"[\s,;]+", edit.text()) if w]

        return SearchFilters(
            allowed_domains=[normalize_domain(w) for w in words(self.allowed_domains)],
            excluded_domains=[normalize_domain(w) for w in words(self.excluded_domains)],
            allowed_x_handles=[normalize_handle(w) for w in words(self.allowed_handles)],
            excluded_x_handles=[normalize_handle(w) for w in words(self.excluded_handles)],
            from_date=self.from_date.text().strip(),
            to_date=self.to_date.text().strip(),
        )

    def problems(self) -> list[str]:
        """Why the filters would be refused; shown under them, and OK stays disabled meanwhile."""
        problems = filter_problems(self.filters())
        self.filter_errors.setText("\n".join(problems))
        self.filter_errors.setVisible(bool(problems))
        self.ok_button.setEnabled(not problems)
        return problems

    def accept(self) -> None:
        if self.problems():
            return  # refused: the reasons are shown under the filters
        super().accept()

    def result_settings(self) -> ConversationSettings:
        temperature = self.temperature.value()
        return dataclasses.replace(
            self._settings,
            system_prompt=self.system_prompt.toPlainText(),
            add_datetime=self.add_datetime.isChecked(),
            temperature=None if temperature < 0 else round(temperature, 2),
            max_completion_tokens=self.max_tokens.value() or None,
            reasoning_effort=self.effort.currentData(),
            web_search=self.web_search.isChecked(),
            x_search=self.x_search.isChecked(),
            code_execution=self.code_execution.isChecked(),
            filters=self.filters(),
        )
