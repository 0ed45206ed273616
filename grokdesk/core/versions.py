"""Versions of messages: a conversation is a tree, and what is shown (and sent) is one branch.

Regenerating a reply or editing a message adds a sibling version instead of replacing
it; the turns that followed the old version stay on their own branch. The shown branch
is `Conversation.messages`, a plain list that most code reads (and that the transcript
shares), so each shown message's parent is simply the one before it. `VersionTree`
keeps the rest: every message's parent, each parent's versions in the order they were
made, which version was last chosen under each parent (so switching back restores the
later turns as they were), and the messages that are off the shown branch.

Code that changes `Conversation.messages` by hand calls `sync` afterwards; the
functions here keep the tree and the list consistent themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grokdesk.core.conversation import Conversation, Message

# The parent key of a conversation's first messages.
ROOT = ""


@dataclass(slots=True)
class VersionTree:
    """How the versions hang together. Keys of `children` and `chosen` are parent ids
    (ROOT for the first messages); version order is the order of `children`."""

    parent: dict[str, str] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, Message] = field(default_factory=dict)

    def attach(self, message_id: str, parent: str) -> None:
        """Make `message_id` the newest version under `parent` (moving it if it was elsewhere)."""
        old = self.parent.get(message_id)
        if old == parent:
            return
        if old is not None and message_id in self.children.get(old, []):
            self.children[old].remove(message_id)
        self.parent[message_id] = parent
        self.children.setdefault(parent, []).append(message_id)

    def forget(self, message_id: str) -> None:
        old = self.parent.pop(message_id, None)
        if old is not None:
            if message_id in self.children.get(old, []):
                self.children[old].remove(message_id)
            if self.chosen.get(old) == message_id:
                del self.chosen[old]
        self.chosen.pop(message_id, None)
        self.hidden.pop(message_id, None)


def sync(conv: Conversation) -> None:
    """Bring the tree in line with the shown branch (after messages were appended by hand)."""
    tree = conv.versions
    previous = ROOT
    for message in conv.messages:
        tree.hidden.pop(message.id, None)
        tree.attach(message.id, previous)
        tree.chosen[previous] = message.id
        previous = message.id


def parent_of(conv: Conversation, message_id: str) -> str | None:
    """The id of the message a version follows (None for a first message)."""
    parent = conv.versions.parent.get(message_id)
    return parent or None


def siblings(conv: Conversation, message_id: str) -> list[str]:
    """All versions at this message's place (itself included), oldest first."""
    tree = conv.versions
    parent = tree.parent.get(message_id)
    if parent is None:
        return [message_id]
    return list(tree.children.get(parent, [message_id]))


def position(conv: Conversation, message_id: str) -> tuple[int, int]:
    """(n, count): this is version n (from 1) of `count` at its place."""
    versions = siblings(conv, message_id)
    return versions.index(message_id) + 1 if message_id in versions else 1, len(versions)


def all_messages(conv: Conversation) -> list[Message]:
    """Every version of every message, each parent before its children, versions in order."""
    by_id = {m.id: m for m in conv.messages}
    by_id.update(conv.versions.hidden)
    out: list[Message] = []
    seen: set[str] = set()
    stack = [ROOT]
    while stack:
        key = stack.pop()
        for child in reversed(conv.versions.children.get(key, [])):
            if child in by_id and child not in seen:
                seen.add(child)
                stack.append(child)
        if key != ROOT:
            out.append(by_id[key])
    # Shown messages the tree does not know yet (appended without `sync`), and versions
    # cut off from the root by damaged data: exported too, never lost.
    out += [m for m in conv.messages if m.id not in seen]
    out += [m for m in conv.versions.hidden.values() if m.id not in seen]
    return out


def cut(conv: Conversation, index: int) -> None:
    """Take the shown branch from `index` on off the screen; it stays in the tree as a branch."""
    sync(conv)
    for message in conv.messages[index:]:
        conv.versions.hidden[message.id] = message
    del conv.messages[index:]


def add_version(conv: Conversation, index: int, message: Message) -> None:
    """Show `message` as a new version at `index`; what was shown from there on becomes a branch."""
    cut(conv, index)
    conv.messages.append(message)
    sync(conv)


