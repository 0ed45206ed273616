"""The main window: conversation tabs, shortcuts, status bar."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QPalette,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from grokdesk.core.conversation import Conversation, ConversationSettings
from grokdesk.storage.errors import StorageError
from grokdesk.storage.keystore import KeyStore, SaveResult
from grokdesk.storage.records import SessionState, TabState
from grokdesk.storage.store import Store
from grokdesk.ui.asynctasks import Kind, Tasks
from grokdesk.ui.connection import ApiConnection, check_key
from grokdesk.ui.icons import describe_builtin_buttons
from grokdesk.ui.keynotice import KeyNotice
from grokdesk.ui.library.panel import LibraryPanel
from grokdesk.ui.look import apply_look, theme_of
from grokdesk.ui.modelcatalog import ModelCatalog
from grokdesk.ui.persistence import StoreSink
from grokdesk.ui.renderbudget import RenderBudget
from grokdesk.ui.sessionsaver import SessionSaver
from grokdesk.ui.settings.appsettings import AppSettings
from grokdesk.ui.tabs import ConversationTabs

if TYPE_CHECKING:
    # Imported when first used: the chat stack (a tab's widgets, its controller, the
    # transcript and their renderers), the settings dialog, the welcome view, the usage
    # view and httpx (behind the API client) are not needed for the first paint.
    from grokdesk.api.client import KeyInfo
    from grokdesk.api.errors import ApiError
    from grokdesk.ui.chat.tab import ConversationTab
    from grokdesk.ui.chat.tokencount import TokenCounter
    from grokdesk.ui.chat.transcript import TranscriptView
    from grokdesk.ui.library.usageview import UsageDialog
    from grokdesk.ui.settings.dialog import SettingsDialog
    from grokdesk.ui.settings.welcome import MenuEntryOffer, WelcomeView

log = logging.getLogger("grokdesk.ui.mainwindow")
# Share of the screen's width and height the window takes on a first start.
FIRST_START_SHARE = 0.7


class MainWindow(QMainWindow):
    """Signals:
    painted(): emitted once, after the first paint (for start-up timing).
    content_painted(): emitted once, when the current tab's conversation has been painted
        too (for --smoke and start-up timing). The tabs opened before the first paint
        render their transcripts right after it, in the next turn of the event loop.
    """

    painted = Signal()
    content_painted = Signal()

    def __init__(
        self,
        *,
        connection: ApiConnection,
        catalog: ModelCatalog,
        sink: StoreSink,
        settings: AppSettings,
        keystore: KeyStore,
        data_dir: Path,
        secret_sink: Callable[[str], None] = lambda _key: None,
        base_url_override: str | None = None,
        menu_entry_offer: MenuEntryOffer | Callable[[], MenuEntryOffer | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("GrokDesk")
        self.connection = connection
        self.catalog = catalog
        self._sink = sink
        self.settings = settings
        self.keystore = keystore
        self.data_dir = data_dir
        self._secret_sink = secret_sink
        self._base_url_override = base_url_override
        self._menu_entry_offer = menu_entry_offer
        self._painted = False
        self._content_painted = False
        # Transcripts of the tabs opened before the first paint, shown right after it.
        self._held: list[TranscriptView] = []
        self._pending_tabs: list[_PendingTab] = []
        self._restoring = False
        self._content_watch: _FirstPaint | None = None
        self._closed_down = False
        self._pending_state = b""
        # Reads (opening, usage, the store check) are cancelled at quit; closing a tab
        # while it streams is a write (the stopped reply is saved) and is awaited.
        self._tasks = Tasks()
        # After the background tabs are built (the next turn), when the content was painted
        # in the turn that built them.
        self.content_painted.connect(lambda: QTimer.singleShot(0, self, self._warm_up_rendering))

        self.tabs = ConversationTabs(self)
        self.key_notice = KeyNotice(self)
        self.key_notice.replace_requested.connect(self.open_settings)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.tabs)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.key_notice)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.tabs.new_tab_requested.connect(self.new_conversation)
        self.tabs.close_requested.connect(self.close_tab)
        self.tabs.rename_requested.connect(self.rename_tab)
        self.tabs.currentChanged.connect(self._on_current_changed)
        self.session_saver = SessionSaver(self.session_state, sink.worker, self)
        self.tabs.currentChanged.connect(self.session_saver.changed)
        self.tabs.tabBar().tabMoved.connect(self.session_saver.changed)
        catalog.models_changed.connect(self._refresh_model_choices)
        catalog.refresh_failed.connect(lambda reason: self.statusBar().showMessage(reason, 8000))
        sink.storage_failed.connect(self._on_storage_failed)
        sink.storage_recovered.connect(
            lambda: self.statusBar().showMessage(
                "Everything that could not be saved earlier is saved now.", 8000
            )
        )
        self._token_counter: TokenCounter | None = None  # made with the first tab
        self.render_budget = RenderBudget()  # shared: tabs streaming at once split each frame
        self.library = LibraryPanel(sink.run, self)
        self.library.open_requested.connect(self.open_saved)
        self.library.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.library.conversation_renamed.connect(self._on_renamed_in_library)
        self.library.conversation_deleted.connect(self._on_deleted_in_library)
        self.library_dock = QDockWidget("Library", self)
        self.library_dock.setObjectName("libraryDock")
        self.library_dock.setWidget(self.library)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.library_dock)
        self._install_shortcuts()
        describe_builtin_buttons(self)
        self._restore_geometry()
        self.statusBar().showMessage("Ready")
        self.welcome: WelcomeView | None = None
        if not connection.has_key:
            self.show_welcome()

    # -- geometry --------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        """Where the window was last time (size, place, the library's width); on a first
        start about 70 % of the screen, centred."""
        geometry = self.settings.window_geometry
        if geometry and self.restoreGeometry(QByteArray(geometry)):
            # The docks' sizes once the window has its size and content: restored
            # earlier, the tabs added afterwards squeezed the library again.
            self._pending_state = self.settings.window_state
            return
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(1000, 720)
            return
        area = screen.availableGeometry()
        width = min(area.width(), max(720, round(area.width() * FIRST_START_SHARE)))
        height = min(area.height(), max(540, round(area.height() * FIRST_START_SHARE)))
        self.resize(width, height)
        self.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)
        # The library a quarter of the width at most, the conversation the rest.
        self.resizeDocks([self.library_dock], [min(300, width // 4)], Qt.Orientation.Horizontal)

    def save_geometry(self) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().data())
        self.settings.window_state = bytes(self.saveState().data())

    # -- first run -------------------------------------------------------------------

    def show_welcome(self) -> None:
        if self.welcome is None:
            from grokdesk.ui.settings.welcome import WelcomeView

            if callable(self._menu_entry_offer):  # worked out when first needed
                self._menu_entry_offer = self._menu_entry_offer()
            self.welcome = WelcomeView(
                self._check_key, self.keystore, self, menu_entry=self._menu_entry_offer
            )
            self.welcome.key_saved.connect(self._on_key_saved)
            self.welcome.menu_entry_answered.connect(self._on_menu_entry_answered)
            self.stack.addWidget(self.welcome)
        self.stack.setCurrentWidget(self.welcome)

    def _on_menu_entry_answered(self, _added: bool) -> None:
        # Offered once: added or declined, the welcome view does not ask again.
        self.settings.menu_entry_offer_answered = True
        self._menu_entry_offer = None

    async def _check_key(self, key: str) -> KeyInfo:
        return await check_key(self.connection, key)

    def _on_key_saved(self, result: SaveResult) -> None:
        if self.keystore.key:
            self._secret_sink(self.keystore.key)
        self.connection.set_api_key(self.keystore.key)
        self.statusBar().showMessage(result.message, 10000)
        self.stack.setCurrentWidget(self.tabs)
        self.catalog.refresh()
        tab = self.current_tab()
        if tab is not None:
            tab.composer.setFocus()

    # -- tabs ------------------------------------------------------------------------

    def tab(self, index: int) -> ConversationTab:
        self._build_pending_tabs()
        tab = _built(self.tabs.widget(index))
        assert tab is not None
        return tab

    def current_tab(self) -> ConversationTab | None:
        self._build_pending_tabs()
        return _built(self.tabs.currentWidget())

    def open_tabs(self) -> list[ConversationTab]:
        self._build_pending_tabs()
        tabs = (_built(self.tabs.widget(i)) for i in range(self.tabs.count()))
        return [tab for tab in tabs if tab is not None]

    def _build_pending_tabs(self, *, only_current: bool = False) -> None:
        """Build the restored tabs that wait in place (see `_restore_session`): the one on
        screen right after the first paint, the others in the turn after, or all at once
        when anything asks for the tabs."""
        if self._restoring:
            return  # restore_session places them; built after the first paint
        pending = self._pending_tabs
        if only_current:
            pending = [p for p in pending if p is self.tabs.currentWidget()]
        if not pending:
            return
        self._pending_tabs = [p for p in self._pending_tabs if p not in pending]
        self.session_saver.hold()  # the same session: written once, after
        try:
            for placeholder in pending:
                index = self.tabs.indexOf(placeholder)
                if index < 0:
                    continue
                tab = self._make_tab(self._restored_conversation(placeholder.state, placeholder.reading))
                if not self._content_painted:
                    self._hold_transcript(tab.transcript)
                was_current = self.tabs.currentIndex() == index  # chosen before it was built
                # Swapped without signals: the same conversation stays at the same place
                # and the current tab does not change.
                self.tabs.blockSignals(True)
                try:
                    self.tabs.insertTab(index, tab, "")
                    self.tabs.removeTab(index + 1)
                    if was_current:
                        self.tabs.setCurrentIndex(index)
                finally:
                    self.tabs.blockSignals(False)
                self._wire_tab(tab, index)
                state = placeholder.state
                tab.restore_draft(
                    state.draft_text, state.draft_attachments, state.draft_pastes, state.draft_role
                )
                if was_current:
                    self._show_title(tab.controller.conversation.title)
                    self._focus_composer_at_start(tab)
                placeholder.deleteLater()
        finally:
            self.session_saver.release()

    def _focus_composer_at_start(self, tab: ConversationTab) -> None:
        """The tab on screen, built after the first paint, takes the keyboard unless the
        user already put it somewhere (the library's search, say): typing right after the
        start goes into the message."""
        focused = QApplication.focusWidget()
        if focused is None or focused is self or focused is self.tabs.tabBar():
            tab.composer.setFocus()

    def default_model(self) -> str:
        saved = self.settings.default_model
        if saved:
            return saved
        models = self.catalog.models
        return models[0].id if models else ""

    def new_conversation(self) -> ConversationTab:
        prompt = "\n\n".join(
            text for text in (self.settings.default_system_prompt, self.settings.standing_context) if text
        )
        conversation = Conversation(
            model=self.default_model(),
            settings=ConversationSettings(
                system_prompt=prompt,
                add_datetime=self.settings.add_datetime,
                web_search=self.settings.default_web_search,
                x_search=self.settings.default_x_search,
                code_execution=self.settings.default_code_execution,
            ),
        )
        return self.open_conversation(conversation)

    def open_conversation(self, conversation: Conversation, *, activate: bool = True) -> ConversationTab:
        for tab in self.open_tabs():
            if tab.controller.conversation.id == conversation.id:
                self.tabs.setCurrentWidget(tab)
                return tab
        tab = self._make_tab(conversation)
        if not self._painted:
            self._hold_transcript(tab.transcript)
        index = self.tabs.addTab(tab, "")
        self._wire_tab(tab, index)
        if activate:
            self.tabs.setCurrentIndex(index)
            tab.composer.setFocus()
        return tab

    def _make_tab(self, conversation: Conversation) -> ConversationTab:
        from grokdesk.ui.chat.controller import ChatController
        from grokdesk.ui.chat.tab import ConversationTab
        from grokdesk.ui.chat.tokencount import TokenCounter

        if self._token_counter is None:
            self._token_counter = TokenCounter(self.connection.client, self)
        controller = ChatController(
            conversation,
            client_provider=self.connection.client,
            route=self.connection,
            sink=self._sink,
            model_info=self.catalog.info,
        )
        tab = ConversationTab(
            controller,
            catalog=self.catalog,
            token_counter=self._token_counter,
            render_budget=self.render_budget,
        )
        if tab.context is not None:
            tab.context.summary_ready.connect(self._open_summary)
        tab.composer.set_send_key(self.settings.send_key)
        tab.set_default_detail(self.settings.default_image_detail)
        tab.set_model_choices(self.catalog.choices())
        return tab

    def _wire_tab(self, tab: ConversationTab, index: int) -> None:
        """Label a tab just placed at `index` and connect it to the window."""
        controller = tab.controller
        self.tabs.set_label(index, controller.conversation.title, streaming=False)
        tab.title_changed.connect(lambda _title, t=tab: self._update_label(t))
        tab.title_changed.connect(self.library.schedule_refresh)
        tab.streaming_changed.connect(lambda streaming, t=tab: self._update_label(t, streaming))
        tab.streaming_changed.connect(self.library.schedule_refresh)
        controller.api_error.connect(self._on_api_error)
        self._save_session_on_changes(tab)

    def _save_session_on_changes(self, tab: ConversationTab) -> None:
        """Whatever the session holds of this tab: its draft (text, images and their
        detail), model, settings, and whether its conversation is stored yet."""
        changed = self.session_saver.changed
        tab.composer.document().contentsChanged.connect(changed)
        tab.attachments.attached.connect(changed)
        tab.pasted.changed.connect(changed)
        tab.role_picker.currentIndexChanged.connect(changed)
        tab.attachment_strip.detail_changed.connect(changed)
        tab.model_changed.connect(changed)
        tab.settings_changed.connect(changed)
        tab.controller.message_added.connect(changed)
        self.session_saver.changed()

    def open_saved(self, conversation_id: str, message_id: str | None = None) -> asyncio.Task[None]:
        """Open a saved conversation (or focus its tab) and scroll to `message_id`."""
        return self._tasks.spawn(
            self._open_saved(conversation_id, message_id), kind=Kind.READ, name="open-conversation"
        )

    async def _open_saved(self, conversation_id: str, message_id: str | None) -> None:
        tab = self._tab_of(conversation_id)
        if tab is None:
            try:
                conversation = await self._sink.run(Store.load_conversation, conversation_id)
            except StorageError as error:
                self.statusBar().showMessage(str(error), 8000)
                return
            tab = self._tab_of(conversation_id)  # opened meanwhile?
            if tab is None:
                self._sink.mark_stored(conversation.id)
                tab = self.open_conversation(conversation)
        self.tabs.setCurrentWidget(tab)
        if message_id:
            tab.controller.reveal(message_id)  # a hit in another version shows its branch
            tab.transcript.scroll_to_message(message_id)

    def _tab_of(self, conversation_id: str) -> ConversationTab | None:
        for tab in self.open_tabs():
            if tab.controller.conversation.id == conversation_id:
                return tab
        return None

    def _on_renamed_in_library(self, conversation_id: str, title: str) -> None:
        tab = self._tab_of(conversation_id)
        if tab is not None:
            tab.controller.rename(title)
            self._update_label(tab)

    def _on_deleted_in_library(self, conversation_id: str) -> None:
        tab = self._tab_of(conversation_id)
        if tab is not None:
            self.close_tab(self.tabs.indexOf(tab))

    def _open_summary(self, conversation: Conversation) -> None:
        tab = self.open_conversation(conversation)
        tab.controller.save_all()
        self.statusBar().showMessage("Started a new conversation from a summary of the old one.", 8000)
        tab.composer.setFocus()

    def close_tab(self, index: int) -> None:
        """Close a tab; a reply still streaming is stopped and what arrived is kept."""
        tab = self.tab(index)
        self.tabs.removeTab(index)
        tab.hide()
        if tab.controller.is_streaming:
            # Deleted only once the stopped reply is saved.
            self._tasks.spawn(self._dispose_after_stop(tab), kind=Kind.WRITE, name="close-tab")
        else:
            tab.deleteLater()
        if self.tabs.count() == 0:
            self.new_conversation()
        self.session_saver.changed()

    async def _dispose_after_stop(self, tab: ConversationTab) -> None:
        await tab.controller.shutdown()
        tab.deleteLater()

    def rename_tab(self, index: int, title: str) -> None:
        tab = self.tab(index)
        tab.controller.rename(title)
        self._update_label(tab)

    def _update_label(self, tab: ConversationTab, streaming: bool | None = None) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            if streaming is None:
                streaming = tab.controller.is_streaming
            self.tabs.set_label(index, tab.controller.conversation.title, streaming=streaming)

    def _on_current_changed(self, index: int) -> None:
        pending = self.tabs.currentWidget()
        if isinstance(pending, _PendingTab) and self._restoring:
            self._show_title(pending.title)  # as stored; the tab is built after the first paint
            return
        tab = self.current_tab()
        self._show_title(tab.controller.conversation.title if tab else "")

    def _show_title(self, title: str) -> None:
        self.setWindowTitle(f"{title} — GrokDesk" if title else "GrokDesk")

    def _refresh_model_choices(self) -> None:
        choices = self.catalog.choices()
        for tab in self.open_tabs():
            tab.set_model_choices(choices)

    # -- keyboard ------------------------------------------------------------------

    def _install_shortcuts(self) -> None:
        """The menu bar; every command also has its shortcut (README: keyboard shortcuts)."""
        menus = self.menuBar()

        def add(menu: QMenu, text: str, slot: Callable[[], Any], keys: str | None = None) -> QAction:
            action = menu.addAction(text)
            if keys:
                action.setShortcut(QKeySequence(keys))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False: slot())
            return action

        file_menu = menus.addMenu("&File")
        add(file_menu, "&New conversation", self.new_conversation, "Ctrl+T")
        add(file_menu, "&Close conversation", self.close_current, "Ctrl+W")
        file_menu.addSeparator()
        add(file_menu, "&Import conversations…", self.library.import_files)
        add(file_menu, "Export all as &Markdown…", lambda: self.library.export_all("md"))
        add(file_menu, "Export all as &JSON…", lambda: self.library.export_all("json"))
        file_menu.addSeparator()
        add(file_menu, "&Quit", self.close, "Ctrl+Q")
        edit_menu = menus.addMenu("&Edit")
        add(edit_menu, "&Settings…", self.open_settings, "Ctrl+,")
        view_menu = menus.addMenu("&View")
        add(view_menu, "&Library", self.toggle_library, "Ctrl+Shift+L")
        add(view_menu, "&Search conversations", self.focus_search, "Ctrl+K")
        add(view_menu, "&Usage and cost…", self.open_usage, "Ctrl+Shift+U")
        add(view_menu, "&Refresh model list", self.catalog.refresh)
        view_menu.addSeparator()
        add(view_menu, "&Next conversation", lambda: self._cycle(1), "Ctrl+Tab")
        add(view_menu, "&Previous conversation", lambda: self._cycle(-1), "Ctrl+Shift+Tab")
        for keys, step in (("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1), ("Ctrl+Backtab", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda step=step: self._cycle(step))

    def close_current(self) -> None:
        if self.tabs.count():
            self.close_tab(self.tabs.currentIndex())

    def open_usage(self) -> UsageDialog:
        from grokdesk.ui.library.usageview import UsageDialog

        dialog = UsageDialog(self._sink.run, self.catalog.info, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self._tasks.spawn(dialog.load(), kind=Kind.READ, name="load-usage")
        return dialog

    def toggle_library(self) -> None:
        self.library_dock.setVisible(not self.library_dock.isVisible())

    def focus_search(self) -> None:
        self.library_dock.show()
        self.library.focus_search()

    def _cycle(self, step: int) -> None:
        count = self.tabs.count()
        if count:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)

    # -- errors ----------------------------------------------------------------------

    def _on_api_error(self, error: ApiError) -> None:
        from grokdesk.api.errors import AuthError

        if isinstance(error, AuthError):
            self.key_notice.show_message(error.message)

    # -- settings --------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        from grokdesk.ui.settings.dialog import SettingsDialog

        dialog = SettingsDialog(
            self.settings,
            self.keystore,
            self._check_key,
            data_dir=self.data_dir,
            model_ids=[m.id for m in self.catalog.models],
            parent=self,
        )
        dialog.key_changed.connect(self._on_key_changed)
        dialog.settings_applied.connect(self.apply_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _on_key_changed(self) -> None:
        key = self.keystore.key
        if key:
            self._secret_sink(key)
        self.connection.set_api_key(key)
        if key:
            self.key_notice.hide()
            if self.stack.currentWidget() is self.welcome:
                self.stack.setCurrentWidget(self.tabs)
            self.catalog.refresh()
        else:
            self.show_welcome()

    def apply_settings(self) -> None:
        """Take changed settings into use: connection, send key, theme and font."""
        self.connection.reconfigure(
            base_url=self._base_url_override or self.settings.base_url, proxy=self.settings.proxy
        )
        for tab in self.open_tabs():
            tab.composer.set_send_key(self.settings.send_key)
            tab.set_default_detail(self.settings.default_image_detail)
        tab.set_default_detail(self.settings.default_image_detail)
        apply_look(self.settings.theme, self.settings.font_size)
        self.catalog.load_cached()
        self.catalog.refresh()

    def _on_storage_failed(self, reason: str) -> None:
        self.statusBar().showMessage(f"Not saved: {reason} Nothing is lost while GrokDesk stays open.")

    def tell_last_run_ended_badly(self, text: str, log_dir: Path) -> None:
        """Said once, on the active tab, after a crash or a kill: where to look."""
        tab = self.current_tab()
        if tab is not None:
            tab.notice.show_notice(
                text,
                ("Open the log folder", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir)))),
            )

    # -- session -------------------------------------------------------------------------

    def restore_session(self) -> None:
        """Reopen the tabs of the last run, in order, with drafts; a new tab otherwise.
        Runs before the window is shown, so waiting on the store here blocks nothing."""
        self.session_saver.hold()
        self._restoring = True
        try:
            self._restore_session()
        finally:
            self._restoring = False
            self.session_saver.release()

    def _restore_session(self) -> None:
        worker = self._sink.worker
        try:
            session: SessionState = worker.call(Store.load_session).result()
        except StorageError as error:
            self.statusBar().showMessage(str(error))
            session = SessionState()
        active = min(max(session.active_index, 0), len(session.tabs) - 1)
        # The store answers in order: the tabs' titles (for their labels at the first
        # paint), then the conversations, the one on screen first, read meanwhile and
        # waited for only when their tabs are built (after the first paint).
        stored = {i: s.conversation_id for i, s in enumerate(session.tabs) if s.conversation_id}
        titles = worker.call(Store.titles, list(stored.values())) if stored else None
        order = sorted(stored, key=lambda i: i != active)
        reading = {i: worker.call(Store.load_conversation, stored[i]) for i in order}
        title_of: dict[str, str] = {}
        with contextlib.suppress(StorageError):  # labelled "New conversation" until built
            title_of = titles.result() if titles is not None else {}
        for index, state in enumerate(session.tabs):
            # Each tab waits in place, labelled, and is built after the first paint (the one
            # on screen right after it, the others in the next turn): the first tab built
            # imports the chat stack (its widgets, the transcript, the controller and what
            # they use, ~40 ms), and building the tabs' widgets cost the first paint ~20 %
            # of its CPU time with four background tabs (both measured 2026-12-02).
            title = title_of.get(state.conversation_id or "", "")
            placeholder = _PendingTab(state, reading.get(index), title, self.tabs)
            self._pending_tabs.append(placeholder)
            self.tabs.set_label(self.tabs.addTab(placeholder, ""), title, streaming=False)
        if self.tabs.count() == 0:
            self.new_conversation()
        else:
            self.tabs.setCurrentIndex(active)

    def _restored_conversation(self, state: TabState, reading: Future[Conversation] | None) -> Conversation:
        """The conversation of a restored tab: as stored, or a new one with the tab's model
        and settings when it was never stored or cannot be read."""
        conversation = None
        if reading is not None:
            try:
                conversation = reading.result()
            except StorageError:
                conversation = None
        if conversation is None:
            conversation = Conversation(model=state.model or self.default_model())
            if state.settings is not None:
                conversation.settings = state.settings
        else:
            self._sink.mark_stored(conversation.id)
        if state.model:
            conversation.model = state.model
        return conversation

    def session_state(self) -> SessionState:
        tabs = []
        for tab in self.open_tabs():
            conversation = tab.controller.conversation
            stored = bool(conversation.messages)
            tabs.append(
                TabState(
                    conversation_id=conversation.id if stored else None,
                    model=conversation.model,
                    draft_text=tab.draft_text(),
                    draft_attachments=tab.draft_attachments(),
                    draft_pastes=tab.draft_pastes(),
                    draft_role=tab.draft_role(),
                    settings=None if stored else conversation.settings,
                )
            )
        return SessionState(tabs=tabs, active_index=max(self.tabs.currentIndex(), 0))

    def save_session(self) -> None:
        self.session_saver.save_now()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def has_painted(self) -> bool:
        return self._painted

    @property
    def has_painted_content(self) -> bool:
        return self._content_painted

    def _hold_transcript(self, transcript: TranscriptView) -> None:
        """Keep a transcript hidden (its place kept) until the window has painted once.

        A transcript renders its conversation when first shown (Markdown, highlighting,
        layout: most of the start-up work after the imports, with markdown-it and Pygments
        imported by the first render). Hidden, the window's first paint shows the tabs,
        the composer and the library at once; `_show_held_transcripts` shows the
        conversation in the next turn of the event loop. `plain_text()` and the other
        calls that need the rendered text render it on demand meanwhile."""
        policy = transcript.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        transcript.setSizePolicy(policy)
        transcript.hide()
        self._held.append(transcript)

    def _show_held_transcripts(self) -> None:
        held, self._held = self._held, []
        for transcript in held:
            if shiboken6.isValid(transcript):  # its tab may have been closed meanwhile
                transcript.show()  # renders now if its tab is the current one
        tab = _built(self.tabs.currentWidget())  # not current_tab(): the others are built after this
        if tab is None or not tab.transcript.isVisible():
            self._emit_content_painted()  # nothing more to paint (e.g. the welcome view)
            return
        # Painted now, before whatever else is queued (the model list's request, the
        # context meters): then told, once the conversation is on screen.
        viewport = tab.transcript.viewport()
        self._content_watch = _FirstPaint(viewport, self._emit_content_painted)
        viewport.repaint()
        self._content_watch.call_if_painted()

    def _emit_content_painted(self) -> None:
        if not self._content_painted:
            self._content_painted = True
            self.content_painted.emit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pending_state:
            state, self._pending_state = self._pending_state, b""
            self.restoreState(QByteArray(state))

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.painted.emit()
            # Asked after the first paint: the window never waits for the network or disk.
            # The store answers on its own thread while the conversation renders.
            self.library.refresh()
            self._tasks.spawn(self._check_store(), kind=Kind.READ, name="check-store")
            QTimer.singleShot(0, self, self._after_first_paint)

    def _after_first_paint(self) -> None:
        self._build_pending_tabs(only_current=True)
        self._show_held_transcripts()
        QTimer.singleShot(0, self, self._build_pending_tabs)
        # After the conversation is rendered: the model list's request (and the import of
        # httpx it needs first) is not what the user looks at first.
        self._tasks.spawn(self._refresh_models(), kind=Kind.READ, name="refresh-models")

    def _warm_up_rendering(self) -> None:
        self._tasks.spawn(self._warm_up_markdown(), kind=Kind.READ, name="warm-up-markdown")

    async def _warm_up_markdown(self) -> None:
        # markdown-it and Pygments imported and the parser made on another thread, so the
        # first reply finds them ready (the first render did it here: a 0.08-0.11 s stall).
        # After the HTTP client's set-up: one background import at a time, as the UI
        # thread shares the interpreter lock with them.
        with contextlib.suppress(Exception):  # reported where the client is made
            await asyncio.wrap_future(self.connection.prepare())
        from grokdesk.core.markdown import warm_up

        await asyncio.wrap_future(warm_up(dark=theme_of(self.palette()).dark))

    async def _refresh_models(self) -> None:
        # httpx is imported and the client's TLS context built on another thread first:
        # on this one they stalled the window for 0.15-0.5 s.
        with contextlib.suppress(Exception):  # the client, made anyway, reports it
            await asyncio.wrap_future(self.connection.prepare())
        self.catalog.refresh()

    async def _check_store(self) -> None:
        """Tell the user what the store found at start, then check it fully in the background."""
        store = await asyncio.wrap_future(self._sink.worker.ready)
        if store.recovered_from is not None:
            self.statusBar().showMessage(
                f"The conversation database was damaged. It was moved aside to {store.recovered_from} "
                "(nothing was deleted) and a new one was started."
            )
        elif store.interrupted_count:
            self.statusBar().showMessage(
                f"{store.interrupted_count} reply(ies) were cut off when GrokDesk last closed; "
                "they are marked in their conversations with Retry.",
                10000,
            )
        try:
            await self._sink.run(Store.verify)
        except StorageError as error:
            self.statusBar().showMessage(str(error))

    async def shutdown(self) -> None:
        """Stop every streaming reply and wait until the partial replies are saved."""
        await asyncio.gather(*(tab.controller.shutdown() for tab in self.open_tabs()))

    async def shutdown_all(self) -> None:
        """Quit: stop replies, save them and the session, close the store and the clients."""
        if self._closed_down:
            return
        self._closed_down = True
        await self.shutdown()
        await self._tasks.wind_down()
        if self._sink.has_unsaved:
            self._sink.retry_unsaved()  # a last try; the store drains it before closing
        await self.catalog.aclose()
        if self._token_counter is not None:
            await self._token_counter.aclose()
        await asyncio.gather(*(t.context.aclose() for t in self.open_tabs() if t.context is not None))
        await self.library.shutdown()
        self.save_session()
        self.save_geometry()
        self.session_saver.stop()
        self.settings.sync()
        worker = self._sink.worker
        await asyncio.get_running_loop().run_in_executor(None, worker.close)
        await self.connection.aclose()

    def closeEvent(self, event: QCloseEvent) -> None:
        for tab in self.open_tabs():
            tab.controller.stop()
        super().closeEvent(event)


class _FirstPaint(QObject):
    """Calls `then` once, after the first paint event `widget` receives."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self._then: Callable[[], None] | None = then
        self._painted = False
        widget.installEventFilter(self)

    def call_if_painted(self) -> None:
        """After a synchronous repaint(): call `then` now if the widget was painted."""
        if self._painted:
            self._call()

    def _call(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            then()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            watched.removeEventFilter(self)
            # The filter runs before the widget paints: called after this event.
            QTimer.singleShot(0, self, self._call)
        return False


def _built(page: QWidget | None) -> ConversationTab | None:
    """A page of the tab widget as the tab it is, None for a _PendingTab (a tab not built
    yet) or no page. Told apart by the placeholder's class: the chat stack, and with it
    ConversationTab, is imported with the first tab built."""
    if page is None or isinstance(page, _PendingTab):
        return None
    return cast("ConversationTab", page)


class _PendingTab(QWidget):
    """The place of a restored tab until it is built after the first paint: the tab on
    screen shows it (empty) for that one paint, the others are never shown."""

    def __init__(
        self, state: TabState, reading: Future[Conversation] | None, title: str, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.reading = reading  # the stored conversation being read; None when never stored
        self.title = title  # as stored: the tab's label and the window's title until built
        # The transcript's background, which takes its place a moment later.
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
