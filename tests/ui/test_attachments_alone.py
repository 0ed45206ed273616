"""ImageAttachments built on its own: a composer, a strip, a notice area and a transcript,
no tab. It reads the model through a callable and asks for a switch with a signal."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from grokdesk.core import catalog
from grokdesk.core.conversation import ImagePart, Message, TextPart
from grokdesk.ui.chat.composer import Composer
from grokdesk.ui.chat.imageattach import ImageAttachments
from grokdesk.ui.chat.transcript import TranscriptView
from grokdesk.ui.images.attachments import AttachmentStrip, NoticeArea

TEXT_ONLY = "grok-3"
VISION = "grok-2-vision-1212"


def build(qtbot: QtBot, model: list[str]) -> tuple[ImageAttachments, Composer, NoticeArea, list[str]]:
    parent = QWidget()
    qtbot.addWidget(parent)
    composer, strip, notices = Composer(parent), AttachmentStrip(parent), NoticeArea(parent)
    transcript = TranscriptView(parent)
    layout = QVBoxLayout(parent)
    for widget in (transcript, notices, strip, composer):
        layout.addWidget(widget)
    messages: list[Message] = []
    attachments = ImageAttachments(
        parent,
        composer=composer,
        strip=strip,
        notices=notices,
        transcript=transcript,
        messages=lambda: messages,
        current_model=lambda: model[0],
        model_choices=lambda: [TEXT_ONLY, VISION],
        model_info=lambda model_id: catalog.resolve(model_id, list(catalog.BUILTIN)),
    )
    switches: list[str] = []
    attachments.model_switch_requested.connect(switches.append)
    parent.show()
    return attachments, composer, notices, switches


def png(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def test_an_image_for_a_text_only_model_asks_the_owner_to_switch(
    qtbot: QtBot, qloop: object, tmp_path: Path
) -> None:
    model = [TEXT_ONLY]
    attachments, composer, notices, switches = build(qtbot, model)
    composer.setPlainText("What is this?")
    composer.moveCursor(QTextCursor.MoveOperation.End)  # the image goes where the cursor is

    task = attachments.attach_paths([png(tmp_path / "teal.png")])
    qtbot.waitUntil(task.done, timeout=10_000)

    assert not attachments.ready_to_send()
    (warning,) = notices.texts()
    assert warning.startswith(f"{TEXT_ONLY} does not take images.")
    button = notices.notices()[0].findChild(QPushButton, "switchModelButton")
    assert isinstance(button, QPushButton)
    button.click()
    assert switches == [VISION]  # the owner switches; nothing here changes the model

    model[0] = VISION  # as the tab does when it hears the signal
    assert attachments.ready_to_send()
    parts = attachments.composed_parts()
    assert [type(p) for p in parts] == [TextPart, ImagePart]  # text, then the image, in order
    assert isinstance(parts[1], ImagePart) and parts[1].name == "teal.png"
