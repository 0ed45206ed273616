"""The composer with images in its text: keys still behave, images keep their place."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from grokdesk.ui.chat.composer import OBJECT_CHAR, Composer


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
