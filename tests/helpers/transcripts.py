"""A transcript view on screen, for the tests of the transcript on its own."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Message
from grokdesk.ui.chat.transcript import TranscriptView


def shown_view(qtbot: QtBot, messages: list[Message]) -> TranscriptView:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.set_messages(messages)
    return view
