"""Making and editing images with Grok Imagine in the real window, against the fake server.

A prompt sent with `grok-imagine-image` picked goes to /v1/images/generations (never to
chat, never with `size`); the images land in the transcript as a reply with its cost,
are kept in the database, and come back after a restart without any request to the
temporary links they came from. Edit, attach-to-next-turn, moderation and Stop too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import ImagePart, MessageState, Role
from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.images.viewer import ImageViewer
from grokdesk.ui.mainwindow import MainWindow
from tests.e2e.conftest import Windows, anchors, current
from tests.helpers.fake_xai import RESPONSES, TURNS, FakeXai, ImageReply
from tests.helpers.fake_xai_images import EDIT_PATH, GENERATE_PATH, MODERATION_BODY, TEMP_PREFIX, make_image
from tests.helpers.fake_xai_responses import recorded_events
from tests.helpers.fake_xai_scripts import Error, FakeModel, NeverAnswer, RawStream

PROMPT = "a lighthouse at dawn"
# The placeholder the recorded image-tool stream carries instead of a picture.
RECORDED_RESULT = "ZmFrZUltYWdlQmFzZTY0RGF0YQ=="


def ready(
    qtbot: QtBot, windows: Windows, model: str = "grok-imagine-image"
) -> tuple[MainWindow, ConversationTab]:
    window = windows.open(model=model)
    qtbot.waitUntil(lambda: window.catalog.from_api, timeout=5000)
    return window, current(window)


def send(qtbot: QtBot, tab: ConversationTab, text: str) -> None:
    tab.composer.setPlainText(text)
    tab.send_button.click()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)


def shown_images(tab: ConversationTab) -> set[str]:
    return {href.removeprefix("image:") for href in anchors(tab) if href.startswith("image:")}


def open_viewer(qtbot: QtBot, tab: ConversationTab, part: ImagePart) -> ImageViewer:
    tab.transcript.image_requested.emit(part.sha256)  # a click on the thumbnail
    viewer = tab.attachments.viewers[-1]
    qtbot.waitUntil(lambda: not viewer.image().isNull(), timeout=3000)
    return viewer


def test_prompt_makes_images_kept_across_a_restart(qtbot: QtBot, windows: Windows, fake_xai: FakeXai) -> None:
    window, tab = ready(qtbot, windows)
    assert tab.images.controls.isVisible()
    tab.images.controls.count.setValue(4)
    tab.images.controls.aspect.setCurrentIndex(tab.images.controls.aspect.findData("16:9"))
    # A server that answers with temporary links: each is fetched once, at once.
    fake_xai.script_next(ImageReply(as_url=True), path=GENERATE_PATH)
    send(qtbot, tab, PROMPT)

    assert fake_xai.count(TURNS) == 0
    (request,) = fake_xai.requests_to(GENERATE_PATH)
    sent = request.json
    assert "size" not in sent
    assert (sent["model"], sent["prompt"], sent["n"], sent["aspect_ratio"]) == (
        "grok-imagine-image",
        PROMPT,
        4,
        "16:9",
    )
    prompt, reply = tab.controller.conversation.messages
    assert (prompt.role, prompt.plain_text) == (Role.USER, PROMPT)
    assert reply.role is Role.ASSISTANT and reply.state is MessageState.COMPLETE
    assert reply.model == "grok-imagine-image" and len(reply.images) == 4
    shas = {p.sha256 for p in reply.images}
    assert all(p.sha256 == hashlib.sha256(p.data).hexdigest() for p in reply.images)
    qtbot.waitUntil(lambda: shown_images(tab) == shas, timeout=3000)
    qtbot.waitUntil(lambda: all(tab.transcript.loadResource(2, _thumb(s)) for s in shas), timeout=3000)
    text = tab.transcript.plain_text()
    assert f"Revised prompt: {PROMPT}, highly detailed" in text
    assert tab.transcript.usage_text[reply.id] == "4 images · $0.08"
    assert tab.conversation_cost() == "$0.08"
    # No token counting for an image model (its id means nothing to the tokenizer).
    qtbot.waitUntil(lambda: tab.meter.text() == "Spent here: $0.08", timeout=3000)
    assert not [
        r for r in fake_xai.requests_to("/v1/tokenize-text") if r.json["model"] == "grok-imagine-image"
    ]
    viewer = open_viewer(qtbot, tab, reply.images[0])
    assert viewer.image().width() > viewer.image().height()  # 16:9
    viewer.close()
    fetched = len(fake_xai.images.fetched)
    assert fetched == 4

    conversation_id = tab.controller.conversation.id
    windows.close(window)
    requests_before = len(fake_xai.requests)
    again = windows.open()
    qtbot.waitUntil(lambda: again.catalog.from_api, timeout=5000)
    tab = current(again)
    assert tab.controller.conversation.id == conversation_id
    restored = tab.controller.conversation.messages[-1]
    assert {p.sha256 for p in restored.images} == shas
    qtbot.waitUntil(lambda: shown_images(tab) == shas, timeout=3000)
    qtbot.waitUntil(lambda: all(tab.transcript.loadResource(2, _thumb(s)) for s in shas), timeout=3000)
    later = fake_xai.requests[requests_before:]
    assert not [r for r in later if r.path.startswith(TEMP_PREFIX) or r.path in (GENERATE_PATH, EDIT_PATH)]
    assert len(fake_xai.images.fetched) == fetched


def test_quality_is_offered_where_the_model_takes_it(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    fake_xai.models.append(
        FakeModel(
            "grok-imagine-image-2.0",
            ["grok-imagine-image-latest"],
            input_modalities=["text", "image"],
            output_modalities=["image"],
            created=1786000000,
            cents_per_image=3,
        )
    )
    _window, tab = ready(qtbot, windows, model="grok-imagine-image-latest")
    controls = tab.images.controls
    qtbot.waitUntil(controls.quality.isVisible, timeout=3000)
    controls.quality.setCurrentIndex(controls.quality.findData("medium"))
    controls.aspect.setCurrentIndex(controls.aspect.findData("21:9"))
    send(qtbot, tab, PROMPT)
    sent = fake_xai.requests_to(GENERATE_PATH)[-1].json
    assert (sent["model"], sent["quality"], sent["aspect_ratio"]) == (
        "grok-imagine-image-latest",
        "medium",
        "21:9",
    )
    reply = tab.controller.conversation.messages[-1]
    assert reply.state is MessageState.COMPLETE and len(reply.images) == 1

    # The first model has neither: the choice goes away with the model, and nothing it refuses is sent.
    tab.select_model("grok-imagine-image")
    assert not controls.quality.isVisible()
    assert controls.aspect.findData("21:9") == -1 and controls.aspect.currentData() == "auto"
    send(qtbot, tab, PROMPT)
    sent = fake_xai.requests_to(GENERATE_PATH)[-1].json
    assert sent["model"] == "grok-imagine-image" and "quality" not in sent and "aspect_ratio" not in sent
    assert tab.controller.conversation.messages[-1].state is MessageState.COMPLETE


def _thumb(sha: str) -> object:
    from PySide6.QtCore import QUrl

    return QUrl(f"thumb:{sha}")


def test_edit_this_image(qtbot: QtBot, windows: Windows, fake_xai: FakeXai) -> None:
    _window, tab = ready(qtbot, windows)
    send(qtbot, tab, PROMPT)
    generated = tab.controller.conversation.messages[-1].images[0]
    viewer = open_viewer(qtbot, tab, generated)
    viewer.findChild(type(viewer.buttons.buttons()[0]), "editImageButton").click()
    qtbot.waitUntil(lambda: len(tab.attachments.parts()) == 1, timeout=3000)
    tab.composer.moveCursor(tab.composer.textCursor().MoveOperation.End)
    tab.composer.insertPlainText(" make it night")
    tab.send_button.click()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)

    (request,) = fake_xai.requests_to(EDIT_PATH)
    body = request.json
    assert body["prompt"] == "make it night" and "size" not in body
    source = body["image"]["url"]
    assert base64.b64decode(source.partition(",")[2]) == generated.data
    edited = tab.controller.conversation.messages[-1]
    assert edited.state is MessageState.COMPLETE and len(edited.images) == 1
    assert edited.images[0].sha256 != generated.sha256
    assert fake_xai.count(TURNS) == 0


def test_generated_image_attaches_to_the_next_chat_turn(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    _window, tab = ready(qtbot, windows)
    send(qtbot, tab, PROMPT)
    generated = tab.controller.conversation.messages[-1].images[0]
    viewer = open_viewer(qtbot, tab, generated)
    viewer.findChild(type(viewer.buttons.buttons()[0]), "useAsAttachmentButton").click()
    qtbot.waitUntil(lambda: len(tab.attachments.parts()) == 1, timeout=3000)
    model = tab.controller.conversation.model
    assert not tab.images.is_image_model(model) and window_info_takes_images(tab, model)
    tab.composer.moveCursor(tab.composer.textCursor().MoveOperation.End)
    tab.composer.insertPlainText(" What is in this picture?")
    tab.send_button.click()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)

    (turn,) = fake_xai.requests_to(TURNS)
    # Chat Completions' `messages` or the Responses API's `input`, whichever the app used.
    messages = turn.json.get("messages") or turn.json["input"]
    last = messages[-1]
    assert last["role"] == "user"
    urls = [_image_url(p) for p in last["content"] if p.get("type") in ("image_url", "input_image")]
    assert [base64.b64decode(u.partition(",")[2]) for u in urls] == [generated.data]
    # The generated reply itself goes to the chat model as text only.
    assistant = [m for m in messages if m["role"] == "assistant"]
    assert assistant and all(isinstance(m["content"], str) for m in assistant)
    assert "Echo: What is in this picture? [1 image]" in tab.transcript.plain_text()
    assert tab.controller.conversation.messages[-2].images == [generated]


def _image_url(part: dict[str, Any]) -> str:
    url = part["image_url"]
    return url if isinstance(url, str) else str(url["url"])


def window_info_takes_images(tab: ConversationTab, model: str) -> bool:
    info = tab.catalog.info(model) if tab.catalog is not None else None
    return info is not None and info.takes_images


def test_moderation_error_keeps_everything_and_counts_the_cost(
    qtbot: QtBot, windows: Windows, fake_xai: FakeXai
) -> None:
    window, tab = ready(qtbot, windows)
    fake_xai.script_next(Error(400, MODERATION_BODY), path=GENERATE_PATH)
    send(qtbot, tab, PROMPT)
    prompt, reply = tab.controller.conversation.messages
    assert prompt.plain_text == PROMPT
    assert reply.state is MessageState.FAILED
    text = tab.transcript.plain_text()
    assert "content moderation rejected the generated image" in text
    assert "still charged for it ($0.05)" in text
    # Retry passes this time; the rejected attempt stays as an earlier version of the reply.
    tab.controller.retry(reply.id)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=5000)
    assert fake_xai.count(GENERATE_PATH) == 2
    again = tab.controller.conversation.messages[-1]
    assert again.id != reply.id and len(again.images) == 1
    assert reply.id in tab.controller.conversation.versions.hidden

    dialog = window.open_usage()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=3000)
    # The rejected request was billed: $0.05 + $0.02 for the image that passed.
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(dialog.table.columnCount())]
    assert dialog.table.item(0, 0).text() == "grok-imagine-image"
    assert dialog.table.item(0, headers.index("Cost")).text() == "$0.07"
    assert dialog.table.item(0, headers.index("Images")).text() == "1"
    assert "1 image made" in dialog.summary.text()
    dialog.close()


def test_stop_while_generating(qtbot: QtBot, windows: Windows, fake_xai: FakeXai) -> None:
    _window, tab = ready(qtbot, windows)
    tab.images.controls.count.setValue(3)
    fake_xai.script_next(NeverAnswer(), path=GENERATE_PATH)
    tab.composer.setPlainText(PROMPT)
    tab.send_button.click()
    qtbot.waitUntil(lambda: "Generating 3 images…" in tab.transcript.plain_text(), timeout=3000)
    qtbot.waitUntil(lambda: fake_xai.count(GENERATE_PATH) == 1, timeout=3000)
    assert tab.stop_button.isEnabled()
    tab.stop_button.click()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming, timeout=3000)
    prompt, reply = tab.controller.conversation.messages
    assert prompt.plain_text == PROMPT
    assert reply.state is MessageState.STOPPED and not reply.parts
    text = tab.transcript.plain_text()
    assert "Generating 3 images…" not in text and "Stopped by you" in text
    fake_xai.release()


def test_a_chat_model_makes_an_image_mid_reply(qtbot: QtBot, windows: Windows, fake_xai: FakeXai) -> None:
    # The recorded stream of the image_generation tool, with a real picture as its result.
    picture = make_image(7, "1:1")
    recorded = json.dumps(recorded_events("responses-image-generation-tool.chunks.jsonl"))
    events = json.loads(recorded.replace(RECORDED_RESULT, base64.b64encode(picture).decode("ascii")))
    fake_xai.script_next(RawStream(events))
    window, tab = ready(qtbot, windows, model="grok-4.3")
    toggle = tab.findChild(QToolButton, "imageGenToggle")
    assert toggle is not None and toggle.isCheckable() and not toggle.isChecked()
    toggle.click()
    send(qtbot, tab, "Draw a paper boat on a pond")

    (turn,) = fake_xai.requests_to(TURNS)
    assert turn.path == RESPONSES and {"type": "image_generation"} in turn.json["tools"]
    reply = tab.controller.conversation.messages[-1]
    assert reply.state is MessageState.COMPLETE and [p.data for p in reply.images] == [picture]
    assert reply.images[0].name.startswith("a-delicate-origami-paper-boat")
    assert "Here's a serene image of a paper boat" in reply.plain_text
    sha = reply.images[0].sha256
    qtbot.waitUntil(lambda: sha in shown_images(tab), timeout=3000)
    qtbot.waitUntil(lambda: tab.transcript.loadResource(2, _thumb(sha)) is not None, timeout=3000)

    windows.close(window)
    again = windows.open()
    tab = current(again)
    restored = tab.controller.conversation.messages[-1]
    assert [p.data for p in restored.images] == [picture]
    assert tab.controller.conversation.settings.image_generation  # the toggle is kept per conversation
    qtbot.waitUntil(lambda: sha in shown_images(tab), timeout=3000)
