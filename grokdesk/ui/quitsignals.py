"""SIGTERM, SIGINT and SIGHUP as a request to quit, delivered through the Qt event loop.

A desktop logout or shutdown sends SIGTERM; Ctrl+C in a terminal sends SIGINT; a closed
terminal sends SIGHUP. Python runs a signal handler only when the interpreter next gets
control, which can be never while Qt's C++ loop waits for events. So the handler does
nothing itself: `signal.set_wakeup_fd` makes the interpreter write the signal's number
to a socket, and a QSocketNotifier on the other end wakes the Qt loop, where
`requested` is emitted and the app quits as Ctrl+Q does.
"""

from __future__ import annotations

import logging
import signal
import socket
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal

log = logging.getLogger("grokdesk.ui.quitsignals")

QUIT_SIGNALS = tuple(
    s for s in (getattr(signal, name, None) for name in ("SIGTERM", "SIGINT", "SIGHUP")) if s is not None
)


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    """The work happens when the wake-up byte is read in the Qt loop."""


class QuitSignals(QObject):
    """Signals:
    requested(str): the name of the signal asking to quit ("SIGTERM"); emitted once.
    """

    requested = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous: dict[int, Any] = {}
        self._previous_fd = -1
        self._installed = False
        self._asked = False
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_wakeup)

    def install(self) -> None:
        """Take over the quit signals (main thread only, as Python requires)."""
        if self._installed:
            return
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for number in QUIT_SIGNALS:
            self._previous[number] = signal.signal(number, _ignore)
        self._installed = True

    def uninstall(self) -> None:
        if not self._installed:
            return
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._installed = False
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()

    def _on_wakeup(self) -> None:
        try:
            data = self._reader.recv(64)
        except OSError:
            return
        for number in data:
            if number not in QUIT_SIGNALS:
                continue  # a signal someone else handles woke us too
            name = signal.Signals(number).name
            if self._asked:
                # A second request while quitting: the user insists, so the next one ends
                # the process at once as it would without GrokDesk's handler.
                log.warning("%s again while quitting; the next one ends GrokDesk at once", name)
                for quit_signal in QUIT_SIGNALS:
                    signal.signal(quit_signal, signal.SIG_DFL)
                continue
            self._asked = True
            log.info("%s received: quitting as with Ctrl+Q", name)
            self.requested.emit(name)
