"""The conversation library: a dock panel listing saved conversations, with search as you type.

Every store call goes through the injected `run(Store.method, *args)` (a `StoreCall`),
which runs a `Store` method (or a function of the store) on the store's own thread, so the
UI thread never waits on the disk. Search runs as you type with no fixed delay: each keystroke starts
a search at once (the store answers 100,000 messages in under a millisecond, so a fixed
debounce would be nearly all of the wait). A newer keystroke always wins: results of an
older query are dropped when they arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from grokdesk.storage.errors import StorageError
from grokdesk.storage.exporter import ExportFormat, export_conversations
from grokdesk.storage.records import ConversationSummary
from grokdesk.storage.store import Store
from grokdesk.transfer import export_summary, import_summary
from grokdesk.ui.asynctasks import Kind, Tasks
from grokdesk.ui.library.model import (
    UNTITLED,
    LibraryDelegate,
    LibraryModel,
    LibraryRow,
    RowKind,
    grouped_rows,
    hit_rows,
)
from grokdesk.ui.persistence import StoreCall

log = logging.getLogger("grokdesk.ui.library.panel")

ChooseFolder = Callable[[QWidget, str], Path | None]
ChooseFiles = Callable[[QWidget, str], list[Path]]

SEARCH_LIMIT = 50
UNDO_SECONDS = 8.0
REFRESH_DEBOUNCE_MS = 300
FORMAT_NAMES = {ExportFormat.MARKDOWN: "Markdown", ExportFormat.JSON: "JSON"}


def ask_folder(parent: QWidget, caption: str) -> Path | None:
    folder = QFileDialog.getExistingDirectory(parent, caption)
    return Path(folder) if folder else None


def ask_import_files(parent: QWidget, caption: str) -> list[Path]:
    names, _ = QFileDialog.getOpenFileNames(
        parent, caption, "", "Conversations (*.json *.zip);;All files (*)"
    )
    return [Path(name) for name in names]


class _ListView(QListView):
    """The list, with Delete bound to deleting the current conversation."""

    delete_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete and self.state() != QAbstractItemView.State.EditingState:
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)


class _SearchBox(QLineEdit):
    """Down moves into the results; Enter opens the first one; Esc clears."""

    to_list = Signal()
    open_first = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.to_list.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_first.emit()
            return
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


class LibraryPanel(QWidget):
    """Saved conversations, newest first by day with pinned ones on top, and full-text search.

    Signals:
    open_requested(str, object): open conversation id; the second value is the message id to
        scroll to (a search hit in a message) or None.
    status_message(str): a result or problem to show the user (export/import counts, errors).
    conversation_renamed(str, str): id, new title (after the store has it).
    conversation_deleted(str): soft-deleted in the store; undo is offered for a few seconds.
    conversation_restored(str): the delete was undone.
    delete_finalized(str): the undo offer for that deleted conversation is over.
    conversations_imported(int): that many conversations were imported (the list is refreshed).
    list_refreshed(): the list was (re)loaded from the store.
    search_results_shown(str): the results for that query are on screen.
    """

    open_requested = Signal(str, object)
    status_message = Signal(str)
    conversation_renamed = Signal(str, str)
    conversation_deleted = Signal(str)
    conversation_restored = Signal(str)
    delete_finalized = Signal(str)
    conversations_imported = Signal(int)
    list_refreshed = Signal()
    search_results_shown = Signal(str)

    def __init__(
        self,
        run: StoreCall,
        parent: QWidget | None = None,
        *,
        choose_folder: ChooseFolder = ask_folder,
        choose_files: ChooseFiles = ask_import_files,
        today: Callable[[], date] = date.today,
        undo_seconds: float = UNDO_SECONDS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("libraryPanel")
        self._run = run
        self._choose_folder = choose_folder
        self._choose_files = choose_files
        self._today = today
        self._summaries: list[ConversationSummary] = []
        # The grouped list for `_summaries` on that day, so clearing the search box costs no regrouping.
        self._list_rows: tuple[date, list[LibraryRow]] | None = None
        self._query = ""
        self._search_generation = 0
        self._search_task: asyncio.Task[Any] | None = None
        self._refresh_generation = 0
        self._undo_id: str | None = None

        self.searchBox = _SearchBox(self)
        self.searchBox.setObjectName("searchBox")
        self.searchBox.setPlaceholderText("Search conversations (Ctrl+K)")
        self.searchBox.setAccessibleName("Search conversations")
        self.searchBox.setClearButtonEnabled(True)

        self.model = LibraryModel(self)
        self.conversationList = _ListView(self)
        self.conversationList.setObjectName("conversationList")
        self.conversationList.setAccessibleName("Saved conversations")
        self.conversationList.setModel(self.model)
        self.conversationList.setItemDelegate(LibraryDelegate(self.conversationList, today=today))
        # Same height per row within a mode: layout stays O(1) per row with 5,000 conversations.
        self.conversationList.setUniformItemSizes(True)
        self.conversationList.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.conversationList.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.conversationList.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.conversationList.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

        self.undoBar = QFrame(self)
        self.undoBar.setObjectName("undoBar")
        self.undoBar.setFrameShape(QFrame.Shape.StyledPanel)
        self._undo_label = QLabel(self.undoBar)
        self._undo_label.setObjectName("undoLabel")
        self.undoButton = QPushButton("Undo", self.undoBar)
        self.undoButton.setObjectName("undoButton")
        self.undoButton.setAccessibleName("Undo delete")
        undo_layout = QHBoxLayout(self.undoBar)
        undo_layout.setContentsMargins(6, 2, 2, 2)
        undo_layout.addWidget(self._undo_label, 1)
        undo_layout.addWidget(self.undoButton)
        self.undoBar.hide()

        self.statusLabel = QLabel(self)
        self.statusLabel.setObjectName("libraryStatus")
        self.statusLabel.setWordWrap(True)
        self.statusLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusLabel.hide()

        self.export_markdown_action = QAction("Export all as Markdown…", self)
        self.export_json_action = QAction("Export all as JSON…", self)
        self.import_action = QAction("Import conversations…", self)
        self.undo_action = QAction("Undo delete", self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.undo_action.setEnabled(False)
        self.addAction(self.undo_action)
        more = QToolButton(self)
        more.setObjectName("libraryMenuButton")
        more.setText("⋯")
        more.setToolTip("Export and import")
        more.setAccessibleName("Export and import")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(more)
        menu.addActions([self.export_markdown_action, self.export_json_action])
        menu.addSeparator()
        menu.addAction(self.import_action)
        more.setMenu(menu)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.searchBox, 1)
        top.addWidget(more)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.conversationList, 1)
        layout.addWidget(self.undoBar)
        layout.addWidget(self.statusLabel)

        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(int(undo_seconds * 1000))
        self._undo_timer.timeout.connect(self._finish_undo)
        self._tasks = Tasks()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DEBOUNCE_MS)
        self._refresh_timer.timeout.connect(self.refresh)

        self.searchBox.textChanged.connect(self._query_changed)
        self.searchBox.to_list.connect(self._focus_first_row)
        self.searchBox.open_first.connect(self._open_first)
        self.conversationList.activated.connect(self._activated)
        self.conversationList.delete_pressed.connect(self._delete_current)
        self.conversationList.customContextMenuRequested.connect(self._show_context_menu)
        self.model.rename_requested.connect(self.rename_conversation)
        self.undoButton.clicked.connect(self.undo_delete)
        self.undo_action.triggered.connect(self.undo_delete)
        self.export_markdown_action.triggered.connect(lambda: self.export_all(ExportFormat.MARKDOWN))
        self.export_json_action.triggered.connect(lambda: self.export_all(ExportFormat.JSON))
        self.import_action.triggered.connect(self.import_files)
        self.status_message.connect(self._show_status)

    # -- public API -----------------------------------------------------------------------

    @property
    def searching(self) -> bool:
        return bool(self._query)

    def refresh(self) -> asyncio.Task[Any]:
        """Reload the list from the store (and rerun the search shown, if any)."""
        self._refresh_timer.stop()
        self._refresh_generation += 1
        return self._spawn(self._reload(self._refresh_generation), "library refresh", Kind.READ)

    def schedule_refresh(self) -> None:
        """Refresh soon, once, however often this is called (e.g. as conversations change)."""
        self._refresh_timer.start()

    def focus_search(self) -> None:
        """Ctrl+K: put the cursor in the search box with its text selected."""
        self.searchBox.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.searchBox.selectAll()

    def current_conversation_id(self) -> str | None:
        row = self.model.row_at(self.conversationList.currentIndex())
        return row.conversation_id if row is not None and row.kind != RowKind.HEADER else None

    def select_conversation(self, conversation_id: str) -> bool:
        """Make that conversation's row current (e.g. to follow the active tab)."""
        index = self.model.index_of(conversation_id)
        if not index.isValid():
            return False
        self.conversationList.setCurrentIndex(index)
        self.conversationList.scrollTo(index)
        return True

    def rename_conversation(self, conversation_id: str, title: str) -> asyncio.Task[Any] | None:
        title = title.strip()
        if not title:
            return None
        self._finish_undo()
        self.model.set_title(conversation_id, title)
        return self._spawn(self._rename(conversation_id, title), "library rename", Kind.WRITE)

    def start_rename(self, conversation_id: str) -> None:
        """Edit the title in place (as F2 does)."""
        if self.select_conversation(conversation_id):
            self.conversationList.edit(self.conversationList.currentIndex())

    def delete_conversation(self, conversation_id: str) -> asyncio.Task[Any]:
        """Soft delete, with Undo offered for a few seconds."""
        self._finish_undo()
        title = self._title_of(conversation_id)
        self.model.remove_conversation(conversation_id)
        self._summaries = [s for s in self._summaries if s.id != conversation_id]
        self._list_rows = None
        return self._spawn(self._delete(conversation_id, title), "library delete", Kind.WRITE)

    def undo_delete(self) -> asyncio.Task[Any] | None:
        conversation_id = self._undo_id
        if conversation_id is None:
            return None
        self._undo_id = None
        self._undo_timer.stop()
        self.undoBar.hide()
        self.undo_action.setEnabled(False)
        return self._spawn(self._undelete(conversation_id), "library undo delete", Kind.WRITE)

    def set_pinned(self, conversation_id: str, pinned: bool) -> asyncio.Task[Any]:
        self._finish_undo()
        return self._spawn(self._pin(conversation_id, pinned), "library pin", Kind.WRITE)

    def export_conversation(self, conversation_id: str, fmt: ExportFormat | str) -> asyncio.Task[Any] | None:
        """Ask for a folder, then export that one conversation there."""
        fmt = ExportFormat(fmt)
        folder = self._choose_folder(
            self, f"Export “{self._title_of(conversation_id)}” as {FORMAT_NAMES[fmt]}"
        )
        if folder is None:
            return None
        return self._spawn(self._export(folder, fmt, [conversation_id]), "library export", Kind.WRITE)

    def export_all(self, fmt: ExportFormat | str) -> asyncio.Task[Any] | None:
        """Ask for a folder, then export every conversation there."""
        fmt = ExportFormat(fmt)
        folder = self._choose_folder(self, f"Export all conversations as {FORMAT_NAMES[fmt]}")
        if folder is None:
            return None
        return self._spawn(self._export(folder, fmt, None), "library export", Kind.WRITE)

    def import_files(self) -> asyncio.Task[Any] | None:
        """Ask for GrokDesk JSON or ChatGPT export files, then import them."""
        paths = self._choose_files(self, "Import conversations (GrokDesk JSON, ChatGPT export)")
        if not paths:
            return None
        return self._spawn(self._import(paths), "library import", Kind.WRITE)

    def context_menu(self, conversation_id: str, message_id: str | None = None) -> QMenu:
        """The actions for one conversation (shown on right click); Open goes to `message_id` if given."""
        pinned = any(s.pinned for s in self._summaries if s.id == conversation_id)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_requested.emit(conversation_id, message_id))
        menu.addAction("Rename…", lambda: self.start_rename(conversation_id))
        menu.addAction(
            "Unpin" if pinned else "Pin to top", lambda: self.set_pinned(conversation_id, not pinned)
        )
        menu.addSeparator()
        menu.addAction("Export as Markdown…", lambda: self.export_conversation(conversation_id, "md"))
        menu.addAction("Export as JSON…", lambda: self.export_conversation(conversation_id, "json"))
        menu.addSeparator()
        menu.addAction("Delete", lambda: self.delete_conversation(conversation_id))
        return menu

    # -- search ---------------------------------------------------------------------------

    def _query_changed(self, text: str) -> None:
        self._search_generation += 1  # anything in flight is now stale
        if not text.strip():
            self._query = ""
            self._show_list()
            return
        self._search_now()

    def _search_now(self) -> None:
        self._query = self.searchBox.text().strip()
        if not self._query:
            return
        self._search_generation += 1
        # The older search is left to finish (its store call is already queued and costs
        # under a millisecond); the generation check drops its results.
        self._search_task = self._spawn(
            self._search(self._query, self._search_generation), "library search", Kind.READ
        )

    async def _search(self, query: str, generation: int) -> None:
        hits = await self._run(Store.search, query, SEARCH_LIMIT)
        if generation != self._search_generation:
            return  # a newer keystroke won
        rows = hit_rows(hits)
        if not rows:
            rows = [LibraryRow(RowKind.HEADER, f"No conversation matches “{query}”")]
        self.model.set_rows(rows)
        first = next((i for i, r in enumerate(rows) if r.kind == RowKind.HIT), None)
        if first is not None:
            self.conversationList.setCurrentIndex(self.model.index(first))
        self.search_results_shown.emit(query)

    # -- store calls ----------------------------------------------------------------------

    async def _reload(self, generation: int) -> None:
        today = self._today()
        # Grouping 5,000 rows runs on the store's thread too, so the UI thread only swaps the model.
        summaries, rows = await self._run(_list_with_rows, today)
        if generation != self._refresh_generation:
            return
        self._summaries = summaries
        self._list_rows = (today, rows)
        if self._query:
            self._search_now()
        else:
            self._show_list()
        self.list_refreshed.emit()

    async def _rename(self, conversation_id: str, title: str) -> None:
        await self._run(Store.rename, conversation_id, title)
        self._summaries = [
            dataclasses.replace(s, title=title) if s.id == conversation_id else s for s in self._summaries
        ]
        self._list_rows = None
        self.conversation_renamed.emit(conversation_id, title)

    async def _delete(self, conversation_id: str, title: str) -> None:
        await self._run(Store.delete_conversation, conversation_id)
        self._undo_id = conversation_id
        self._undo_label.setText(f"Deleted “{title}”")
        self.undoBar.show()
        self.undo_action.setEnabled(True)
        self._undo_timer.start()
        self.conversation_deleted.emit(conversation_id)

    async def _undelete(self, conversation_id: str) -> None:
        await self._run(Store.undelete, conversation_id)
        self.conversation_restored.emit(conversation_id)
        self._refresh_generation += 1
        await self._reload(self._refresh_generation)
        self.select_conversation(conversation_id)

    async def _pin(self, conversation_id: str, pinned: bool) -> None:
        await self._run(Store.set_pinned, conversation_id, pinned)
        self._refresh_generation += 1
        await self._reload(self._refresh_generation)
        self.select_conversation(conversation_id)

    async def _export(self, folder: Path, fmt: ExportFormat, ids: list[str] | None) -> None:
        if ids is None:
            # The same list the export will use, read on the store's thread in order.
            ids = [s.id for s in await self._run(Store.list_conversations)]
            written: list[Path] = await self._run(export_conversations, folder, fmt, ids)
            self.status_message.emit(export_summary(written, folder, fmt.value, len(ids)))
            return
        written = await self._run(export_conversations, folder, fmt, ids)
        target = written[0] if written else folder
        self.status_message.emit(f"Exported “{self._title_of(ids[0])}” to {target}")

    async def _import(self, paths: list[Path]) -> None:
        from grokdesk.storage.importer import import_paths  # not needed before the first paint

        report = await self._run(import_paths, paths)
        count = len(report.imported_ids)
        if count:
            self._refresh_generation += 1
            await self._reload(self._refresh_generation)
            self.conversations_imported.emit(count)
        self.status_message.emit(import_summary(report))

    # -- helpers --------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str, kind: Kind) -> asyncio.Task[None]:
        return self._tasks.spawn(self._reporting(coro), kind=kind, name=name)

    async def shutdown(self) -> None:
        """At quit, before the store closes: stop the timers, drop searches and reloads, and wait
        for writes under way (rename, delete, pin, import, export) so none is lost."""
        self._refresh_timer.stop()
        self._finish_undo()
        # Cancelling a write could drop its store call before it ran: only reads are cancelled.
        await self._tasks.wind_down()

    async def _reporting(self, coro: Coroutine[Any, Any, None]) -> None:
        """Store problems become a message for the user and a reloaded list; bugs propagate."""
        try:
            await coro
        except StorageError as exc:
            log.warning("library: %s", exc)
            self.status_message.emit(str(exc))
            self._refresh_generation += 1
            with contextlib.suppress(StorageError):
                await self._reload(self._refresh_generation)

    def _show_list(self) -> None:
        current = self.current_conversation_id()
        today = self._today()
        if self._list_rows is None or self._list_rows[0] != today:
            self._list_rows = (today, grouped_rows(self._summaries, today))
        self.model.set_rows(list(self._list_rows[1]))
        if current is not None:
            self.select_conversation(current)

    def _finish_undo(self) -> None:
        """The undo offer ends when the next action starts (or its time is up)."""
        conversation_id = self._undo_id
        self._undo_id = None
        self._undo_timer.stop()
        self.undoBar.hide()
        self.undo_action.setEnabled(False)
        if conversation_id is not None:
            self.delete_finalized.emit(conversation_id)

    def _title_of(self, conversation_id: str) -> str:
        for summary in self._summaries:
            if summary.id == conversation_id:
                return summary.title or UNTITLED
        index = self.model.index_of(conversation_id)
        return str(index.data()) if index.isValid() else UNTITLED

    def _activated(self, index: QModelIndex) -> None:
        row = self.model.row_at(index)
        if row is None or row.kind == RowKind.HEADER:
            return
        self.open_requested.emit(row.conversation_id, row.message_id)

    def _open_first(self) -> None:
        index = self.conversationList.currentIndex()
        if self.model.row_at(index) is None:
            index = self._first_item()
        if index.isValid():
            self._activated(index)

    def _focus_first_row(self) -> None:
        index = self._first_item()
        if index.isValid():
            self.conversationList.setCurrentIndex(index)
        self.conversationList.setFocus(Qt.FocusReason.TabFocusReason)

    def _first_item(self) -> QModelIndex:
        for i, row in enumerate(self.model.rows):
            if row.kind != RowKind.HEADER:
                return self.model.index(i)
        return QModelIndex()

    def _delete_current(self) -> None:
        conversation_id = self.current_conversation_id()
        if conversation_id is not None:
            self.delete_conversation(conversation_id)

    def _show_context_menu(self, pos: QPoint) -> None:
        row = self.model.row_at(self.conversationList.indexAt(pos))
        if row is None or row.kind == RowKind.HEADER:
            return
        menu = self.context_menu(row.conversation_id, row.message_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.conversationList.viewport().mapToGlobal(pos))

    def _show_status(self, text: str) -> None:
        self.statusLabel.setText(text)
        self.statusLabel.setVisible(bool(text))


def _list_with_rows(store: Store, today: date) -> tuple[list[ConversationSummary], list[LibraryRow]]:
    """Runs on the store's thread: the conversations and their grouped rows (plain data, no Qt)."""
    summaries = store.list_conversations()
    return summaries, grouped_rows(summaries, today)
