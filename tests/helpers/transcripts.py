"""A transcript view on screen, for the tests of the transcript on its own."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Message, MessageState, Role
from grokdesk.ui.chat.transcript import TranscriptView
from grokdesk.ui.renderbudget import RenderBudget


def shown_view(qtbot: QtBot, messages: list[Message]) -> TranscriptView:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.set_messages(messages)
    return view


def streaming_view(qtbot: QtBot) -> tuple[TranscriptView, Message, Message]:
    """A shown view with a question and an empty reply that has started streaming (the
    view, the question, the reply); its render budget never puts an update off, so every
    change is rendered and painted as it comes."""
    user = Message.text(Role.USER, "Hi")
    reply = Message(Role.ASSISTANT, [], model="grok-3", state=MessageState.STREAMING)
    messages = [user]
    view = TranscriptView(render_budget=RenderBudget(share=1e9))
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    view.set_messages(messages)
    messages.append(reply)
    view.message_added(reply)
    return view, user, reply
