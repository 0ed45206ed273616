"""Saving conversations as things happen, through the store's own thread.

The UI thread only snapshots the message and hands it over; the write happens on
the store worker. A failure (disk full, read-only folder) is reported once through
`storage_failed` and loses nothing in memory: the user can still export.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from grokdesk.core.conversation import Conversation, Message
from grokdesk.storage.errors import EnvironmentProblem, StorageError
from grokdesk.storage.store import Store
from grokdesk.storage.worker import StoreWorker

log = logging.getLogger("grokdesk.ui.persistence")

P = ParamSpec("P")
T = TypeVar("T")


class StoreCall(Protocol):
    """Runs `fn(store, *args, **kwargs)` on the store's thread; awaiting gives its result.

    What the library and the usage view are given instead of the store: typed, so a
    renamed Store method or a wrong argument is a mypy error."""

    def __call__(
        self, fn: Callable[Concatenate[Store, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...


# How often writes that failed for lack of space (or a read-only folder) are tried again.
RETRY_INTERVAL_MS = 3000


class StoreSink(QObject):
    """Signals:
    storage_failed(str): a write failed for a reason in the environment; the text is for the user.
    """

    storage_failed = Signal(str)
    storage_recovered = Signal()

    def __init__(self, worker: StoreWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._loop = asyncio.get_event_loop()
        self._last_problem = ""
        self._known: set[str] = set()
        # Conversations with a write that failed (disk full, read-only): written again
        # whole, in the background, until the disk takes them.
        self._unsaved: dict[str, Conversation] = {}
        self._retry_timer = QTimer(self)
        self._retry_timer.setInterval(RETRY_INTERVAL_MS)
        self._retry_timer.timeout.connect(self.retry_unsaved)

    # -- ConversationSink -----------------------------------------------------------

    def save_conversation(self, conversation: Conversation) -> None:
        self._known.add(conversation.id)
        snapshot = dataclasses.replace(conversation, messages=[])
        self._watch(self.worker.call(Store.save_conversation, snapshot), conversation)

    def save_message(self, conversation: Conversation, message: Message) -> None:
        position = _position(conversation, message)
        if position is None:
            return
        self._ensure_conversation(conversation)
        snapshot = dataclasses.replace(message, parts=list(message.parts))
        # A shown message follows the one shown before it: saving it also selects it.
        parent = conversation.messages[position - 1].id if position else None
        self._watch(
            self.worker.call(Store.save_message, conversation.id, snapshot, position, parent), conversation
        )

    def delete_message(self, conversation: Conversation, message_id: str) -> None:
        self._watch(self.worker.call(Store.delete_message, conversation.id, message_id), conversation)
        self.save_order(conversation)

    def save_order(self, conversation: Conversation) -> None:
        """Store which branch is shown (after a delete or a switch of versions)."""
        ids = [m.id for m in conversation.messages]
        self._watch(self.worker.call(Store.set_message_order, conversation.id, ids), conversation)

    # -- reads --------------------------------------------------------------------------

    async def run(self, fn: Callable[Concatenate[Store, P], T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(store, ...)` (a Store method) on the store's thread and await its result."""
        return await asyncio.wrap_future(self.worker.call(fn, *args, **kwargs))

    # -- helpers ------------------------------------------------------------------------

    def _ensure_conversation(self, conversation: Conversation) -> None:
        # A conversation row must exist before its first message; saving the
        # metadata again is cheap and keeps title/model/settings current.
        if conversation.id not in self._known:
            self.save_conversation(conversation)

    def mark_stored(self, conversation_id: str) -> None:
        """A conversation loaded from the store already has its row."""
        self._known.add(conversation_id)

    @property
    def has_unsaved(self) -> bool:
        return bool(self._unsaved)

    def retry_unsaved(self) -> None:
        """Write every conversation with a failed write again, whole (metadata and all
        messages in order), so nothing typed while the disk was full is lost."""
        for conversation in list(self._unsaved.values()):
            snapshot = dataclasses.replace(
                conversation,
                messages=[dataclasses.replace(m, parts=list(m.parts)) for m in conversation.messages],
                versions=dataclasses.replace(
                    conversation.versions,
                    parent=dict(conversation.versions.parent),
                    children={k: list(v) for k, v in conversation.versions.children.items()},
                    chosen=dict(conversation.versions.chosen),
                    hidden=dict(conversation.versions.hidden),
                ),
            )
            future = self.worker.call(Store.replace_conversation, snapshot)
            future.add_done_callback(functools.partial(self._after_retry, conversation=conversation))

    def _after_retry(self, future: Future[Any], conversation: Conversation) -> None:
        if future.exception() is None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._saved_again, conversation)

    def _saved_again(self, conversation: Conversation) -> None:
        if self._unsaved.pop(conversation.id, None) is not None and not self._unsaved:
            self._retry_timer.stop()
            self._last_problem = ""
            log.info("everything that failed to save is saved now")
            self.storage_recovered.emit()

    def _watch(self, future: Future[Any], conversation: Conversation) -> None:
        future.add_done_callback(lambda f: self._from_worker(f, conversation))

    def _from_worker(self, future: Future[Any], conversation: Conversation) -> None:
        exc = future.exception()
        if exc is None:
            return
        if self._loop.is_closed():
            log.warning("store write failed after shutdown: %s", exc)
            return
        self._loop.call_soon_threadsafe(self._report, exc, conversation)

    def _report(self, exc: BaseException, conversation: Conversation) -> None:
        if isinstance(exc, EnvironmentProblem | StorageError):
            text = str(exc)
            log.warning("saving failed: %s", text)
            self._unsaved[conversation.id] = conversation
            if not self._retry_timer.isActive():
                self._retry_timer.start()
            if text != self._last_problem:
                self._last_problem = text
                self.storage_failed.emit(text)
            return
        log.error("saving failed with a bug", exc_info=exc)


def _position(conversation: Conversation, message: Message) -> int | None:
    for index, candidate in enumerate(conversation.messages):
        if candidate is message or candidate.id == message.id:
            return index
    return None
