"""One piece of work on a daemon thread of its own, its answer in a Future.

For start-up work that overlaps Qt's own start or the first paint (reading the
keyring, importing the HTTP client and building its TLS context). A daemon thread,
not a pool: a keyring stuck on a D-Bus call must never keep the process from exiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


def on_own_thread(work: Callable[[], T], *, name: str) -> Future[T]:
    """`work()` on a new daemon thread; its result or exception in the future."""
    future: Future[T] = Future()
    # Running from now on: a waiter cancelled meanwhile cannot cancel it under the thread.
    future.set_running_or_notify_cancel()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as error:  # handed to whoever waits for the answer
            future.set_exception(error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
