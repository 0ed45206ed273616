"""The model picker fed by the API: content, offline start, retired models, parameters."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from grokdesk.ui.chat.tab import ConversationTab
from grokdesk.ui.mainwindow import MainWindow
from tests.helpers.fake_xai import TURNS, FakeXai
from tests.helpers.fake_xai_images import GENERATE_PATH
from tests.helpers.fake_xai_scripts import Error, FakeModel, Reply, unknown_model_body
from tests.ui.conftest import MakeWindow, shut_down
from tests.ui.test_conversation import current, send

MODELS = "/v1/language-models"


def picker_items(tab: ConversationTab) -> dict[str, tuple[str, str]]:
    picker = tab.model_picker
    return {
        picker.itemData(i): (picker.itemText(i), picker.itemData(i, Qt.ItemDataRole.ToolTipRole) or "")
        for i in range(picker.count())
    }


def refreshed(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.catalog.from_api, timeout=5000)


def test_picker_shows_what_the_key_can_use(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    refreshed(qtbot, window)
    items = picker_items(current(window))
    assert {"grok-3", "grok-3-mini", "grok-2-vision-1212", "grok-4.3"} <= set(items)
    label, tip = items["grok-2-vision-1212"]
    assert "[images]" in label
    assert "[images]" not in items["grok-3"][0]
    assert "Context window: 32,768 tokens" in tip
    assert "grok-2-vision, grok-2-vision-latest" in tip
    # Prices from the API's unit (US cents per 100M tokens): 30000 -> $3.00, 150000 -> $15.00.
    assert "$3.00" in items["grok-3"][1] and "$15.00" in items["grok-3"][1]
    # Aliases grouped under their model, saying what they follow.
    assert "grok-3-latest" in items
    assert "newest release" in items["grok-3-latest"][1]
    assert "latest stable release" in items["grok-2-vision"][1]


def test_alias_is_honoured_and_can_be_pinned(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    refreshed(qtbot, window)
    tab = current(window)
    tab.select_model("grok-3-latest")
    send(qtbot, tab, "hello")
    assert fake_xai.requests_to(TURNS)[-1].json["model"] == "grok-3-latest"
    tab.pin_model()
    assert tab.controller.conversation.model == "grok-3"
    send(qtbot, tab, "again")
    assert fake_xai.requests_to(TURNS)[-1].json["model"] == "grok-3"


def test_offline_start_uses_the_cached_list(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    fake_xai.models.append(
        FakeModel("grok-9-test", ["grok-9-test-latest"], input_modalities=["text", "image"])
    )
    first = make_window(data_dir=data)
    refreshed(qtbot, first)
    assert "grok-9-test" in picker_items(current(first))
    shut_down(qtbot, first)

    fake_xai.disabled_paths.update({MODELS, "/v1/models"})  # the network is "down"
    second = make_window(data_dir=data)
    items = picker_items(current(second))
    assert "grok-9-test" in items and "[images]" in items["grok-9-test"][0]


def test_retired_model_is_replaced_on_request(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window(model="grok-3-mini")
    tab = current(window)
    fake_xai.script_next(
        Error(404, unknown_model_body("grok-3-mini")), Reply(text="Answered by another model.")
    )
    send(qtbot, tab, "Are you there?")
    assert "grok-3-mini" in tab.transcript.plain_text()
    assert tab.notice.isVisible()
    assert "not available to your API key" in tab.notice.label.text()
    action = tab.notice.action_button
    assert action.isVisible() and "retry" in action.text()
    action.click()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming and fake_xai.count(TURNS) == 2, timeout=5000)
    assert fake_xai.requests_to(TURNS)[-1].json["model"] != "grok-3-mini"
    assert "Answered by another model." in tab.transcript.plain_text()


def test_model_the_api_no_longer_lists_is_not_sent_to(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    fake_xai.models = [m for m in fake_xai.models if m.id != "grok-3-mini"]
    window = make_window(model="grok-3-mini")
    refreshed(qtbot, window)
    tab = current(window)
    tab.select_model("grok-3-mini")
    tab.composer.setPlainText("hello")
    tab.send()
    assert fake_xai.count(TURNS) == 0  # no failed send
    assert tab.notice.isVisible() and "grok-3-mini" in tab.notice.label.text()
    tab.notice.action_button.click()
    qtbot.waitUntil(lambda: fake_xai.count(TURNS) == 1 and not tab.controller.is_streaming, timeout=5000)
    assert fake_xai.requests_to(TURNS)[-1].json["model"] != "grok-3-mini"


def test_parameters_a_model_rejects_are_not_sent(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window(model="grok-3-mini")
    tab = current(window)
    settings = tab.controller.conversation.settings
    settings.reasoning_effort = "high"
    settings.temperature = 0.5
    send(qtbot, tab, "think hard")
    sent = fake_xai.requests_to(TURNS)[-1].json
    assert sent["reasoning"] == {"effort": "high"} and sent["temperature"] == 0.5
    tab.select_model("grok-3")
    send(qtbot, tab, "now plainly")
    sent = fake_xai.requests_to(TURNS)[-1].json
    assert "reasoning" not in sent  # grok-3 is not a reasoning model
    assert sent["temperature"] == 0.5


def test_chat_and_image_models_are_listed_apart(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    refreshed(qtbot, window)
    picker = current(window).model_picker
    rows = [(picker.itemData(i), picker.itemText(i)) for i in range(picker.count())]
    separator = next(i for i, (data, text) in enumerate(rows) if data is None and not text)
    chat, images = rows[:separator], rows[separator + 1 :]
    assert {"grok-3", "grok-4.3", "grok-2-vision-1212"} <= {data for data, _ in chat}
    assert all("[makes images]" not in text for _, text in chat)
    assert [data for data, _ in images if "↳" not in _] == ["grok-2-image-1212", "grok-imagine-image"]
    assert all("[makes images]" in text for data, text in images if "↳" not in text)
    tip = picker_items(current(window))["grok-imagine-image"][1]
    assert "$0.02 per image" in tip and "edit" in tip


def test_retired_image_model_is_replaced_like_a_chat_model(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window(model="grok-imagine-image-pro")
    refreshed(qtbot, window)
    tab = current(window)
    tab.composer.setPlainText("a lighthouse at dawn")
    tab.send()
    assert fake_xai.count(GENERATE_PATH) == 0 and fake_xai.count(TURNS) == 0  # no failed request
    assert tab.notice.isVisible() and "grok-imagine-image-pro" in tab.notice.label.text()
    assert "grok-imagine-image" in tab.notice.action_button.text()
    tab.notice.action_button.click()
    qtbot.waitUntil(
        lambda: fake_xai.count(GENERATE_PATH) == 1 and not tab.controller.is_streaming, timeout=5000
    )
    assert fake_xai.requests_to(GENERATE_PATH)[-1].json["model"] == "grok-imagine-image"
    assert fake_xai.count(TURNS) == 0
    assert len(tab.controller.conversation.messages[-1].images) == 1
