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
        # The text since the last event's end, in the pieces it came in: an event of
        # megabytes (an image) over hundreds of reads is joined once, not at each read.
        self._pieces: list[str] = []
        self._trailing_cr = False  # the last read ended in "\r": a "\n" may follow

    def feed(self, text: str) -> list[str]:
        """The data of each event that `text` completes."""
        if not text:
            return []  # an empty read must not forget a "\r" that ended the one before
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
        pieces = self._pieces
        # An event ends at a blank line: two line ends in a row, perhaps across reads.
        if "\n\n" not in text and not (pieces and pieces[-1].endswith("\n") and text.startswith("\n")):
            pieces.append(text)
            return []
        if pieces:
            pieces.append(text)
            text = "".join(pieces)
            pieces.clear()
        events = text.split("\n\n")
        rest = events.pop()
        if rest:
            pieces.append(rest)
        found: list[str] = []
        for event in events:
            if event.startswith("data: ") and "\n" not in event:
                found.append(event[6:])  # nearly every event: one data line
                continue
            data = [
                line[6:] if line.startswith("data: ") else line[5:]
                for line in event.split("\n")
                if line.startswith("data:") or line == "data"
            ]
            if data:
                found.append("\n".join(data))
        return found
