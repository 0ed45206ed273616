"""Server-sent events read a network read at a time.

httpx-sse hands out one event per step of two nested async generators (lines, then
events), and each step through them and through the client's own generators cost more
than parsing the event: a fast reply arrives as tens of thousands of events in a few
hundred reads. `SseDecoder.feed` takes the text of one read and returns the data of
every event it completed, in one call.

Only what the API uses is kept: `data` lines (joined with new lines when an event has
several). Comments, `event`, `id` and `retry` lines are skipped; an event without a data
line is not returned. Lines end in `\\r\\n`, `\\n` or `\\r`, possibly cut between two reads.
"""

from __future__ import annotations


class SseDecoder:
    def __init__(self) -> None:
        self._partial = ""  # the start of a line whose end has not arrived
        self._trailing_cr = False  # the last read ended in "\r": a "\n" may follow
        self._data: list[str] = []  # data lines of the event being read

    def feed(self, text: str) -> list[str]:
        """The data of each event that `text` completes."""
        if self._trailing_cr:
            self._trailing_cr = False
            if text.startswith("\n"):
                text = text[1:]
        if not text:
            return []
        if "\r" in text:
            if text.endswith("\r"):
                self._trailing_cr = True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if self._partial:
            lines[0] = self._partial + lines[0]
        self._partial = lines.pop()
        found: list[str] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    found.append(data[0] if len(data) == 1 else "\n".join(data))
                    data = self._data = []
            elif line.startswith("data:"):
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif line == "data":
                data.append("")
        return found
