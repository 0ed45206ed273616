"""Token counts for the context meter: the server's tokenizer when it answers, a local
estimate until then (and when it does not). Each text is counted once per model.

Counting never blocks typing: the meter shows the estimate at once and updates when a
count from the server's tokenizer (`/v1/tokenize-text`) arrives in the background.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from grokdesk.api.errors import ApiError
from grokdesk.core.budget import estimate_tokens
from grokdesk.ui.asynctasks import spawn

if TYPE_CHECKING:
    from grokdesk.api.client import XaiClient

log = logging.getLogger("grokdesk.ui.chat.tokencount")

# Texts shorter than this are estimated only: a request per keystroke-sized text is waste.
MIN_TOKENIZE_CHARS = 16


class TokenCounter(QObject):
    """Signals:
    counted(): a server count arrived; counts may have changed.
    """

    counted = Signal()

    def __init__(self, client: Callable[[], XaiClient | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._exact: dict[tuple[str, str], int] = {}
        self._queue: dict[tuple[str, str], str] = {}
        self._task: asyncio.Task[None] | None = None
        self._offline = False

    def count(self, text: str, model: str) -> tuple[int, bool]:
        """(tokens, exact): the server's count if known, else an estimate (and ask)."""
        key = (model, hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest())
        exact = self._exact.get(key)
        if exact is not None:
            return exact, True
        if len(text) >= MIN_TOKENIZE_CHARS and not self._offline and model:
            self._queue[key] = text
            self._kick()
        return estimate_tokens(text), False

    def forget_offline(self) -> None:
        """Try the tokenizer again (after the network or the key changed)."""
        self._offline = False

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._task = spawn(self._drain(), name="tokenize")

    async def _drain(self) -> None:
        try:
            client = self._client()
        except ApiError as error:  # a refused server address (plain http to another machine)
            log.info("token counts are estimates: %s", error.message)
            self._offline = True
            client = None
        if client is None:
            self._queue.clear()
            return
        changed = False
        while self._queue:
            key, text = next(iter(self._queue.items()))
            del self._queue[key]
            try:
                self._exact[key] = await client.tokenize(text, key[0])
                changed = True
            except ApiError as error:
                # Unreachable or unsupported (an OpenAI-compatible server without the
                # endpoint): estimates from now on, marked as such.
                log.info("token counts are estimates: %s", error.message)
                self._offline = True
                self._queue.clear()
        if changed:
            self.counted.emit()

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
