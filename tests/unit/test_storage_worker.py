"""The store worker runs every call on one background thread, in order, and drains writes on close."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from grokdesk.core.conversation import Conversation, Message, Role
from grokdesk.storage.errors import DataDirLocked
from grokdesk.storage.store import Store
from grokdesk.storage.worker import StoreWorker


def test_calls_run_off_the_calling_thread_in_order_and_close_drains_them(tmp_path: Path) -> None:
    worker = StoreWorker(tmp_path)
    conv = Conversation(title="worker")
    worker.call(Store.save_conversation, conv)
    store_thread = worker.call(lambda _store: threading.get_ident()).result(timeout=30)
    assert store_thread != threading.get_ident()
    for i in range(50):
        worker.call(Store.save_message, conv.id, Message.text(Role.USER, f"line {i}"), i)
    worker.close()  # pending writes are written, not dropped
    store = Store.open(tmp_path)
    try:
        assert [m.plain_text for m in store.load_conversation(conv.id).messages] == [
            f"line {i}" for i in range(50)
        ]
    finally:
        store.close()
    with pytest.raises(RuntimeError):
        worker.call(Store.list_conversations)


def test_an_opening_error_reaches_every_call(tmp_path: Path) -> None:
    first = Store.open(tmp_path)
    worker = StoreWorker(tmp_path)
    try:
        with pytest.raises(DataDirLocked):
            worker.ready.result(timeout=30)
        with pytest.raises(DataDirLocked):
            worker.call(Store.list_conversations).result(timeout=30)
    finally:
        worker.close()
        first.close()


def test_futures_can_be_awaited_from_asyncio(tmp_path: Path) -> None:
    worker = StoreWorker(tmp_path)

    async def use() -> list[str]:
        conv = Conversation(title="awaited")
        await asyncio.wrap_future(worker.call(Store.save_conversation, conv))
        summaries = await asyncio.wrap_future(worker.call(Store.list_conversations))
        return [s.title for s in summaries]

    try:
        assert asyncio.run(use()) == ["awaited"]
    finally:
        worker.close()