def select(conv: Conversation, message_id: str) -> bool:
    """Show the branch through version `message_id` of a shown message's place, following
    the versions last chosen below it. Returns False when it is not such a version."""
    sync(conv)
    tree = conv.versions
    parent = tree.parent.get(message_id)
    if parent is None:
        return False
    index = (
        0 if parent == ROOT else next((i + 1 for i, m in enumerate(conv.messages) if m.id == parent), None)
    )
    if index is None:
        return False
    if index < len(conv.messages) and conv.messages[index].id == message_id:
        return True
    by_id = dict(tree.hidden)
    cut(conv, index)
    by_id.update(tree.hidden)
    tail: list[Message] = []
    key: str | None = message_id
    while key is not None and key in by_id:
        tail.append(by_id[key])
        below = tree.children.get(key) or []
        key = _pick(tree, key, below) if below else None
    conv.messages.extend(tail)
    sync(conv)
    return True


def step(conv: Conversation, message_id: str, delta: int) -> bool:
    """Show the previous (-1) or next (+1) version of a shown message."""
    versions = siblings(conv, message_id)
    if message_id not in versions:
        return False
    target = versions.index(message_id) + delta
    if not 0 <= target < len(versions):
        return False
    return select(conv, versions[target])


def remove(conv: Conversation, message_id: str, *, extend: bool = True) -> None:
    """Delete one version: its later turns move up to its place. When the shown branch
    then ends where versions remain, it goes on into the version chosen last (unless
    `extend` is False: something new is about to take that place)."""
    sync(conv)
    tree = conv.versions
    parent = tree.parent.get(message_id, ROOT)
    for child in list(tree.children.get(message_id, [])):
        tree.attach(child, parent)
    if tree.chosen.get(message_id) and tree.chosen.get(parent) == message_id:
        tree.chosen[parent] = tree.chosen[message_id]
    tree.children.pop(message_id, None)
    tree.forget(message_id)
    index = next((i for i, m in enumerate(conv.messages) if m.id == message_id), None)
    if index is None:
        return
    del conv.messages[index]
    sync(conv)
    last = conv.messages[-1].id if conv.messages else ROOT
    below = tree.children.get(last)
    if extend and below and index == len(conv.messages):
        select(conv, _pick(tree, last, below))


def assemble(
    conv: Conversation, items: Sequence[tuple[Message, str | None]], chosen: Iterable[str] = ()
) -> None:
    """Set `conv`'s tree and shown branch from messages with their parent ids, in version
    order. `chosen` names the versions selected under their parent; where none is, the
    newest is shown. A parent that is missing makes its children first messages."""
    tree = conv.versions = type(conv.versions)()
    by_id = {m.id: m for m, _ in items}
    for message, parent in items:
        tree.attach(message.id, parent if parent in by_id and parent != message.id else ROOT)
    for message_id in chosen:
        if message_id in tree.parent:
            tree.chosen[tree.parent[message_id]] = message_id
    shown: list[Message] = []
    seen: set[str] = set()
    key = ROOT
    while True:
        below = [c for c in tree.children.get(key, []) if c not in seen]
        if not below:
            break
        key = _pick(tree, key, below)
        seen.add(key)
        shown.append(by_id[key])
    tree.hidden = {m.id: m for m in by_id.values() if m.id not in seen}
    conv.messages[:] = shown
    sync(conv)


def _pick(tree: VersionTree, parent: str, below: list[str]) -> str:
    """The version to show under `parent`: the one chosen last, else the newest."""
    chosen = tree.chosen.get(parent)
    return chosen if chosen is not None and chosen in below else below[-1]


def reveal(conv: Conversation, message_id: str) -> bool:
    """Show the branch that holds `message_id` (e.g. a search hit in another version).
    Returns True when the shown branch changed."""
    tree = conv.versions
    if message_id not in tree.hidden:
        return False
    path: list[str] = []
    key: str | None = message_id
    while key and key not in path:
        path.append(key)
        key = tree.parent.get(key)
    for node in reversed(path):
        select(conv, node)
    return True
