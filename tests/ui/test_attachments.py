"""Images in a conversation tab, through real Qt events, against the fake xAI server:
dropped, pasted or picked; checked with every refusal explained; interleaved with
text in the order the request keeps; a text-only model warned about; a rejected
image not breaking the next turn."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import random
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMenu, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import MessageState, Role
from grokdesk.core.images import MAX_IMAGE_BYTES
from grokdesk.ui.chat.composer import OBJECT_CHAR
from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.images.attachments import CHIP_MIME, AttachmentChip
from grokdesk.ui.mainwindow import MainWindow
from tests.helpers.fake_xai import TURNS, FakeXai
from tests.helpers.fake_xai_scripts import NOT_JPEG_OR_PNG_BODY, Error, Reply
from tests.ui.conftest import MakeWindow

IMAGE_MODEL = "grok-4.3"


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def open_tab(make_window: MakeWindow, model: str = IMAGE_MODEL, **kwargs: Any) -> ConversationTab:
    window = make_window(model=model, **kwargs)
    tab = window.current_tab()
    assert tab is not None
    return tab


def quit_app(qtbot: QtBot, window: MainWindow) -> None:
    """Quit as the app does (replies stopped, session and store saved and closed); the
    fixture deletes the window at the end."""
    task = asyncio.get_event_loop().create_task(window.shutdown_all())
    qtbot.waitUntil(task.done, timeout=10_000)
    task.result()
    window.hide()


def chips(tab: ConversationTab) -> list[AttachmentChip]:
    return tab.attachment_strip.chips()


def notices(tab: ConversationTab) -> list[str]:
    return tab.attachment_notices.texts()


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop(widget: QWidget, mime: QMimeData, pos: QPoint | None = None) -> bool:
    """A drag entering `widget` and dropping `mime` there, as Qt delivers them."""
    point = pos or widget.rect().center()
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons = Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, actions, mime, buttons, none)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(point), actions, mime, buttons, none)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def wait_attached(qtbot: QtBot, tab: ConversationTab, count: int) -> None:
    qtbot.waitUntil(lambda: len(chips(tab)) == count and tab.attachments.pending == 0, timeout=5000)


def send_and_wait(qtbot: QtBot, tab: ConversationTab) -> None:
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)


def sent_content(fake_xai: FakeXai) -> list[dict[str, Any]]:
    content = fake_xai.requests_to(TURNS)[-1].messages[-1]["content"]
    assert isinstance(content, list)
    return content


def image_of(part: dict[str, Any]) -> tuple[str, bytes, str]:
    """(mime type, bytes, detail) of an image_url content part."""
    assert part["type"] == "image_url"
    header, _, payload = part["image_url"]["url"].partition(",")
    return header.removeprefix("data:").split(";")[0], base64.b64decode(payload), part["image_url"]["detail"]


# -- getting images in ------------------------------------------------------------------------


def test_text_and_images_interleave_in_the_request(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    jpeg = write(tmp_path / "photo.jpg", image_bytes("JPEG"))
    png = image_bytes("PNG", color="orange")
    fake_xai.script_next(Reply(text="Both are squares of colour."))

    qtbot.keyClicks(tab.composer, "Compare this")
    assert drop(tab, file_mime(jpeg))
    wait_attached(qtbot, tab, 1)
    qtbot.keyClicks(tab.composer, " with this")
    QGuiApplication.clipboard().setImage(QImage.fromData(png))
    qtbot.keyClick(tab.composer, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_attached(qtbot, tab, 2)
    qtbot.keyClicks(tab.composer, " please")
    assert [c.part.name for c in chips(tab)] == ["photo.jpg", "pasted image.png"]
    send_and_wait(qtbot, tab)

    content = sent_content(fake_xai)
    assert [p["type"] for p in content] == ["text", "image_url", "text", "image_url", "text"]
    assert [p["text"] for p in content if p["type"] == "text"] == ["Compare this", "with this", "please"]
    first, second = image_of(content[1]), image_of(content[3])
    assert first == ("image/jpeg", jpeg.read_bytes(), "auto")
    assert second[0] == "image/png" and Image.open(io.BytesIO(second[1])).size == (64, 48)
    # The images became part of the message; the composer and strip are empty again.
    message = next(m for m in tab.controller.conversation.messages if m.role is Role.USER)
    assert [p.name for p in message.images] == ["photo.jpg", "pasted image.png"]
    assert chips(tab) == [] and tab.composer.toPlainText() == ""
    assert "photo.jpg" in tab.transcript.plain_text()


def test_files_dropped_on_composer_transcript_or_picked(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    one = write(tmp_path / "one.png", image_bytes("PNG", color="red"))
    two = write(tmp_path / "two.jpg", image_bytes("JPEG", color="blue"))
    three = write(tmp_path / "three.png", image_bytes("PNG", color="green"))
    tab.composer.setPlainText("ab")

    # On the composer the image goes where it is dropped: between "a" and "b".
    composer = tab.composer
    cursor = composer.textCursor()
    cursor.setPosition(1)
    at_b = composer.cursorRect(cursor).center()
    assert drop(composer.viewport(), file_mime(one), at_b)
    wait_attached(qtbot, tab, 1)
    assert composer.toPlainText() == "a" + OBJECT_CHAR + "b"

    assert drop(tab.transcript.viewport(), file_mime(two))
    wait_attached(qtbot, tab, 2)
    tab.attachments.file_picker = lambda _parent: [str(three)]
    qtbot.mouseClick(tab.findChild(QWidget, "attachButton"), Qt.MouseButton.LeftButton)
    wait_attached(qtbot, tab, 3)

    shown = chips(tab)
    assert [c.part.name for c in shown] == ["one.png", "two.jpg", "three.png"]
    assert all(c.findChild(QWidget, "attachmentThumbnail") is not None for c in shown)
    assert shown[1].size_label.text().endswith("KiB") or shown[1].size_label.text().endswith("bytes")
    assert shown[0].detail.currentText() == "auto"


def test_plain_text_paste_stays_text_and_copied_files_attach(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    photo = write(tmp_path / "copied.jpg", image_bytes("JPEG"))
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("https://example.com/cat.jpg and some words")
    qtbot.keyClick(tab.composer, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert tab.composer.toPlainText() == "https://example.com/cat.jpg and some words"
    assert chips(tab) == [] and notices(tab) == []

    clipboard.setMimeData(file_mime(photo))
    qtbot.keyClick(tab.composer, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_attached(qtbot, tab, 1)
    assert chips(tab)[0].part.name == "copied.jpg"


def test_raw_image_data_drop_is_attached_as_png(qtbot: QtBot, make_window: MakeWindow) -> None:
    tab = open_tab(make_window)
    mime = QMimeData()
    mime.setImageData(QImage.fromData(image_bytes("JPEG", (30, 20))))
    assert drop(tab, mime)
    wait_attached(qtbot, tab, 1)
    part = chips(tab)[0].part
    assert part.name == "dropped image.png" and part.mime == "image/png"
    assert (part.width, part.height) == (30, 20)


def test_web_address_drop_is_refused_with_a_reason(qtbot: QtBot, make_window: MakeWindow) -> None:
    tab = open_tab(make_window)
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/pictures/photo.jpg")])
    assert drop(tab.transcript.viewport(), mime)
    assert notices(tab) == ["photo.jpg was dragged from the web; save it and drop the file instead"]
    assert chips(tab) == [] and OBJECT_CHAR not in tab.composer.toPlainText()
    notice = tab.attachment_notices.notices()[0]
    qtbot.mouseClick(notice.close_button, Qt.MouseButton.LeftButton)
    assert notices(tab) == []


# -- checks ------------------------------------------------------------------------------------


def test_every_bad_input_is_named_with_its_reason(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    png = image_bytes("PNG")
    bomb_image = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(bomb_image, "PNG")  # 60 megapixels in a few KiB
    bomb = bomb_image.getvalue()
    folder = tmp_path / "holiday photos"
    folder.mkdir()
    fifo = tmp_path / "stream.png"
    os.mkfifo(fifo)  # a pipe never ends: refused before any read
    bad = [
        write(tmp_path / "notes.png", b"These are my notes, not a picture.\n"),
        write(tmp_path / "holiday.png", image_bytes("WEBP")),
        write(tmp_path / "anim.png", image_bytes("GIF")),
        write(tmp_path / "cut.png", png[: len(png) // 2]),
        write(tmp_path / "cut.jpg", image_bytes("JPEG")[:-40]),
        write(tmp_path / "empty.png", b""),
        folder,
        write(tmp_path / "big.png", png + b"\0" * (MAX_IMAGE_BYTES + 1 - len(png))),
        write(tmp_path / "über 写真.jpg", b"GIF89a" + b"\0" * 20),
        write(tmp_path / "phone.png", b"\0\0\0\x18ftypheic" + b"\0" * 40),
        write(tmp_path / "bomb.png", bomb),
        fifo,
    ]
    good = [
        write(tmp_path / "exact.png", png + b"\0" * (MAX_IMAGE_BYTES - len(png))),
        write(tmp_path / "really a jpeg.txt", image_bytes("JPEG")),
        write(tmp_path / "café 日本.png", png),
    ]
    assert drop(tab, file_mime(*bad, *good))
    qtbot.waitUntil(lambda: tab.attachments.pending == 0 and len(notices(tab)) == len(bad), timeout=10_000)

    shown = notices(tab)
    for expected in [
        "notes.png is a text file; Grok accepts JPEG or PNG",
        "holiday.png is a WebP image; Grok accepts JPEG or PNG",
        "anim.png is a GIF image; Grok accepts JPEG or PNG",
        "cut.png is a damaged or incomplete PNG image and cannot be read",
        "cut.jpg is a damaged or incomplete JPEG image and cannot be read",
        "empty.png is empty (0 bytes)",
        "holiday photos is a folder, not an image file",
        "über 写真.jpg is a GIF image; Grok accepts JPEG or PNG",
        "phone.png is a HEIC/HEIF image; Grok accepts JPEG or PNG",
        "bomb.png is 10000 x 6000 pixels (60 megapixels); the limit is 50 megapixels",
        "stream.png is not a regular file (a device, pipe or socket)",
    ]:
        assert expected in shown, f"{expected!r} not among {shown}"
    too_big = next(t for t in shown if t.startswith("big.png is "))
    assert "10,485,761 bytes" in too_big or "10.0 MiB" in too_big
    assert "the limit is" in too_big
    # The bytes decide: exactly 10 MiB, a JPEG named .txt and a non-ASCII name are fine.
    assert sorted(c.part.name for c in chips(tab)) == sorted(p.name for p in good)
    assert tab.composer.toPlainText().count(OBJECT_CHAR) == len(good)

    def actions(start: str) -> list[str]:
        notice = next(n for n in tab.attachment_notices.notices() if n.text().startswith(start))
        return [b.text() for b in notice.action_buttons()]

    assert actions("holiday.png") == ["Convert to PNG"]
    assert actions("big.png") == ["Scale down to fit"]
    assert actions("empty.png") == []


def test_convert_to_png_is_applied_only_when_clicked(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    webp = write(tmp_path / "holiday.webp", image_bytes("WEBP", color="purple"))
    assert drop(tab, file_mime(webp))
    qtbot.waitUntil(lambda: len(notices(tab)) == 1, timeout=5000)
    assert chips(tab) == []
    (button,) = tab.attachment_notices.notices()[0].action_buttons()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_attached(qtbot, tab, 1)
    assert notices(tab) == []
    assert chips(tab)[0].part.name == "holiday.png"

    qtbot.keyClicks(tab.composer, "What colour?")
    send_and_wait(qtbot, tab)
    content = sent_content(fake_xai)
    kind, data, _ = image_of(content[0])
    assert kind == "image/png" and data.startswith(b"\x89PNG")
    assert content[1] == {"type": "text", "text": "What colour?"}


def test_scale_down_fits_a_large_photo_under_the_limit(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    width, height = 2900, 2100  # noise compresses badly: about 11.5 MiB as a JPEG
    noisy = Image.frombytes("RGB", (width, height), random.Random(3).randbytes(width * height * 3))
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=100)
    big = write(tmp_path / "scan.jpg", out.getvalue())
    assert big.stat().st_size > MAX_IMAGE_BYTES
    assert drop(tab, file_mime(big))
    qtbot.waitUntil(lambda: len(notices(tab)) == 1, timeout=5000)
    (text,) = notices(tab)
    assert text.startswith("scan.jpg is ") and "the limit is" in text
    (button,) = tab.attachment_notices.notices()[0].action_buttons()
    assert button.text() == "Scale down to fit"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_attached(qtbot, tab, 1)
    part = chips(tab)[0].part
    assert part.name == "scan.jpg" and part.mime == "image/jpeg" and part.size <= MAX_IMAGE_BYTES

    send_and_wait(qtbot, tab)
    assert image_of(sent_content(fake_xai)[0])[:2] == ("image/jpeg", part.data)


# -- chips ---------------------------------------------------------------------------------------


def test_reordering_chips_changes_the_request_order(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    first = write(tmp_path / "first.png", image_bytes("PNG", color="red"))
    second = write(tmp_path / "second.jpg", image_bytes("JPEG", color="blue"))
    qtbot.keyClicks(tab.composer, "Left:")
    assert drop(tab, file_mime(first))
    wait_attached(qtbot, tab, 1)
    qtbot.keyClicks(tab.composer, "Right:")
    assert drop(tab, file_mime(second))
    wait_attached(qtbot, tab, 2)

    strip = tab.attachment_strip
    moving = chips(tab)[1]
    mime = QMimeData()
    mime.setData(CHIP_MIME, moving.key.encode())
    leftmost = chips(tab)[0].mapTo(strip, QPoint(2, 2))
    assert drop(strip, mime, leftmost)
    qtbot.waitUntil(lambda: [c.part.name for c in chips(tab)] == ["second.jpg", "first.png"], timeout=2000)
    chips(tab)[0].detail.setCurrentText("high")

    send_and_wait(qtbot, tab)
    content = sent_content(fake_xai)
    assert [p.get("text") for p in content] == ["Left:", None, "Right:", None]
    assert image_of(content[1]) == ("image/jpeg", second.read_bytes(), "high")
    assert image_of(content[3]) == ("image/png", first.read_bytes(), "auto")


def test_removing_a_chip_removes_the_image_from_the_message(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    tab.set_default_detail("low")
    keep = write(tmp_path / "keep.png", image_bytes("PNG"))
    gone = write(tmp_path / "gone.png", image_bytes("PNG", color="red"))
    assert drop(tab, file_mime(keep, gone))
    wait_attached(qtbot, tab, 2)
    assert [c.detail.currentText() for c in chips(tab)] == ["low", "low"]
    qtbot.mouseClick(chips(tab)[1].remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(chips(tab)) == 1, timeout=2000)
    assert tab.composer.toPlainText() == OBJECT_CHAR

    send_and_wait(qtbot, tab)
    content = sent_content(fake_xai)
    assert len(content) == 1
    assert image_of(content[0]) == ("image/png", keep.read_bytes(), "low")


# -- models and the server ---------------------------------------------------------------------------


def test_text_only_model_is_warned_and_switched_in_one_click(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window, model="grok-3")
    photo = write(tmp_path / "photo.jpg", image_bytes("JPEG"))
    assert drop(tab, file_mime(photo))
    wait_attached(qtbot, tab, 1)
    assert any(t.startswith("grok-3 does not take images.") for t in notices(tab))

    qtbot.keyClicks(tab.composer, "Describe it")
    requests_before = fake_xai.count(TURNS)
    qtbot.keyClick(tab.composer, Qt.Key.Key_Return)
    assert fake_xai.count(TURNS) == requests_before
    assert not tab.controller.is_streaming
    assert tab.composer.text_without_images() == "Describe it" and len(chips(tab)) == 1
    assert any(t.startswith("grok-3 does not take images.") for t in notices(tab))

    switch = tab.findChild(QPushButton, "switchModelButton")
    assert switch is not None
    target = tab.attachments.image_model()
    assert target is not None and switch.text() == f"Switch to {target}"
    qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    assert tab.controller.conversation.model == target
    assert tab.model_picker.currentData() == target
    assert notices(tab) == []

    send_and_wait(qtbot, tab)
    sent = fake_xai.requests_to(TURNS)[-1]
    assert sent.json["model"] == target
    assert image_of(sent.messages[-1]["content"][0])[0] == "image/jpeg"


def test_rejected_image_does_not_break_the_next_turn(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    photo = write(tmp_path / "odd.png", image_bytes("PNG"))
    fake_xai.script_next(Error(400, NOT_JPEG_OR_PNG_BODY))
    assert drop(tab, file_mime(photo))
    wait_attached(qtbot, tab, 1)
    qtbot.keyClicks(tab.composer, "What is this?")
    send_and_wait(qtbot, tab)

    message = next(m for m in tab.controller.conversation.messages if m.role is Role.USER)
    assert message.images[0].rejected is not None
    assert "Not sent:" in tab.transcript.plain_text()

    qtbot.keyClicks(tab.composer, "Then just say hello")
    send_and_wait(qtbot, tab)
    sent = fake_xai.requests_to(TURNS)[-1]
    assert "image_url" not in str(sent.messages) and "input_image" not in str(sent.json)
    assert sent.messages[-1] == {"role": "user", "content": "Then just say hello"}
    reply = tab.controller.conversation.messages[-1]
    assert reply.role is Role.ASSISTANT and reply.state is MessageState.COMPLETE


# -- transcript and drafts -------------------------------------------------------------------------------


def test_sent_images_show_as_thumbnails_that_open_a_viewer_also_after_restart(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    window = make_window(data_dir=data_dir, model=IMAGE_MODEL)
    tab = window.current_tab()
    assert tab is not None
    photo = write(tmp_path / "wide.jpg", image_bytes("JPEG", (400, 100)))
    assert drop(tab, file_mime(photo))
    wait_attached(qtbot, tab, 1)
    send_and_wait(qtbot, tab)
    sha = tab.controller.conversation.messages[0].images[0].sha256
    thumb = tab.transcript.loadResource(0, QUrl(f"thumb:{sha}"))
    assert isinstance(thumb, QImage) and thumb.width() == 160

    tab.transcript.image_requested.emit(sha)
    viewer = tab.attachments.viewers[-1]
    assert viewer.isVisible() and viewer.windowTitle() == "wide.jpg"
    qtbot.waitUntil(lambda: not viewer.image().isNull(), timeout=5000)
    assert (viewer.image().width(), viewer.image().height()) == (400, 100)
    viewer.close()
    quit_app(qtbot, window)

    again = make_window(data_dir=data_dir)
    restored = again.current_tab()
    assert restored is not None and restored.controller.conversation.messages
    qtbot.waitUntil(lambda: isinstance(restored.transcript.loadResource(0, QUrl(f"thumb:{sha}")), QImage))


def test_draft_images_survive_a_restart_in_place(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    window = make_window(data_dir=data_dir)
    tab = window.current_tab()
    assert tab is not None
    photo = write(tmp_path / "draft.png", image_bytes("PNG"))
    qtbot.keyClicks(tab.composer, "before ")
    assert drop(tab, file_mime(photo))
    wait_attached(qtbot, tab, 1)
    chips(tab)[0].detail.setCurrentText("high")
    qtbot.keyClicks(tab.composer, " after")
    assert tab.draft_text() == "before " + OBJECT_CHAR + " after"
    quit_app(qtbot, window)

    again = make_window(data_dir=data_dir)
    restored = again.current_tab()
    assert restored is not None
    wait_attached(qtbot, restored, 1)
    parts = restored.composed_parts()
    assert [type(p).__name__ for p in parts] == ["TextPart", "ImagePart", "TextPart"]
    assert parts[1].name == "draft.png" and parts[1].data == photo.read_bytes()  # type: ignore[union-attr]
    assert parts[1].detail.value == "high"  # type: ignore[union-attr]


def test_sending_waits_for_images_still_being_read(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    photo = write(tmp_path / "slow.png", image_bytes("PNG"))
    task = tab.attach_paths([photo])
    requests_before = fake_xai.count(TURNS)
    assert tab.attachments.pending == 1  # the pool has not been asked yet: nothing ran
    tab.send()
    assert fake_xai.count(TURNS) == requests_before
    assert "Wait a moment: 1 image is still being read." in notices(tab)
    qtbot.waitUntil(task.done, timeout=5000)
    assert len(chips(tab)) == 1 and notices(tab) == []


def test_chips_reorder_from_the_keyboard(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    tab = open_tab(make_window)
    a = write(tmp_path / "a.png", image_bytes("PNG", color="red"))
    b = write(tmp_path / "b.png", image_bytes("PNG", color="blue"))
    assert drop(tab, file_mime(a, b))
    wait_attached(qtbot, tab, 2)
    first = chips(tab)[0]
    first.setFocus()
    qtbot.waitUntil(first.hasFocus, timeout=2000)
    qtbot.keyClick(first, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert [c.part.name for c in chips(tab)] == ["b.png", "a.png"]
    assert [p.name for p in tab.draft_attachments()] == ["b.png", "a.png"]
    qtbot.keyClick(first, Qt.Key.Key_Delete)
    assert [c.part.name for c in chips(tab)] == ["b.png"]


def test_a_chips_detail_level_is_chosen_from_the_keyboard(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    photo = write(tmp_path / "fine.png", image_bytes("PNG"))
    assert drop(tab, file_mime(photo))
    wait_attached(qtbot, tab, 1)
    button = chips(tab)[0].detail
    assert button.text().startswith("auto") and button.accessibleName() == "Detail level of fine.png"
    button.setFocus()
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    qtbot.keyClick(button, Qt.Key.Key_Space)
    menu = button.findChild(QMenu, "attachmentDetailMenu")
    assert isinstance(menu, QMenu)
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    assert [a.text() for a in menu.actions()] == ["auto", "low", "high"]
    assert [a.isChecked() for a in menu.actions()] == [True, False, False]
    menu.setActiveAction(menu.actions()[2])
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=2000)
    assert button.currentText() == "high" and button.text().startswith("high")

    fake_xai.script_next(Reply(text="Fine print read."))
    send_and_wait(qtbot, tab)
    assert image_of(sent_content(fake_xai)[0])[2] == "high"


def test_double_clicking_a_chip_shows_the_image_larger(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    photo = write(tmp_path / "tall.png", image_bytes("PNG", (50, 300)))
    assert drop(tab, file_mime(photo))
    wait_attached(qtbot, tab, 1)
    qtbot.mouseDClick(chips(tab)[0], Qt.MouseButton.LeftButton)
    viewer = tab.attachments.viewers[-1]
    qtbot.waitUntil(lambda: not viewer.image().isNull(), timeout=5000)
    assert viewer.windowTitle() == "tall.png" and viewer.image().size().toTuple() == (50, 300)
    viewer.close()


def test_viewers_open_again_after_one_was_closed(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    photo = write(tmp_path / "again.png", image_bytes("PNG"))
    assert drop(tab, file_mime(photo))
    wait_attached(qtbot, tab, 1)
    qtbot.mouseDClick(chips(tab)[0], Qt.MouseButton.LeftButton)
    first = tab.attachments.viewers[-1]
    first.close()
    qtbot.waitUntil(lambda: tab.attachments.viewers == [], timeout=2000)
    qtbot.wait(20)  # the closed viewer is deleted
    qtbot.mouseDClick(chips(tab)[0], Qt.MouseButton.LeftButton)
    (second,) = tab.attachments.viewers
    qtbot.waitUntil(lambda: not second.image().isNull(), timeout=5000)
    second.close()


def test_copying_text_with_an_image_inside_the_composer_copies_the_image(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    tab = open_tab(make_window)
    photo = write(tmp_path / "twice.png", image_bytes("PNG"))
    qtbot.keyClicks(tab.composer, "see ")
    assert drop(tab, file_mime(photo))
    wait_attached(qtbot, tab, 1)
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(tab.composer, Qt.Key.Key_A, ctrl)
    qtbot.keyClick(tab.composer, Qt.Key.Key_C, ctrl)
    qtbot.keyClick(tab.composer, Qt.Key.Key_End, ctrl)
    qtbot.keyClicks(tab.composer, " and ")
    qtbot.keyClick(tab.composer, Qt.Key.Key_V, ctrl)
    assert tab.composer.toPlainText() == f"see {OBJECT_CHAR} and see {OBJECT_CHAR}"
    assert [c.part.name for c in chips(tab)] == ["twice.png", "twice.png"]

    # Cut and paste puts the same attachment back.
    qtbot.keyClick(tab.composer, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(tab.composer, Qt.Key.Key_X, ctrl)
    assert len(chips(tab)) == 1
    qtbot.keyClick(tab.composer, Qt.Key.Key_V, ctrl)
    assert len(chips(tab)) == 2 and len(set(tab.attachments.keys())) == 2
    send_and_wait(qtbot, tab)
    content = sent_content(fake_xai)
    assert [p.get("text") for p in content] == ["see", None, "and see", None]
    assert image_of(content[1])[1] == image_of(content[3])[1] == photo.read_bytes()
