"""Versions of messages in the domain model: the tree behind the shown branch."""

from __future__ import annotations

from grokdesk.core import versions
from grokdesk.core.conversation import Conversation, Message, Role


def chat(*texts: str) -> Conversation:
    """Alternating user and assistant messages, shown as one branch."""
    conv = Conversation(
        messages=[Message.text(Role.USER if i % 2 == 0 else Role.ASSISTANT, t) for i, t in enumerate(texts)]
    )
    versions.sync(conv)
    return conv


def shown(conv: Conversation) -> list[str]:
    return [m.plain_text for m in conv.messages]


def test_a_new_version_keeps_the_old_one_and_its_later_turns_on_their_own_branch() -> None:
    conv = chat("Q1", "A1", "Q2", "A2")
    first_answer = conv.messages[1]
    versions.add_version(conv, 1, Message.text(Role.ASSISTANT, "A1 again"))
    assert shown(conv) == ["Q1", "A1 again"]
    assert versions.position(conv, conv.messages[1].id) == (2, 2)
    assert versions.step(conv, conv.messages[1].id, -1)
    assert shown(conv) == ["Q1", "A1", "Q2", "A2"]  # the old branch comes back whole
    assert conv.messages[1] is first_answer
    assert versions.position(conv, first_answer.id) == (1, 2)
    assert not versions.step(conv, first_answer.id, -1)  # no version before the first
    assert versions.step(conv, first_answer.id, +1)
    assert shown(conv) == ["Q1", "A1 again"]
    assert sorted(m.plain_text for m in versions.all_messages(conv)) == ["A1", "A1 again", "A2", "Q1", "Q2"]


def test_switching_back_restores_the_branch_chosen_below() -> None:
    conv = chat("Q1", "A1", "Q2", "A2")
    a2 = conv.messages[3]
    versions.add_version(conv, 3, Message.text(Role.ASSISTANT, "A2 again"))
    versions.add_version(conv, 0, Message.text(Role.USER, "Q1 edited"))
    assert shown(conv) == ["Q1 edited"]
    assert versions.position(conv, conv.messages[0].id) == (2, 2)
    versions.step(conv, conv.messages[0].id, -1)
    assert shown(conv) == ["Q1", "A1", "Q2", "A2 again"]  # the version chosen last below
    versions.select(conv, a2.id)
    assert shown(conv) == ["Q1", "A1", "Q2", "A2"]


def test_removing_a_version_shows_the_one_left() -> None:
    conv = chat("Q1", "A1")
    versions.add_version(conv, 1, Message.text(Role.ASSISTANT, "A1 b"))
    versions.add_version(conv, 1, Message.text(Role.ASSISTANT, "A1 c"))
    versions.remove(conv, conv.messages[1].id)
    assert shown(conv) == ["Q1", "A1 b"]
    assert versions.position(conv, conv.messages[1].id) == (2, 2)


def test_removing_a_message_in_the_middle_moves_its_later_turns_up() -> None:
    conv = chat("Q1", "A1", "Q2", "A2")
    versions.remove(conv, conv.messages[1].id)
    assert shown(conv) == ["Q1", "Q2", "A2"]
    assert versions.parent_of(conv, conv.messages[1].id) == conv.messages[0].id


def test_assemble_shows_the_chosen_branch_and_survives_damaged_links() -> None:
    q, a, b = (
        Message.text(Role.USER, "Q"),
        Message.text(Role.ASSISTANT, "a"),
        Message.text(Role.ASSISTANT, "b"),
    )
    conv = Conversation()
    versions.assemble(conv, [(q, None), (a, q.id), (b, q.id)], [q.id, a.id])
    assert shown(conv) == ["Q", "a"]
    versions.assemble(conv, [(q, None), (a, q.id), (b, q.id)])  # nothing chosen: the newest
    assert shown(conv) == ["Q", "b"]
    orphan = Message.text(Role.USER, "orphan")
    versions.assemble(conv, [(q, None), (orphan, "missing")])  # a lost parent: a first message
    assert versions.position(conv, conv.messages[0].id) == (2, 2)
    assert {m.plain_text for m in versions.all_messages(conv)} == {"Q", "orphan"}


def test_reveal_shows_the_branch_of_a_message_in_another_version() -> None:
    conv = chat("Q1", "A1", "Q2", "A2")
    deep = conv.messages[3]
    versions.add_version(conv, 0, Message.text(Role.USER, "Q1 edited"))
    assert versions.reveal(conv, deep.id)
    assert shown(conv) == ["Q1", "A1", "Q2", "A2"]
    assert not versions.reveal(conv, deep.id)  # already shown
