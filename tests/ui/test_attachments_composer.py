"""The composer with images in its text: keys still behave, images keep their place."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import ImagePart
from grokdesk.core.images import MAX_IMAGE_BYTES
from grokdesk.ui.chat.composer import OBJECT_CHAR, Composer
from grokdesk.ui.chat.pastedtext import fenced
from grokdesk.ui.chat.tab import ConversationTab
from tests.helpers.fake_xai import TURNS, FakeXai
from tests.ui.conftest import MakeWindow
from tests.ui.test_attachments import (
    chips,
    drop,
    file_mime,
    image_bytes,
    image_of,
    open_tab,
    send_and_wait,
    wait_attached,
    write,
)


def square(color: str) -> QImage:
    image = QImage(20, 10, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    return image


def make_composer(qtbot: QtBot) -> Composer:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    qtbot.waitExposed(composer)
    return composer


def test_keys_still_send_break_lines_and_recall(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    qtbot.keyClicks(composer, "first")
    qtbot.keyClick(composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer, "second")
    assert composer.toPlainText() == "first\nsecond"
    with qtbot.waitSignal(composer.send_requested, timeout=1000):
        qtbot.keyClick(composer, Qt.Key.Key_Return)
    with qtbot.waitSignal(composer.stop_requested, timeout=1000):
        qtbot.keyClick(composer, Qt.Key.Key_Escape)
    composer.last_sent = "said before"
    composer.clear()
    qtbot.keyClick(composer, Qt.Key.Key_Up)
    assert composer.toPlainText() == "said before"


def test_images_sit_between_words_and_can_be_reordered_or_removed(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    qtbot.keyClicks(composer, "look ")
    with qtbot.waitSignal(composer.images_changed, timeout=1000):
        composer.insert_image("red", square("red"))
    qtbot.keyClicks(composer, " and ")
    composer.insert_image("blue", square("blue"))
    qtbot.keyClicks(composer, " done")
    assert composer.toPlainText() == f"look {OBJECT_CHAR} and {OBJECT_CHAR} done"
    assert composer.segments() == ["look ", ("red",), " and ", ("blue",), " done"]
    assert composer.text_without_images() == "look  and  done"

    composer.set_image_order(["blue", "red"])
    assert composer.segments() == ["look ", ("blue",), " and ", ("red",), " done"]

    # Backspace deletes an image like a character.
    cursor = composer.textCursor()
    cursor.setPosition(len("look ") + 1)
    composer.setTextCursor(cursor)
    with qtbot.waitSignal(composer.images_changed, timeout=1000):
        qtbot.keyClick(composer, Qt.Key.Key_Backspace)
    assert composer.image_keys() == ["red"]
    composer.remove_image("red")
    assert composer.image_keys() == [] and composer.toPlainText() == "look  and  done"


def test_rich_text_pastes_as_plain_text(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    mime = QMimeData()
    mime.setHtml("<b>bold</b> <i>words</i>")
    mime.setText("bold words")
    composer.insertFromMimeData(mime)
    assert composer.toPlainText() == "bold words"
    first = composer.document().begin().begin().fragment()
    assert first.text() == "bold words" and first.charFormat().fontWeight() < 600


# -- one message: the composer's document; the chips show it ---------------------------------


def attach_two(qtbot: QtBot, tab: ConversationTab, tmp_path: Path) -> None:
    """One small image dropped on the composer, one of exactly 10 MiB on the transcript."""
    small = write(tmp_path / "small.png", image_bytes("PNG", color="red"))
    png = image_bytes("PNG", color="blue")
    big = write(tmp_path / "big.png", png + b"\0" * (MAX_IMAGE_BYTES - len(png)))
    qtbot.keyClicks(tab.composer, "look ")
    assert drop(tab.composer.viewport(), file_mime(small))
    assert drop(tab.transcript.viewport(), file_mime(big))
    wait_attached(qtbot, tab, 2)


def shown_as_images(composer: Composer) -> str:
    """The characters the composer draws as images (an image object is U+FFFC)."""
    shown = []
    block = composer.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.charFormat().isImageFormat():
                shown.append(fragment.text())
            iterator += 1
        block = block.next()
    return "".join(shown)


def sent_images(fake_xai: FakeXai) -> list[bytes]:
    content = fake_xai.requests_to(TURNS)[-1].messages[-1]["content"]
    if isinstance(content, str):
        return []
    return [image_of(part)[1] for part in content if part["type"] == "image_url"]


def sent_text(fake_xai: FakeXai) -> str:
    content = fake_xai.requests_to(TURNS)[-1].messages[-1]["content"]
    if isinstance(content, str):
        return content
    return " ".join(part["text"] for part in content if part["type"] == "text")


@pytest.mark.parametrize("through_qt", [False, True], ids=["composer", "qt-base-method"])
def test_replacing_the_whole_text_programmatically_sends_what_the_chips_show(
    through_qt: bool, qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    attach_two(qtbot, tab, tmp_path)
    if through_qt:  # as Qt itself, or a signal connected to the C++ slot, would call it
        QTextEdit.setPlainText(tab.composer, "Only these words now")
    else:
        tab.composer.setPlainText("Only these words now")
    # Before the fix every character became a copy of the last image: 20 copies of 10 MiB.
    assert tab.composer.segments() == ["Only these words now"]
    assert shown_as_images(tab.composer) == ""
    qtbot.waitUntil(lambda: chips(tab) == [])
    send_and_wait(qtbot, tab)
    assert sent_text(fake_xai) == "Only these words now"
    assert sent_images(fake_xai) == []


def chips_match_the_message(tab: ConversationTab) -> list[str]:
    """The names the chips show, after checking that exactly those images (each once, in
    order) are what Send would send and what the saved draft holds."""
    shown = [chip.part.sha256 for chip in chips(tab)]
    composed = [p.sha256 for p in tab.composed_parts() if isinstance(p, ImagePart)]
    assert composed == shown
    assert shown_as_images(tab.composer) == OBJECT_CHAR * len(shown)
    assert [p.sha256 for p in tab.draft_attachments()] == shown
    assert len(set(shown)) == len(shown)
    assert tab.draft_text().count(OBJECT_CHAR) == len(shown)
    return [chip.part.name for chip in chips(tab)]


def test_chips_follow_every_way_the_text_changes(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    composer = tab.composer
    red = write(tmp_path / "red.png", image_bytes("PNG", color="red"))
    blue = write(tmp_path / "blue.png", image_bytes("PNG", color="blue"))
    qtbot.keyClicks(composer, "look ")
    assert drop(composer.viewport(), file_mime(red))
    assert drop(tab.transcript.viewport(), file_mime(blue))
    wait_attached(qtbot, tab, 2)
    both = ["red.png", "blue.png"]
    assert chips_match_the_message(tab) == both

    def undo() -> None:
        qtbot.keyClick(composer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

    # Select all and type: the images went with the text.
    qtbot.keyClick(composer, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(composer, "x")
    assert composer.toPlainText() == "x"
    assert chips_match_the_message(tab) == []
    undo()
    assert chips_match_the_message(tab) == both
    while composer.document().isRedoAvailable():
        qtbot.keyClick(
            composer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
    assert composer.toPlainText() == "x"
    assert chips_match_the_message(tab) == []
    undo()
    assert chips_match_the_message(tab) == both

    # Select all and paste text over it.
    QGuiApplication.clipboard().setText("pasted words")
    qtbot.keyClick(composer, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(composer, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert composer.toPlainText() == "pasted words"
    assert chips_match_the_message(tab) == []
    undo()
    assert chips_match_the_message(tab) == both

    # Programmatic replacement, both spellings; then typing goes on as text.
    composer.setText("set as text")
    assert chips_match_the_message(tab) == []
    qtbot.keyClick(composer, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(composer, "!")
    assert composer.segments() == ["set as text!"]

    # A restored draft: the images sit where they were.
    parts = [c for c in (tab.attachments._part(k) for k in tab.attachments._items) if c is not None]
    tab.restore_draft(f"one {OBJECT_CHAR} two {OBJECT_CHAR}", parts[:2])
    qtbot.waitUntil(lambda: len(chips(tab)) == 2 and tab.attachments.pending == 0)
    assert chips_match_the_message(tab) == both
    assert [s if isinstance(s, str) else "#" for s in composer.segments()] == ["one ", "#", " two ", "#"]
    composer.setPlainText("replaced")
    assert chips_match_the_message(tab) == []

    # Sent with one image; Up recalls the words only, and nothing attached is sent twice.
    composer.clear()
    qtbot.keyClicks(composer, "with red ")
    assert drop(composer.viewport(), file_mime(red))
    wait_attached(qtbot, tab, 1)
    send_and_wait(qtbot, tab)
    assert len(sent_images(fake_xai)) == 1
    assert chips(tab) == []
    qtbot.keyClick(composer, Qt.Key.Key_Up)
    assert composer.toPlainText() == "with red "
    assert chips_match_the_message(tab) == []
    send_and_wait(qtbot, tab)
    assert sent_images(fake_xai) == [] and sent_text(fake_xai) == "with red "


# -- a very long paste becomes a "Pasted text" chip ------------------------------------------


def long_paste() -> str:
    return "".join(f"row {i:05d}: some pasted words with `ticks` in them\n" for i in range(2_500))


def paste_with_keys(qtbot: QtBot, tab: ConversationTab, text: str) -> None:
    QGuiApplication.clipboard().setText(text)
    tab.composer.setFocus()
    qtbot.keyClick(tab.composer, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_a_very_long_paste_becomes_a_chip_sent_once_after_the_typed_text(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    tab = open_tab(make_window)
    pasted = long_paste()
    qtbot.keyClicks(tab.composer, "Please summarise this: ")
    paste_with_keys(qtbot, tab, pasted)
    # The composer keeps only what was typed; the paste is a chip with its size.
    assert tab.composer.toPlainText() == "Please summarise this: "
    [chip] = tab.pasted.chips()
    assert chip.isVisible()
    assert chip.text().startswith("Pasted text") and "KB" in chip.text() and "2,500 lines" in chip.text()
    send_and_wait(qtbot, tab)
    raw = fake_xai.requests_to(TURNS)[-1].raw_body.decode()
    for marker in ("row 00000:", "row 01250:", "row 02499:"):
        assert raw.count(marker) == 1
    text = sent_text(fake_xai)
    assert text.count(pasted) == 1  # the whole paste, exactly once
    assert text.index("Please summarise this:") < text.index(pasted)
    assert "```\n" + pasted + "```" in text  # fenced, so the model sees where it ends
    saved = tab.controller.conversation.messages[0]
    assert saved.plain_text.count(pasted) == 1
    # The transcript shows the paste's start and offers the rest.
    shown = tab.transcript.plain_text()
    assert "row 00000:" in shown and "row 02499:" not in shown.split("Grok")[0]
    assert "Show all (2,502 lines" in shown
    assert tab.pasted.chips() == [] and tab.composer.toPlainText() == ""


def test_a_pasted_text_chip_can_be_viewed_put_back_or_removed(qtbot: QtBot, make_window: MakeWindow) -> None:
    tab = open_tab(make_window)
    pasted = long_paste()
    paste_with_keys(qtbot, tab, pasted)
    dialog = tab.pasted.view(tab.pasted.chips()[0].property("key"))
    assert dialog is not None
    viewer = dialog.findChild(QPlainTextEdit)
    assert viewer is not None and viewer.toPlainText() == pasted
    dialog.close()
    [chip] = tab.pasted.chips()
    [view, put_back, remove] = chip.menu().actions()
    assert (view.text(), put_back.text(), remove.text()) == ("View", "Put back in the message", "Remove")
    put_back.trigger()
    assert tab.composer.toPlainText() == pasted
    assert tab.pasted.texts() == [] and not tab.pasted.strip.isVisible()
    tab.composer.clear()
    paste_with_keys(qtbot, tab, pasted)
    tab.pasted.chips()[0].menu().actions()[2].trigger()
    assert tab.pasted.texts() == [] and tab.composed_parts() == []
    # A short paste stays ordinary text.
    paste_with_keys(qtbot, tab, "short words")
    assert tab.composer.toPlainText() == "short words" and tab.pasted.texts() == []


def test_a_paste_holding_fences_is_fenced_by_a_longer_one() -> None:
    assert fenced("plain `code` here") == "```\nplain `code` here\n```"
    assert fenced("a\n```py\nx\n```\n") == "````\na\n```py\nx\n```\n````"
