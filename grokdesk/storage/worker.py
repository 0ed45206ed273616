"""Runs a `Store` on one background thread so the UI thread never waits on the disk.

Every call returns a `concurrent.futures.Future` (wrap it with `asyncio.wrap_future`
on the UI side). Calls run one at a time in the order they were submitted, so a
message saved before another is also written before it. No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from grokdesk.storage.store import Store

P = ParamSpec("P")
T = TypeVar("T")


class StoreWorker:
    """Opens the store on its thread at construction; `ready` resolves to it (or to the opening error).

    If opening failed, every later call fails with that same error.
    """

    def __init__(self, data_dir: Path) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grokdesk-store")
        self._closed = False
        self.ready: Future[Store] = self._executor.submit(Store.open, Path(data_dir))

    def call(self, fn: Callable[Concatenate[Store, P], T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run `fn(store, *args, **kwargs)` on the store's thread, e.g. `call(Store.save_message, cid, m, 3)`.

        The only way in: `fn` is a Store method or a function taking the store first, so a
        renamed method or a wrong argument is a type error, not a failure at run time."""
        if self._closed:
            raise RuntimeError("the store worker is closed")

        def run() -> T:
            return fn(self.ready.result(), *args, **kwargs)

        return self._executor.submit(run)

    def close(self) -> None:
        """Finish every pending call (pending writes are not dropped), close the store, stop the thread."""
        if self._closed:
            return
        self._closed = True

        def close_store() -> None:
            if self.ready.exception() is None:
                self.ready.result().close()

        self._executor.submit(close_store)
        self._executor.shutdown(wait=True)
