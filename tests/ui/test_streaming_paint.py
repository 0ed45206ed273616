"""What a streaming reply leaves on screen is what painting the view afresh shows: the
updates repaint only the lines they changed (see ui/chat/repaint.py)."""

from __future__ import annotations

import re

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState
from grokdesk.ui.chat.transcript import TranscriptView
from tests.data.builders import image_part
from tests.helpers.qtdoc import document_anchors
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


def test_an_image_the_model_makes_mid_reply_shows_while_the_reply_streams(
    qtbot: QtBot, qloop: object
) -> None:
    view, _user, reply = streaming_view(qtbot)
    reply.append_text("Here is the boat you asked for. ")
    view.message_changed(reply)
    picture = image_part((20, 90, 200), size=(64, 64), name="a-paper-boat-1.png")
    reply.parts.append(picture)  # what the controller does when the image tool's result arrives
    reply.append_text("It floats on a calm pond, and more words follow.")
    view.message_changed(reply)
    assert reply.state is MessageState.STREAMING
    assert f"image:{picture.sha256}" in document_anchors(view.document())
    assert "It floats on a calm pond" in view.plain_text()
    # At its end the image takes its place among the text, shown once.
    reply.state = MessageState.COMPLETE
    view.message_changed(reply)
    assert document_anchors(view.document()).count(f"image:{picture.sha256}") == 1
    text = view.plain_text()
    assert text.index("Here is the boat") < text.index("It floats on a calm pond")
