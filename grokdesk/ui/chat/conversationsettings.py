"""Per-conversation settings: system prompt, date line, temperature, length, reasoning effort."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from grokdesk.core.catalog import reasoning_efforts
from grokdesk.core.conversation import ConversationSettings
from grokdesk.core.request import datetime_line

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

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("System prompt:", self.system_prompt)
        form.addRow("", self.add_datetime)
        form.addRow("", self.datetime_preview)
        form.addRow("Temperature:", self.temperature)
        form.addRow("Maximum reply tokens:", self.max_tokens)
        form.addRow("Reasoning effort:", self.effort)
        form.addRow(buttons)

    def result_settings(self) -> ConversationSettings:
        temperature = self.temperature.value()
        return ConversationSettings(
            system_prompt=self.system_prompt.toPlainText(),
            add_datetime=self.add_datetime.isChecked(),
            temperature=None if temperature < 0 else round(temperature, 2),
            max_completion_tokens=self.max_tokens.value() or None,
            reasoning_effort=self.effort.currentData(),
        )
