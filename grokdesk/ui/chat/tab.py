"""One conversation tab: model picker, transcript, attachments, composer, send and stop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QGuiApplication,
    QKeySequence,
    QPalette,
    QShortcut,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from grokdesk.api.errors import ApiError, ModelNotFound
from grokdesk.core import catalog as core_catalog
from grokdesk.core.budget import cost_usd, format_cost, format_usage
from grokdesk.core.conversation import ImagePart, Message, Part, Role
from grokdesk.core.markdown import render_markdown
from grokdesk.storage.records import DraftPaste
from grokdesk.ui.chat.composer import Composer, ComposerBox
from grokdesk.ui.chat.contextmeter import ContextGuard, first_kept
from grokdesk.ui.chat.controller import ChatController
from grokdesk.ui.chat.emptystate import EmptyState
from grokdesk.ui.chat.imageattach import ImageAttachments
from grokdesk.ui.chat.imagegen import ImageGeneration
from grokdesk.ui.chat.meterlabel import MeterLabel
from grokdesk.ui.chat.pastedtext import PastedTexts
from grokdesk.ui.chat.tokencount import TokenCounter
from grokdesk.ui.chat.tooltoggles import ToolToggles
from grokdesk.ui.chat.transcript import TranscriptView
from grokdesk.ui.chat.versions import VersionSwitch
from grokdesk.ui.icons import icon, set_icon
from grokdesk.ui.images.attachments import AttachmentStrip, NoticeArea
from grokdesk.ui.modelcatalog import ModelCatalog
from grokdesk.ui.noticebar import NoticeBar
from grokdesk.ui.renderbudget import RenderBudget

SENDABLE_ROLES = (("User", Role.USER), ("Assistant", Role.ASSISTANT), ("System", Role.SYSTEM))
ROLE_ICONS = {Role.USER: "user", Role.ASSISTANT: "robot", Role.SYSTEM: "gear-six"}


class ConversationTab(QWidget):
    """Signals:
    title_changed(str), streaming_changed(bool): for the tab label.
    model_changed(str): the user picked another model.
    """

    title_changed = Signal(str)
    streaming_changed = Signal(bool)
    model_changed = Signal(str)
    settings_changed = Signal()

    def __init__(
        self,
        controller: ChatController,
        parent: QWidget | None = None,
        *,
        catalog: ModelCatalog | None = None,
        token_counter: TokenCounter | None = None,
        render_budget: RenderBudget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.catalog = catalog
        controller.setParent(self)
        # Usage lines are known before the transcript renders a finished message.
        controller.message_changed.connect(self._note_usage)
        # Another version brings replies onto the screen whose usage was not noted yet.
        controller.structure_changed.connect(self._note_all_usage)

        self.model_picker = QComboBox(self)
        self.model_picker.setObjectName("modelPicker")
        self.model_picker.setAccessibleName("Model")
        self.model_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_picker.setEditable(False)
        self.model_picker.currentIndexChanged.connect(self._on_model_picked)
        pin_action = QAction("Pin the exact release behind this alias", self.model_picker)
        pin_action.triggered.connect(self.pin_model)
        self.model_picker.addAction(pin_action)
        self.model_picker.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.meter = MeterLabel(self)
        self.meter.setObjectName("contextMeter")
        self.settings_button = QToolButton(self)
        self.settings_button.setObjectName("conversationSettingsButton")
        self.settings_button.setAccessibleName("Conversation settings")
        self.settings_button.setProperty("flat", True)
        set_icon(
            self.settings_button,
            "sliders-horizontal",
            "Conversation settings: system prompt, temperature, reasoning effort",
        )
        self.settings_button.clicked.connect(self.edit_settings)

        self.transcript = TranscriptView(self, render_budget=render_budget)
        self.version_switch = VersionSwitch(self.transcript, controller)
        # A child of the tab floating over the transcript: as a child of the scroll
        # area itself, showing or hiding it re-entered the scroll bar mid-update.
        self.jump_button = QPushButton("Jump to latest", self)
        self.jump_button.setObjectName("jumpToLatest")
        self.jump_button.setIcon(icon("arrow-down"))
        self.jump_button.hide()
        self.jump_button.clicked.connect(self._jump_to_latest)
        self.transcript.verticalScrollBar().valueChanged.connect(
            lambda _value: QTimer.singleShot(0, self, self._update_jump_button)
        )

        self.find_bar = QLineEdit(self)
        self.find_bar.setObjectName("findBar")
        self.find_bar.setPlaceholderText(
            "Find in conversation (Enter: next, Shift+Enter: previous, Esc: close)"
        )
        self.find_bar.hide()
        self.find_bar.returnPressed.connect(lambda: self.find_next(self.find_bar.text()))

        self.attachment_notices = NoticeArea(self)
        self.attachment_strip = AttachmentStrip(self)

        self.notice = NoticeBar("tabNotice", self)

        # The role of the next message: a small menu in the composer's tool row. The
        # combo box behind it holds the choice (and stays the scriptable control).
        self.role_picker = QComboBox(self)
        self.role_picker.setObjectName("rolePicker")
        self.role_picker.setAccessibleName("Role of the next message")
        for label, role in SENDABLE_ROLES:
            self.role_picker.addItem(label, role)
        self.role_picker.hide()
        self.composer = Composer(self)
        self.composer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.composer_box = ComposerBox(self.composer, self.attachment_strip, self)
        self.pasted = PastedTexts(self.composer, self)
        self.composer_box.add_attachment_row(self.pasted.strip)
        self.send_button = QToolButton(self)
        self.send_button.setObjectName("sendButton")
        set_icon(
            self.send_button,
            "paper-plane-right-fill",
            "Send (Enter)",
            role=QPalette.ColorRole.HighlightedText,
        )
        self.send_button.setAccessibleName("Send message")
        self.stop_button = QToolButton(self)
        self.stop_button.setObjectName("stopButton")
        set_icon(
            self.stop_button, "stop-fill", "Stop the reply (Esc)", role=QPalette.ColorRole.HighlightedText
        )
        self.stop_button.setAccessibleName("Stop the reply")
        self.stop_button.setEnabled(False)
        self.stop_button.hide()  # in the send button's place while a reply streams
        for button in (self.send_button, self.stop_button):
            button.setFixedSize(30, 30)
        self.attach_button = QToolButton(self)
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setProperty("flat", True)
        set_icon(
            self.attach_button, "paperclip", "Attach JPEG or PNG images (or drop them, or paste with Ctrl+V)"
        )
        self.attach_button.setAccessibleName("Attach images")
        self.role_button = QToolButton(self)
        self.role_button.setObjectName("roleButton")
        self.role_button.setProperty("flat", True)
        self.role_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.role_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.role_button.setAccessibleName("Role of the next message")
        self.role_menu = QMenu(self.role_button)
        self.role_menu.setObjectName("roleMenu")
        self.role_menu.addSection("Send the next message as")
        roles = QActionGroup(self.role_menu)
        self._role_actions: list[QAction] = []
        for index, (label, role) in enumerate(SENDABLE_ROLES):
            action = self.role_menu.addAction(icon(ROLE_ICONS[role]), label)
            action.setCheckable(True)
            action.setActionGroup(roles)
            action.triggered.connect(lambda _checked=False, i=index: self.role_picker.setCurrentIndex(i))
            self._role_actions.append(action)
        self.role_menu.addSeparator()
        self.add_action = self.role_menu.addAction(
            icon("plus-circle"), "Add to the conversation without sending"
        )
        self.add_action.setObjectName("addMessageAction")
        self.add_action.setShortcut(QKeySequence("Ctrl+Shift+Return"))
        self.add_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the tab's shortcut acts
        self.add_action.triggered.connect(lambda _checked=False: self.add_without_sending())
        self.role_button.setMenu(self.role_menu)
        self.role_picker.currentIndexChanged.connect(self._show_role)
        self._show_role()
        self.attachments = ImageAttachments(
            self,
            composer=self.composer,
            strip=self.attachment_strip,
            notices=self.attachment_notices,
            transcript=self.transcript,
            messages=lambda: controller.conversation.messages,
            current_model=lambda: controller.conversation.model,
            model_choices=self.model_ids,
            model_info=catalog.info if catalog is not None else controller._model_info,
        )
        self.attachments.model_switch_requested.connect(self.select_model)
        self.attachments.accept_drops_on(
            self, self.transcript.viewport(), self.composer.viewport(), self.attachment_strip
        )
        self.attach_button.clicked.connect(self.attachments.choose_files)
        self.composer_box.add_leading(self.attach_button)
        self.composer_box.add_leading(self.role_button)
        self.composer_box.add_trailing(self.send_button)
        self.composer_box.add_trailing(self.stop_button)
        self.images = ImageGeneration(self, catalog)

        top = QHBoxLayout()
        top.setContentsMargins(12, 6, 8, 0)
        top.addWidget(self.model_picker)
        top.addStretch(1)
        top.addWidget(self.meter)
        top.addWidget(self.settings_button)
        bottom = QVBoxLayout()
        bottom.setContentsMargins(16, 0, 16, 12)
        bottom.addWidget(self.find_bar)
        bottom.addWidget(self.notice)
        bottom.addWidget(self.attachment_notices)
        bottom.addWidget(self.images.controls)
        bottom.addWidget(self.composer_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(bottom)

        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(controller.stop)
        self.tool_toggles = ToolToggles(self, lambda: self.controller.conversation.settings)
        for button in self.tool_toggles.buttons.values():
            self.add_tool_button(button)
        self.tool_toggles.changed.connect(self.settings_changed)
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(controller.stop)
        QShortcut(QKeySequence("Ctrl+Shift+Return"), self, self.add_without_sending)
        QShortcut(QKeySequence.StandardKey.Find, self, self.show_find_bar)
        QShortcut(QKeySequence("Esc"), self.find_bar, self.hide_find_bar)

        controller.message_added.connect(self.transcript.message_added)
        controller.message_changed.connect(self.transcript.message_changed)
        controller.structure_changed.connect(self.transcript.rebuild)
        controller.streaming_changed.connect(self._on_streaming_changed)
        controller.title_changed.connect(self.title_changed)
        controller.api_error.connect(self._on_api_error)
        self.transcript.action_requested.connect(self._on_action)
        self.transcript.code_copied.connect(lambda code: QGuiApplication.clipboard().setText(code))
        for message in controller.conversation.messages:
            self._note_usage(message)
        self.transcript.set_messages(controller.conversation.messages)
        self.context: ContextGuard | None = None
        if catalog is not None and token_counter is not None:
            self.context = ContextGuard(
                controller,
                token_counter,
                catalog,
                draft=self.composed_parts,
                cost=self.conversation_cost,
                parent=self,
            )
            self._connect_context(self.context)
        self._connect_images()
        # A new conversation shows what the model can do and the shortcuts until it starts.
        self.empty_state = EmptyState(self.transcript.viewport())
        controller.message_added.connect(lambda _m: self._update_empty_state())
        controller.structure_changed.connect(self._update_empty_state)
        self.model_changed.connect(lambda _m: self._update_empty_state())
        if catalog is not None:
            catalog.models_changed.connect(self._update_empty_state)
        self._update_empty_state()

    # -- composing -----------------------------------------------------------

    def add_tool_button(self, button: QAbstractButton) -> None:
        """Put a per-turn tool (web search, X search, code execution...) in the composer's
        tool row, after attach and the role menu; give it a tooltip and accessible name."""
        self.composer_box.add_tool_button(button)

    def _update_empty_state(self) -> None:
        if self.controller.conversation.messages:
            self.empty_state.hide()
            return
        model = self.controller.conversation.model
        info = self.catalog.info(model) if self.catalog is not None and model else None
        self.empty_state.show_for(model, info)

    def _show_role(self) -> None:
        """The role menu shows the role only when it is not the usual User."""
        index = max(0, self.role_picker.currentIndex())
        label, role = SENDABLE_ROLES[index]
        self._role_actions[index].setChecked(True)
        self.role_button.setIcon(icon(ROLE_ICONS[role]))
        self.role_button.setText("" if role is Role.USER else f"as {label}")
        self.role_button.setToolTip(f"Send the next message as: {label} (or add it without sending)")

    def composed_parts(self) -> list[Part]:
        """Text and images in the order the composer shows them, then the long pastes."""
        return [*self.attachments.composed_parts(), *self.pasted.parts()]

    def clear_composer(self) -> None:
        self.composer.clear()
        self.attachments.clear()
        self.pasted.clear()

    def draft_attachments(self) -> list[ImagePart]:
        return self.attachments.parts()

    def draft_text(self) -> str:
        """The composer's text, one U+FFFC per image of `draft_attachments()`."""
        return self.attachments.draft_text()

    def draft_pastes(self) -> list[DraftPaste]:
        """The long pastes shown as chips, as the session keeps them."""
        return [DraftPaste(key, text) for key, text in self.pasted.keyed_texts()]

    def draft_role(self) -> Role:
        """The role the composer's message will be sent as."""
        return Role(self.role_picker.currentData())

    def restore_draft(
        self,
        text: str,
        attachments: list[ImagePart],
        pastes: Sequence[DraftPaste] = (),
        role: Role = Role.USER,
    ) -> None:
        self.attachments.restore(text, attachments)
        self.pasted.clear()
        for paste in pastes:
            self.pasted.add(paste.text, paste.key)
        self.role_picker.setCurrentIndex(max(0, self.role_picker.findData(role)))

    # -- images ------------------------------------------------------------------

    def attach_paths(self, paths: Iterable[str | Path]) -> asyncio.Task[None]:
        """Attach image files (read and checked off the UI thread); the task ends when
        every one is attached or refused (`attachments.intake_finished` also says so)."""
        return self.attachments.attach_paths(paths)

    def set_default_detail(self, level: str) -> None:
        """The detail level ("auto", "low", "high") new attachments start with."""
        self.attachments.set_default_detail(level)

    def _connect_context(self, context: ContextGuard) -> None:
        self.composer.textChanged.connect(context.schedule)
        self.pasted.changed.connect(context.schedule)
        self.model_changed.connect(context.schedule)
        context.meter_changed.connect(self._show_meter)
        context.notice.connect(lambda text: self.notice.show_notice(text) if text else self.notice.hide())
        context.drop_oldest_chosen.connect(self._send_leaving_out)
        context.switch_model_requested.connect(self._switch_and_send)

    def _show_meter(self, text: str, tip: str) -> None:
        self.meter.setText(text)
        self.meter.setToolTip(tip)

    def _send_leaving_out(self, drop: int) -> None:
        """Send with the `drop` oldest turns left out (the user's choice when the
        conversation outgrew the model's window)."""
        self.controller.drop_oldest = drop
        self.send()
        # After sending: when every older turn is left out, the first kept message is
        # the one just sent.
        self.transcript.set_cut_before(first_kept(self.controller.conversation, drop))

    def _switch_and_send(self, model_id: str) -> None:
        self.select_model(model_id)
        self.send()

    def _connect_images(self) -> None:
        images = self.attachments
        self.model_changed.connect(lambda _m: images.check_model())
        if self.catalog is not None:  # a model's image input may be learnt after attaching
            self.catalog.models_changed.connect(images.check_model)
        self.controller.message_added.connect(lambda m: images.ensure_thumbnails([m]))
        self.controller.structure_changed.connect(
            lambda: images.ensure_thumbnails(self.controller.conversation.messages)
        )
        self.transcript.image_requested.connect(images.open_viewer)
        images.ensure_thumbnails(self.controller.conversation.messages)

    def send(self) -> None:
        if self.controller.is_streaming:
            return
        if not self._model_usable():
            return
        if not self.attachments.ready_to_send():
            return
        if self.context is not None and not self.context.allows_send():
            return
        parts = self.composed_parts()
        role = Role(self.role_picker.currentData())
        text = self.composer.text_without_images()
        self.attachments.before_send()
        if self.controller.send(parts, role):
            if parts:
                self.composer.last_sent = text
                self.clear_composer()
            self.role_picker.setCurrentIndex(0)

    def add_without_sending(self) -> None:
        if not self.attachments.ready_to_send():
            return
        parts = self.composed_parts()
        if not parts:
            return
        self.attachments.before_send()
        self.controller.add_message(Role(self.role_picker.currentData()), parts)
        self.clear_composer()
        self.role_picker.setCurrentIndex(0)

    # -- models -----------------------------------------------------------------

    def set_model_choices(self, choices: list[tuple[str, str, str]]) -> None:
        """(label, model id, tooltip) triples; keeps the conversation's model selected,
        adding it when the list does not know it (it may have been retired)."""
        current = self.controller.conversation.model
        self.model_picker.blockSignals(True)
        self.model_picker.clear()
        for label, model_id, tooltip in choices:
            if not model_id:  # a group apart (the image models) starts here
                self.model_picker.insertSeparator(self.model_picker.count())
                continue
            self.model_picker.addItem(label, model_id)
            self.model_picker.setItemData(self.model_picker.count() - 1, tooltip, Qt.ItemDataRole.ToolTipRole)
        index = self.model_picker.findData(current)
        if index < 0 and current:
            self.model_picker.addItem(f"{current} (not in the list)", current)
            index = self.model_picker.count() - 1
        self.model_picker.setCurrentIndex(max(index, 0))
        self.model_picker.blockSignals(False)
        if not current and self.model_picker.count():
            self._on_model_picked(self.model_picker.currentIndex())

    def model_ids(self) -> list[str]:
        """The picker's model ids, in its order."""
        ids = (self.model_picker.itemData(i) for i in range(self.model_picker.count()))
        return [str(model_id) for model_id in ids if model_id]

    def select_model(self, model_id: str) -> None:
        """Pick `model_id` in the picker (adding it if the list does not have it)."""
        index = self.model_picker.findData(model_id)
        if index < 0:
            self.model_picker.addItem(model_id, model_id)
            index = self.model_picker.count() - 1
        self.model_picker.setCurrentIndex(index)
        self._on_model_picked(index)

    def _note_all_usage(self) -> None:
        for message in self.controller.conversation.messages:
            if message.id not in self.transcript.usage_text:
                self._note_usage(message)

    def _note_usage(self, message: Message) -> None:
        if message.usage is not None:
            info = self.catalog.info(message.model or "") if self.catalog is not None else None
            self.transcript.usage_text[message.id] = format_usage(message.usage, info)

    def conversation_cost(self) -> str:
        """What the replies in this conversation cost, from the models' prices."""
        if self.catalog is None:
            return ""
        total = 0.0
        for message in self.controller.conversation.messages:
            if message.usage is not None:
                total += cost_usd(message.usage, self.catalog.info(message.model or "")) or 0.0
        return format_cost(total) if total else ""

    def _model_usable(self) -> bool:
        """Once the API has listed the models, a model it did not list is not sent to:
        the user is told and offered the nearest one instead of a failed request."""
        model = self.controller.conversation.model
        if self.catalog is None or not self.catalog.from_api or self.catalog.knows(model):
            return True
        self._offer_replacement(model, retry=False)
        return False

    def _offer_replacement(self, model: str, *, retry: bool) -> None:
        nearest = self.catalog.nearest(model) if self.catalog is not None else None
        text = f"{model} is not available to your API key (xAI retires models every few months)."
        if nearest is None:
            self.notice.show_notice(text + " Pick another model above.")
            return

        def switch() -> None:
            self.select_model(nearest)
            if retry:
                failed = self.controller.conversation.messages[-1]
                self.controller.retry(failed.id)
            else:
                self.send()

        label = f"Use {nearest} and retry" if retry else f"Use {nearest} and send"
        self.notice.show_notice(text + f" The nearest available model is {nearest}.", (label, switch))

    def _on_api_error(self, error: ApiError) -> None:
        if isinstance(error, ModelNotFound):
            self._offer_replacement(self.controller.conversation.model, retry=True)

    def pin_model(self) -> None:
        """Replace an alias by the exact release behind it, for consistent answers."""
        if self.catalog is None:
            return
        model = self.controller.conversation.model
        pinned = core_catalog.pin(model, self.catalog.models)
        if pinned != model:
            self.select_model(pinned)

    def _on_model_picked(self, index: int) -> None:
        model_id = self.model_picker.itemData(index)
        if model_id and model_id != self.controller.conversation.model:
            self.controller.set_model(model_id)
            self.model_changed.emit(model_id)

    # -- transcript actions ---------------------------------------------------

    def _on_action(self, action: str, message_id: str) -> None:
        message = self.controller.conversation.find(message_id)
        if message is None:
            return
        if action == "copy":
            QGuiApplication.clipboard().setText(_visible_text(message))
        elif action == "copy_md":
            QGuiApplication.clipboard().setText(message.plain_text)
        elif action == "edit":
            self.edit_message(message)
        elif action == "delete":
            self.controller.delete(message_id)
        elif action == "regenerate":
            self.controller.regenerate(message_id)
        elif action == "continue":
            self.controller.continue_reply(message_id)
        elif action == "retry":
            self.controller.retry(message_id)
        elif action == "usage":
            self.transcript.toggle_usage(message_id)

    def edit_settings(self) -> None:
        # Imported when first opened: its form, spin boxes and button box cost the
        # window's first paint ~6 ms of PySide6 set-up.
        from grokdesk.ui.chat.conversationsettings import ConversationSettingsDialog

        conversation = self.controller.conversation
        dialog = ConversationSettingsDialog(conversation.settings, model=conversation.model, parent=self)
        if dialog.exec():
            self.controller.set_settings(dialog.result_settings())
            self.tool_toggles.load()
            self.settings_changed.emit()

    def edit_message(self, message: Message) -> QInputDialog:
        """Edit a message's text in a small window-modal editor; images stay in place."""
        dialog = QInputDialog(self)
        dialog.setObjectName("editMessageDialog")
        dialog.setWindowTitle("Edit message")
        dialog.setLabelText(f"{message.role.value.capitalize()} message:")
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setTextValue(message.plain_text)
        # The edit becomes a new version; an edited question is sent again at once.
        dialog.setOkButtonText("Send" if message.role is Role.USER else "Save")
        dialog.textValueSelected.connect(lambda text, mid=message.id: self.controller.edit(mid, text))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def switch_version(self, message_id: str, step: int) -> bool:
        """Show the previous (-1) or next (+1) version of a shown message."""
        return self.controller.switch_version(message_id, step)

    # -- find ----------------------------------------------------------------------

    def show_find_bar(self) -> None:
        self.find_bar.show()
        self.find_bar.setFocus()
        self.find_bar.selectAll()

    def hide_find_bar(self) -> None:
        self.find_bar.hide()
        self.composer.setFocus()

    def find_next(self, text: str) -> bool:
        if not text:
            return False
        if self.transcript.find_phrase(text):
            return True
        # Past the rendered window of a long conversation: the next message outside it that
        # holds the text (below it, else from the top); else wrap to the document's top.
        if self.transcript.show_next_with(text) and self.transcript.find_phrase(text):
            return True
        cursor = self.transcript.textCursor()
        cursor.movePosition(cursor.MoveOperation.Start)
        self.transcript.setTextCursor(cursor)
        return self.transcript.find_phrase(text)

    # -- streaming state ----------------------------------------------------------

    def _on_streaming_changed(self, streaming: bool) -> None:
        self.stop_button.setEnabled(streaming)
        self.send_button.setEnabled(not streaming)
        # One place for both: Stop shows where Send was while the reply streams.
        self.send_button.setVisible(not streaming)
        self.stop_button.setVisible(streaming)
        self.streaming_changed.emit(streaming)

    def _update_jump_button(self) -> None:
        following = self.transcript.is_following()
        self.jump_button.setVisible(not following)
        if not following:
            self.jump_button.adjustSize()
            viewport = self.transcript.viewport()
            corner = viewport.mapTo(self, viewport.rect().bottomRight())
            self.jump_button.move(
                corner.x() - self.jump_button.width() - 12, corner.y() - self.jump_button.height() - 8
            )
            self.jump_button.raise_()

    def _jump_to_latest(self) -> None:
        self.transcript.scroll_to_end()
        self.jump_button.hide()


def _visible_text(message: Message) -> str:
    """The text of a message without Markdown syntax, as a person reads it."""
    document = QTextDocument()
    # Formulas as their LaTeX source: a copied formula must stay a formula.
    document.setHtml(render_markdown(message.plain_text, math_images=False).html)
    return document.toPlainText()
