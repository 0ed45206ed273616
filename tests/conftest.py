"""Test set-up shared by unit, ui and e2e tests.

Strictness: warnings are errors (pyproject), Qt warnings fail a test (pytest-qt's
qt_log_level_fail), error log records and exceptions left in asyncio tasks fail
the test that produced them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Iterator

# Before any QApplication exists, and before keyring picks a backend.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memkeyring.MemoryKeyring"
os.environ.pop("XAI_API_KEY", None)
os.environ.pop("GROKDESK_BASE_URL", None)
os.environ.pop("GROKDESK_DATA_DIR", None)

import pytest

from tests.helpers.fixtures import *  # noqa: F403  (fixtures shared by every test folder)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_log_errors: the test expects ERROR log records")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without running interpreter finalisation over live Qt objects.

    Once every test has run and pytest has reported, CPython's finalisation would
    destroy the QApplication, qasync's loop objects and PySide6 wrappers in an
    arbitrary order, which segfaults now and then (a qasync loop destroyed by the
    collector in the middle of Qt event processing). Nothing is left to do at that point, so exit at once
    with pytest's own status.
    """
    if "PySide6.QtWidgets" not in sys.modules:
        return
    status = getattr(config, "_grokdesk_exitstatus", None)
    if status is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(status))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._grokdesk_exitstatus = exitstatus  # type: ignore[attr-defined]
    # The app stops its child processes (math, image reading) when it quits; the test
    # application never quits, and the exit above skips interpreter shutdown, so stop them here.
    childpool = sys.modules.get("grokdesk.ui.childpool")
    if childpool is not None:  # the math child and the image readers
        childpool.close_app_child_pools()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    """As in the app (grokdesk/ui/gcguard.py): no automatic collection during a test,
    whose worker threads (fake server, store, image intake) could otherwise collect
    leftover Qt objects on their own thread and crash; collect here, on the main one."""
    enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if enabled:
        gc.enable()


@pytest.fixture(autouse=True)
def _fail_on_error_logs(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.INFO, logger="grokdesk")
    yield
    if request.node.get_closest_marker("allow_log_errors"):
        return
    errors = [
        r for r in caplog.get_records("call") + caplog.get_records("setup") if r.levelno >= logging.ERROR
    ]
    if errors:
        pytest.fail("unexpected error log records:\n" + "\n".join(r.getMessage() for r in errors))


@pytest.fixture
def qloop(qapp: object) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop marked as running without app.exec().

    Its Qt timers and socket notifiers fire whenever Qt processes events, so
    tasks advance inside qtbot.waitUntil/wait/waitSignal in plain sync tests.
    An exception left in a task fails the test.
    """
    import qasync

    # As in the app (grokdesk/ui/gcguard.py): no automatic collection while worker
    # threads run, since a collection there may destroy Qt objects on that thread.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    stray: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: stray.append(context))
    old_hooks = sys.get_asyncgen_hooks()
    # qasync never installs asyncio's async-generator hooks: without them, streams left
    # early are finalised outside the loop and pytest reports unraisable exceptions.
    sys.set_asyncgen_hooks(
        firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
        finalizer=loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
    )
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        for _ in range(200):  # let cancellations unwind
            if all(t.done() for t in pending):
                break
            qapp.processEvents()  # type: ignore[attr-defined]
        # Objects the test deleted later go now, while their loop still exists, not in
        # some later test's event processing.
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        sys.set_asyncgen_hooks(*old_hooks)
        asyncio.events._set_running_loop(None)
        # Not loop.stop(): it calls QApplication.exit() and breaks every later nested
        # event loop: each later qtbot.waitUntil would return at once and time out.
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        loop.close()
        asyncio.set_event_loop(None)
        del loop, pending
        gc.collect()  # destroy qasync's QObjects now, not at a random collection inside Qt (segfault)
        if gc_was_enabled:
            gc.enable()
    if stray:
        messages = [str(c.get("exception") or c.get("message")) for c in stray]
        pytest.fail("exceptions left in asyncio tasks: " + "; ".join(messages))
