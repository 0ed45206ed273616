"""One budget of rendering time per frame, shared by every tab's transcript.

Each transcript keeps its own streaming updates short, but three tabs streaming at
once could each take their share in the same turn of the event loop. Sharing one
budget per frame interval keeps the total under it; an update over budget is put off
to the next frame (the transcript's catch-up timer), never dropped.
"""

from __future__ import annotations

import time

FRAME_S = 0.033
BUDGET_S = 0.022


class RenderBudget:
    def __init__(self, *, frame_s: float = FRAME_S, budget_s: float = BUDGET_S) -> None:
        self._frame_s = frame_s
        self._budget_s = budget_s
        self._frame_start = 0.0
        self._spent = 0.0

    def allows(self) -> bool:
        now = time.monotonic()
        if now - self._frame_start >= self._frame_s:
            self._frame_start = now
            self._spent = 0.0
        return self._spent < self._budget_s

    def spend(self, seconds: float) -> None:
        self._spent += seconds
