"""StoreSink built on its own over a fake store worker: what it hands to the store
thread, and how a failed write is reported once and written again whole."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Conversation, Message, Role, TextPart
from grokdesk.storage.errors import DiskFull
from grokdesk.storage.store import Store
from grokdesk.ui.persistence import StoreSink


class FakeWorker:
    """Answers each call at once, with `failure` raised while it is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self.failure: BaseException | None = None

    def call(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        self.calls.append((fn, args))
        future: Future[Any] = Future()
        if self.failure is not None:
            future.set_exception(self.failure)
        else:
            future.set_result(None)
        return future

    def names(self) -> list[str]:
        return [fn.__name__ for fn, _ in self.calls]


def make_sink(qtbot: QtBot) -> tuple[StoreSink, FakeWorker]:
    worker = FakeWorker()
    return StoreSink(worker), worker  # type: ignore[arg-type]


def test_the_first_message_of_a_new_conversation_saves_its_row_first(qtbot: QtBot, qloop: object) -> None:
    sink, worker = make_sink(qtbot)
    conversation = Conversation(title="New", model="grok-3")
    first = Message.text(Role.USER, "Hello")
    conversation.messages.append(first)

    sink.save_message(conversation, first)
    sink.save_message(conversation, first)

    assert worker.names() == ["save_conversation", "save_message", "save_message"]
    (row,) = worker.calls[0][1]
    assert (row.id, row.title, row.messages) == (conversation.id, "New", [])  # metadata only
    cid, snapshot, position, parent = worker.calls[1][1]
    assert parent is None  # the first message has no message before it
    assert (cid, position, snapshot.plain_text) == (conversation.id, 0, "Hello")
    # What was handed to the store thread does not change with the message afterwards.
    first.parts.append(TextPart(" and more"))
    assert snapshot.plain_text == "Hello"


def test_a_message_not_in_the_conversation_is_not_saved(qtbot: QtBot, qloop: object) -> None:
    sink, worker = make_sink(qtbot)
    sink.save_message(Conversation(), Message.text(Role.USER, "stray"))
    assert worker.calls == []


def test_a_failed_write_is_reported_once_and_written_again_whole(qtbot: QtBot, qloop: object) -> None:
    sink, worker = make_sink(qtbot)
    failed: list[str] = []
    recovered: list[bool] = []
    sink.storage_failed.connect(failed.append)
    sink.storage_recovered.connect(lambda: recovered.append(True))
    conversation = Conversation(title="Typed while the disk was full")
    conversation.messages += [Message.text(Role.USER, "one"), Message.text(Role.ASSISTANT, "two")]
    worker.failure = DiskFull("The disk is full: free some space and GrokDesk saves again.")

    for message in conversation.messages:
        sink.save_message(conversation, message)

    qtbot.waitUntil(lambda: sink.has_unsaved, timeout=3000)
    assert failed == ["The disk is full: free some space and GrokDesk saves again."]  # once, not per write
    worker.failure = None
    worker.calls.clear()

    sink.retry_unsaved()

    qtbot.waitUntil(lambda: recovered == [True], timeout=3000)
    assert not sink.has_unsaved
    ((fn, (whole,)),) = worker.calls
    assert fn is Store.replace_conversation
    assert [m.plain_text for m in whole.messages] == ["one", "two"]
