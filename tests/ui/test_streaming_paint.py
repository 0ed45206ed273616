"""What a streaming reply leaves on screen is what painting the view afresh shows: the
updates repaint only the lines they changed (see ui/chat/repaint.py)."""

from __future__ import annotations

import re

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState
from grokdesk.ui.chat.transcript import TranscriptView
from tests.helpers.transcripts import streaming_view

SECTION = (
    "## Part {n}\n\nSome plain words arrive here one by one, then **bold** and `code`.\n\n"
    "- first item\n- second item\n\n```python\nprint({n})\n```\n\n| a | b |\n|---|---|\n| {n} | 2 |\n\n"
)


def on_screen(view: TranscriptView) -> QImage:
    """The view as last painted (the window's backing store), not painted again."""
    QApplication.processEvents()
    return view.screen().grabWindow(view.winId()).toImage()


def painted_afresh(view: TranscriptView) -> QImage:
    view.viewport().repaint()
    return view.screen().grabWindow(view.winId()).toImage()


def test_the_screen_matches_a_fresh_paint_at_every_step_of_a_stream(qtbot: QtBot, qloop: object) -> None:
    text = "Intro words for the reply.\n\n" + "".join(SECTION.format(n=n) for n in range(6)) + "The end."
    pieces = re.findall(r"\s*\S+", text)
    view, _user, reply = streaming_view(qtbot)
    mismatches = []
    for step, piece in enumerate(pieces):
        reply.append_text(piece)
        view.message_changed(reply)
        shown = on_screen(view)
        if shown != painted_afresh(view):
            mismatches.append(step)
    reply.state = MessageState.COMPLETE
    view.message_changed(reply)
    shown = on_screen(view)
    assert shown == painted_afresh(view)
    assert mismatches == []
