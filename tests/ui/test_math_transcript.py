"""Typeset math in the transcript: each formula of a reply is an image in the document
(no mangled source left), a streamed formula stays source until it closes, a broken
one is shown as its source, and copying gives the LaTeX back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QImage, QTextCursor, QTextDocument
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Message, MessageState, Role
from grokdesk.core.math import Formula, formula_from_url
from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.chat.transcript import TranscriptView
from grokdesk.ui.look import DARK, LIGHT, make_palette
from tests.helpers.fake_xai import FakeXai
from tests.helpers.fake_xai_scripts import Reply
from tests.ui.conftest import MakeWindow

PYTHAGORAS = r"\(a^2 + b^2 = c^2\)"
INTEGRAL = r"\[\int_0^1 x^2\,dx = \frac{1}{3}\]"
REPLY = f"Right triangles: {PYTHAGORAS}.\n\n{INTEGRAL}\n\n$$E=mc^2$$\n"


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[TranscriptView]:
    transcript = TranscriptView()
    qtbot.addWidget(transcript)
    transcript.resize(640, 480)
    transcript.show()
    qtbot.waitExposed(transcript)
    yield transcript


def shown_formulas(view: TranscriptView) -> list[tuple[Formula, QImage]]:
    """Each formula image in the document, with the image the document draws for it."""
    document = view.document()
    found: list[tuple[Formula, QImage]] = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            fmt = fragment.charFormat()
            if fmt.isImageFormat():
                formula = formula_from_url(fmt.toImageFormat().name())
                if formula is not None:
                    image = document.resource(
                        QTextDocument.ResourceType.ImageResource, QUrl(fmt.toImageFormat().name())
                    )
                    found.append((formula, image))
            iterator += 1
        block = block.next()
    return found


def typeset(qtbot: QtBot, view: TranscriptView) -> list[tuple[Formula, QImage]]:
    """The shown formulas once every one has its image (not the 1x1 placeholder)."""

    def ready() -> bool:
        shown = shown_formulas(view)
        return not view.math.pending() and all(isinstance(i, QImage) and i.width() > 4 for _, i in shown)

    qtbot.waitUntil(ready, timeout=15_000)
    return shown_formulas(view)


def test_a_reply_shows_three_typeset_formulas_and_no_mangled_source(
    qtbot: QtBot, view: TranscriptView
) -> None:
    view.set_messages([Message.text(Role.USER, "Pythagoras?"), Message.text(Role.ASSISTANT, REPLY)])
    shown = typeset(qtbot, view)
    assert [f.source for f, _ in shown] == [PYTHAGORAS, INTEGRAL, "$$E=mc^2$$"]
    assert [f.display for f, _ in shown] == [False, True, True]
    assert all(view.math.result(formula).ok for formula, _ in shown)  # typeset, not source
    text = view.plain_text()
    assert "Right triangles:" in text
    for mangled in ("(a^2", "[\\int", "x^2,dx", "E=mc^2", "$$"):
        assert mangled not in text
    # Drawn in the theme's text colour, at the text's size (an inline formula about a line high).
    line = view.fontMetrics().height()
    inline = shown[0][1]
    assert 0.6 * line < inline.height() / inline.devicePixelRatio() < 2.5 * line
    text_colour = view.palette().text().color()
    colours = {inline.pixelColor(x, y).rgb() for x in range(inline.width()) for y in range(inline.height())}
    assert text_colour.rgb() in colours


def test_a_formula_streamed_in_pieces_is_source_until_it_closes(view: TranscriptView, qtbot: QtBot) -> None:
    reply = Message.text(Role.ASSISTANT, "", state=MessageState.STREAMING)
    messages = [Message.text(Role.USER, "Integral?"), reply]
    view.set_messages(messages)
    for piece in ("The area is ", "\\[\\int_0^1 x^2", "\\,dx = \\fr"):
        reply.append_text(piece)
        view.message_changed(reply)
    # The open formula, verbatim (an update may wait for the render budget's next frame).
    qtbot.waitUntil(lambda: "\\[\\int_0^1 x^2\\,dx = \\fr" in view.plain_text())
    assert shown_formulas(view) == []
    reply.append_text("ac{1}{3}\\]\n\nDone.")
    view.message_changed(reply)
    qtbot.waitUntil(lambda: "Done." in view.plain_text())  # this update too may wait its turn
    assert [f.source for f, _ in typeset(qtbot, view)] == [INTEGRAL]
    reply.state = MessageState.COMPLETE
    view.message_changed(reply)
    qtbot.waitUntil(lambda: "Done." in view.plain_text() and not view.math.pending())
    shown = typeset(qtbot, view)
    assert [f.source for f, _ in shown] == [INTEGRAL]
    assert view.math.result(shown[0][0]).ok
    assert "\\int" not in view.plain_text() and "Done." in view.plain_text()


def test_a_broken_formula_is_shown_as_its_source(qtbot: QtBot, view: TranscriptView) -> None:
    broken = r"\(\frac{1}{\)"
    view.set_messages([Message.text(Role.ASSISTANT, f"Broken: {broken} and fine: $x^2$")])
    shown = typeset(qtbot, view)
    assert [f.source for f, _ in shown] == [broken, "$x^2$"]
    results = [view.math.result(formula) for formula, _ in shown]
    assert [r.ok for r in results if r] == [False, True]  # the first drawn as its source, as code
    cursor = QTextCursor(view.document())
    cursor.select(QTextCursor.SelectionType.Document)
    view.setTextCursor(cursor)
    copied = view.createMimeDataFromSelection().text()
    assert f"Broken: {broken} and fine: $x^2$" in copied


def test_copy_gives_the_latex_source(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = window.current_tab()
    assert isinstance(tab, ConversationTab)
    fake_xai.script_next(Reply(text=REPLY))
    tab.composer.setPlainText("Pythagoras?")
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    reply = tab.controller.conversation.messages[-1]
    tab.transcript.anchorClicked.emit(QUrl(f"act:copy:{reply.id}"))
    copied = QGuiApplication.clipboard().text()
    for source in (PYTHAGORAS, INTEGRAL, "$$E=mc^2$$"):
        assert source in copied


def test_a_theme_change_typesets_the_formulas_in_the_new_text_colour(
    qtbot: QtBot, view: TranscriptView
) -> None:
    view.setPalette(make_palette(LIGHT))
    view.set_messages([Message.text(Role.ASSISTANT, f"Light then dark: {PYTHAGORAS}")])
    [(_formula, light)] = typeset(qtbot, view)
    view.setPalette(make_palette(DARK))
    dark_text = QColor(DARK.text).rgb()

    def redrawn() -> bool:
        shown = shown_formulas(view)
        image = shown[0][1] if shown else None
        return isinstance(image, QImage) and image.width() > 4 and dark_text in colours(image)

    qtbot.waitUntil(redrawn, timeout=15_000)
    assert dark_text not in colours(light)


def colours(image: QImage) -> set[int]:
    return {image.pixelColor(x, y).rgb() for x in range(image.width()) for y in range(image.height())}


def test_finishing_a_reply_leaves_its_placed_formulas_alone(view: TranscriptView, qtbot: QtBot) -> None:
    # Finishing restyles the reply's frame, which the document reports as a change of all
    # its text: the formulas already in place must not be set up again on the UI thread.
    reply = Message.text(Role.ASSISTANT, "", state=MessageState.STREAMING)
    view.set_messages([Message.text(Role.USER, "Pythagoras?"), reply])
    reply.append_text(REPLY + "\nDone.\n")
    view.message_changed(reply)
    qtbot.waitUntil(lambda: "Done." in view.plain_text())
    placed = typeset(qtbot, view)
    reply.state = MessageState.COMPLETE
    view.message_changed(reply)
    assert not view.math.pending()
    assert [f.source for f, _ in shown_formulas(view)] == [f.source for f, _ in placed]
