"""ContextGuard built on its own: a controller with a scripted client, the built-in model
catalog, local token estimates. The choices it offers when a conversation outgrows the
model's window, and what it asks its owner to do for each."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from grokdesk.api.chunks import ChatCompletion
from grokdesk.api.errors import ContextTooLong
from grokdesk.core.conversation import Conversation, Message, Part, Role, TextPart
from grokdesk.ui.chat.contextmeter import ContextGuard, first_kept, measure, reply_room
from grokdesk.ui.chat.controller import ChatController
from grokdesk.ui.chat.tokencount import TokenCounter
from grokdesk.ui.modelcatalog import ModelCatalog
from tests.helpers.chatfakes import RecordingSink, ScriptedClient

WINDOW = 400  # what the server "said" grok-3 takes, far below its real window


class Guarded:
    """A guard with everything it talks to, and what it asked for."""

    def __init__(self, qtbot: QtBot, tmp_path: Path, turns: int = 12) -> None:
        self.client = ScriptedClient()
        conversation = Conversation(title="Long talk", model="grok-3")
        for i in range(turns):
            role = Role.USER if i % 2 == 0 else Role.ASSISTANT
            conversation.messages.append(Message.text(role, f"turn {i}: " + "many words here " * 20))
        self.controller = ChatController(
            conversation,
            client_provider=lambda: self.client,
            sink=RecordingSink(),
            model_info=lambda _model: None,
        )
        self.parent = QWidget()
        qtbot.addWidget(self.parent)
        self.counter = TokenCounter(lambda: None)  # no tokenizer: local estimates
        # No client is ever asked: the built-in list is enough here.
        self.catalog = ModelCatalog(
            data_dir=tmp_path, base_url=lambda: "https://api.x.ai/v1", client=lambda: None
        )
        self.catalog.learn_limit("grok-3", WINDOW)
        self.draft: list[Part] = []
        self.guard = ContextGuard(
            self.controller,
            self.counter,
            self.catalog,
            draft=lambda: self.draft,
            cost=lambda: "",
            parent=self.parent,
        )
        self.notices: list[str] = []
        self.dropped: list[int] = []
        self.switches: list[str] = []
        self.summaries: list[Conversation] = []
        self.meter: list[tuple[str, str]] = []
        self.guard.notice.connect(self.notices.append)
        self.guard.drop_oldest_chosen.connect(self.dropped.append)
        self.guard.switch_model_requested.connect(self.switches.append)
        self.guard.summary_ready.connect(self.summaries.append)
        self.guard.meter_changed.connect(lambda text, tip: self.meter.append((text, tip)))

    def dialog(self) -> QMessageBox:
        box = self.parent.findChild(QMessageBox, "contextDialog")
        assert isinstance(box, QMessageBox)
        return box

    def click(self, name: str) -> None:
        button = self.dialog().findChild(QPushButton, name)
        assert isinstance(button, QPushButton), name
        button.click()


@pytest.fixture
def g(qtbot: QtBot, qloop: object, tmp_path: Path) -> Guarded:
    return Guarded(qtbot, tmp_path)


def test_a_conversation_that_fits_is_sent_and_the_meter_says_how_much(g: Guarded) -> None:
    g.catalog.learn_limit("grok-3", 100_000)
    assert g.guard.allows_send()
    text, tip = g.meter[-1]
    assert g.guard.last is not None
    assert text == f"~{g.guard.last.tokens:,} / 100,000 tokens (estimate)"
    assert "Estimated locally" in tip
    assert g.parent.findChild(QMessageBox, "contextDialog") is None


def test_too_long_offers_three_ways_out_and_cuts_nothing(g: Guarded) -> None:
    before = list(g.controller.conversation.messages)

    assert not g.guard.allows_send()

    box = g.dialog()
    names = {b.objectName() for b in box.findChildren(QPushButton)}
    assert {"dropOldestButton", "summaryButton", "switchModelButton"} <= names
    assert f"at most {WINDOW:,}" in box.text()
    assert g.controller.conversation.messages == before
    assert g.controller.drop_oldest == 0


def test_leaving_out_the_oldest_turns_asks_for_a_cut_that_fits(g: Guarded) -> None:
    assert not g.guard.allows_send()
    g.click("dropOldestButton")

    (drop,) = g.dropped
    conversation = g.controller.conversation
    kept = measure(conversation, [], g.counter, drop_oldest=drop).tokens
    assert 0 < drop < len(conversation.messages)
    assert kept + reply_room(WINDOW) <= WINDOW
    # The cut starts a turn: the first message kept is the user's.
    first = conversation.find(first_kept(conversation, drop) or "")
    assert first is not None and first.role is Role.USER
    assert len(conversation.messages) == 12  # asking is all it does: the tab cuts and sends


def test_a_draft_that_alone_is_too_long_is_explained(g: Guarded) -> None:
    g.draft = [TextPart("far too long " * 400)]
    assert not g.guard.allows_send()
    g.click("dropOldestButton")
    assert g.dropped == []
    assert g.notices and "Even the newest message alone does not fit" in g.notices[-1]


def test_switching_asks_for_a_model_whose_window_holds_it(g: Guarded) -> None:
    assert not g.guard.allows_send()
    tokens = g.guard.last.tokens if g.guard.last else 0
    g.click("switchModelButton")
    (model,) = g.switches
    assert model != "grok-3"
    assert (g.catalog.context_window(model) or 0) >= tokens


def test_a_summary_starts_a_new_conversation(qtbot: QtBot, g: Guarded) -> None:
    g.client.completions.append(ChatCompletion("  They compared many words.  "))
    assert not g.guard.allows_send()
    g.click("summaryButton")

    qtbot.waitUntil(lambda: len(g.summaries) == 1, timeout=5000)
    (fresh,) = g.summaries
    assert fresh.title == "Summary: Long talk" and fresh.model == "grok-3"
    assert fresh.id != g.controller.conversation.id
    (message,) = fresh.messages
    assert message.role is Role.SYSTEM
    assert message.plain_text == "Summary of an earlier conversation:\n\nThey compared many words."
    assert g.client.completion_bodies[0]["stream"] is False
    assert g.notices == ["Writing a summary of this conversation…", ""]


def test_the_servers_own_limit_is_learnt_and_the_ways_out_offered(g: Guarded) -> None:
    g.catalog.learn_limit("grok-3", 100_000)
    error = ContextTooLong("Too long for grok-3.", limit=300, requested=950)

    g.controller.api_error.emit(error)

    assert g.catalog.context_window("grok-3") == 300
    assert "950" in g.dialog().text() and "at most 300" in g.dialog().text()
