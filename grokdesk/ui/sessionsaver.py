"""Writing the open tabs and their drafts as they change, so any ending keeps them.

A kill, a crash or a power cut gives no chance to save at the end, so the session
(tabs in order, the active one, each draft with its images in place, model and
settings) is written within a second of any change. Changes are gathered: the
first starts a short timer and the state at its end is written, so typing writes
about once a second, not once a key. The UI thread only takes the snapshot; the
store's own thread writes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QObject, QTimer

from grokdesk.storage.errors import EnvironmentProblem, StorageError
from grokdesk.storage.records import SessionState
from grokdesk.storage.store import Store
from grokdesk.storage.worker import StoreWorker

log = logging.getLogger("grokdesk.ui.sessionsaver")

# From the first change to the write: well inside "within about a second".
SAVE_DELAY_MS = 600


class SessionSaver(QObject):
    """`changed()` after anything the session holds changed; `save_now()` to write at once;
    `stop()` at quit, before the store closes (nothing is written after it)."""

    def __init__(
        self, snapshot: Callable[[], SessionState], worker: StoreWorker, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._snapshot = snapshot
        self._worker = worker
        self._held = 0
        self._stopped = False
        self._last_problem = ""
        self.saves = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_now)

    def changed(self) -> None:
        # Not restarted by later changes: steady typing still writes once a second.
        if not self._stopped and not self._held and not self._timer.isActive():
            self._timer.start()

    def hold(self) -> None:
        """While the last session is being reopened, its own changes are not written back."""
        self._held += 1

    def release(self) -> None:
        self._held = max(0, self._held - 1)

    def save_now(self) -> Future[None] | None:
        self._timer.stop()
        if self._stopped:
            return None
        try:
            future = self._worker.call(Store.save_session, self._snapshot())
        except RuntimeError:  # the store closed without stop() (a window torn down in a test)
            self._stopped = True
            return None
        self.saves += 1
        future.add_done_callback(self._after_save)
        return future

    def stop(self) -> None:
        self._timer.stop()
        self._stopped = True

    def _after_save(self, future: Future[None]) -> None:
        # On the store's thread: only logging here.
        error = future.exception()
        if error is None:
            self._last_problem = ""
            return
        if isinstance(error, EnvironmentProblem | StorageError):
            if str(error) != self._last_problem:  # a full disk is not logged every second
                self._last_problem = str(error)
                log.warning("the open tabs could not be saved: %s", error)
            return
        log.error("saving the open tabs failed with a bug", exc_info=error)
