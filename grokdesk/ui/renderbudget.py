"""One budget of rendering time, shared by every tab's transcript.

Streamed text is read, parsed and rendered on the one UI thread: an update that takes
25 ms every 50 ms leaves the stream half the time (a reply arriving as fast as the
server sends took 2.4-2.8 times as long as a plain client to read), and three tabs
streaming at once would each take their share in the same turn of the event loop.

The budget is a leaky bucket: rendering (and painting what was rendered) adds its
time, which drains at SHARE seconds per second; a streaming update is put off while
the bucket holds time (to the transcript's catch-up timer, never dropped). So
rendering takes at most about SHARE of the time, however expensive an update is,
and cheap updates are not held back. The wait is capped at MAX_WAIT_S, so the
visible reply still moves at least ten times a second.
"""

from __future__ import annotations

import math
import time

SHARE = 0.25
MAX_WAIT_S = 0.1


class RenderBudget:
    def __init__(self, *, share: float = SHARE, max_wait_s: float = MAX_WAIT_S) -> None:
        self._share = share
        self._max_debt = max_wait_s * share
        self._debt = 0.0
        self._at = time.monotonic()

    def _drain(self) -> None:
        now = time.monotonic()
        self._debt = max(0.0, self._debt - (now - self._at) * self._share)
        self._at = now

    def allows(self) -> bool:
        self._drain()
        return self._debt <= 0.0

    def wait_ms(self) -> int:
        """Milliseconds until an update is allowed again."""
        self._drain()
        return math.ceil(self._debt / self._share * 1000)

    def spend(self, seconds: float) -> None:
        self._drain()
        self._debt = min(self._debt + seconds, self._max_debt)
