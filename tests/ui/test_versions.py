"""Versions through the real window against the fake xAI server: regenerate and edit keep
every version, the "‹ 2/3 ›" switch changes the shown branch (kept across a restart), and
requests carry only the branch shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Role
from grokdesk.ui.chat.tab import ConversationTab
from tests.helpers.fake_xai import TURNS, FakeXai
from tests.helpers.fake_xai_scripts import Reply
from tests.ui.conftest import MakeWindow, shut_down
from tests.ui.test_conversation import click_action, current, send


def sent_messages(fake_xai: FakeXai) -> list[tuple[str, str]]:
    """(role, content) of the last chat request, the system message left out."""
    return [
        (m["role"], m["content"]) for m in fake_xai.requests_to(TURNS)[-1].messages if m["role"] != "system"
    ]


def shown(tab: ConversationTab) -> list[str]:
    return [m.plain_text for m in tab.controller.conversation.messages]


def wait_idle(qtbot: QtBot, tab: ConversationTab) -> None:
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)


def test_regenerate_twice_keeps_three_answers_across_a_restart(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    window = make_window(data_dir=data)
    tab = current(window)
    fake_xai.script_next(Reply(text="Answer one."), Reply(text="Answer two."), Reply(text="Answer three."))
    send(qtbot, tab, "Name a colour")
    for _ in range(2):
        click_action(tab, "regenerate", tab.controller.conversation.messages[-1].id)
        qtbot.waitUntil(lambda: tab.controller.is_streaming, timeout=5000)
        wait_idle(qtbot, tab)
    answer = tab.controller.conversation.messages[-1]
    assert shown(tab) == ["Name a colour", "Answer three."]
    assert tab.controller.version_of(answer.id) == (3, 3)
    text = tab.transcript.plain_text()
    assert "‹ 3/3 ›" in text and "Answer one." not in text
    # Each regeneration asked with the question alone, not the earlier answers.
    assert sent_messages(fake_xai) == [("user", "Name a colour")]

    # The switch in the transcript, clicked as the user does.
    tab.transcript.anchorClicked.emit(QUrl(f"version:{answer.id}:prev"))
    assert shown(tab) == ["Name a colour", "Answer two."]
    assert "‹ 2/3 ›" in tab.transcript.plain_text()
    shut_down(qtbot, window)

    window = make_window(data_dir=data)
    tab = current(window)
    answer = tab.controller.conversation.messages[-1]
    assert shown(tab) == ["Name a colour", "Answer two."]  # the version shown is restored
    assert "‹ 2/3 ›" in tab.transcript.plain_text()
    assert tab.switch_version(answer.id, -1)
    assert "Answer one." in tab.transcript.plain_text()
    assert tab.controller.conversation.messages[-1].usage is not None
    # The usage of a version switched to is offered in its "More" menu.
    assert tab.transcript.show_actions(tab.controller.conversation.messages[-1].id)
    assert tab.transcript.action_bar.menu_action("usage") is not None
    tab.switch_version(tab.controller.conversation.messages[-1].id, +1)
    tab.switch_version(tab.controller.conversation.messages[-1].id, +1)
    assert shown(tab) == ["Name a colour", "Answer three."]

    # A follow-up is sent with the branch shown only.
    send(qtbot, tab, "Another one?")
    assert sent_messages(fake_xai) == [
        ("user", "Name a colour"),
        ("assistant", "Answer three."),
        ("user", "Another one?"),
    ]
    # A search hit in another version opens with that version shown.
    conversation = tab.controller.conversation
    one = next(m for m in conversation.versions.hidden.values() if m.plain_text == "Answer one.")
    task = window.open_saved(conversation.id, one.id)
    qtbot.waitUntil(task.done, timeout=5000)
    task.result()
    assert shown(tab) == ["Name a colour", "Answer one."]


def test_editing_the_first_question_keeps_the_old_branch_reachable(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    tab = current(make_window())
    send(qtbot, tab, "What is 2+2?")
    send(qtbot, tab, "And 3+3?")
    first = tab.controller.conversation.messages[0]
    click_action(tab, "edit", first.id)
    dialog = tab.findChild(QInputDialog, "editMessageDialog")
    assert dialog is not None and dialog.okButtonText() == "Send"
    dialog.setTextValue("What is 5+5?")
    dialog.accept()
    wait_idle(qtbot, tab)
    assert shown(tab) == ["What is 5+5?", "Echo: What is 5+5?"]
    assert sent_messages(fake_xai) == [("user", "What is 5+5?")]
    edited = tab.controller.conversation.messages[0]
    assert tab.controller.version_of(edited.id) == (2, 2)
    assert "‹ 2/2 ›" in tab.transcript.plain_text()

    assert tab.switch_version(edited.id, -1)
    assert shown(tab) == ["What is 2+2?", "Echo: What is 2+2?", "And 3+3?", "Echo: And 3+3?"]
    assert "And 3+3?" in tab.transcript.plain_text()
    # Editing a reply makes a version too, without asking for anything.
    requests = len(fake_xai.requests_to(TURNS))
    reply = tab.controller.conversation.messages[1]
    tab.controller.edit(reply.id, "Four.")
    assert shown(tab) == ["What is 2+2?", "Four."]
    assert tab.controller.conversation.messages[1].role is Role.ASSISTANT
    assert tab.controller.version_of(tab.controller.conversation.messages[1].id) == (2, 2)
    assert len(fake_xai.requests_to(TURNS)) == requests
