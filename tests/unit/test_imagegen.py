"""Image generation in the domain and the store: prompts, reply parts, retirements, the
in-chat image tool on a recorded stream, costs in the Usage totals, export."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from grokdesk.core.budget import cost_usd, format_usage
from grokdesk.core.conversation import Conversation, ImagePart, Message, Role, TextPart, Usage
from grokdesk.core.imagegen import (
    GeneratedImage,
    ImageModel,
    ImageOptions,
    ImageResult,
    aspect_ratios_for,
    edit_body,
    format_ticks,
    generation_body,
    image_turn,
    is_image_model_id,
    nearest_image_model,
    reply_parts,
)
from grokdesk.core.imagetool import (
    IMAGE_TOOL,
    ImageToolReader,
    ToolImage,
    ToolProgress,
    images_in_response,
    tool_image_parts,
)
from grokdesk.core.request import build_chat_request
from grokdesk.storage.exporter import export_conversations
from grokdesk.storage.modelcache import load_image_models, save_image_models
from grokdesk.storage.store import DB_NAME, Store
from tests.data.builders import image_bytes, image_part

RECORDED = Path(__file__).parents[1] / "data" / "responses" / "responses-image-generation-tool.chunks.jsonl"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "data")
    yield store
    store.close()


def generated_reply(count: int = 2, ticks: int = 400_000_000) -> Message:
    result = ImageResult(
        [
            GeneratedImage(image_bytes((i * 40, 10, 10), fmt="JPEG"), "image/jpeg", "a lighthouse, dawn")
            for i in range(count)
        ],
        ticks,
    )
    return Message(
        Role.ASSISTANT,
        reply_parts(result, "a lighthouse at dawn"),
        model="grok-imagine-image",
        usage=Usage(cost_in_usd_ticks=ticks, images=count),
    )


def test_the_prompt_is_the_last_user_message_and_its_images_are_edited() -> None:
    photo = image_part(name="photo.png")
    messages = [
        Message.text(Role.USER, "an old prompt"),
        Message(Role.ASSISTANT, [TextPart("Revised prompt: x")]),
        Message(Role.USER, [photo, TextPart(" make it night ")]),
    ]
    turn = image_turn(messages)
    assert turn is not None and turn.prompt == "make it night" and turn.sources == [photo]
    assert image_turn([Message(Role.USER, [photo])]) is None  # no prompt: nothing to send
    assert image_turn([*messages, Message.text(Role.SYSTEM, "be brief")]) is None


def test_reply_holds_images_named_after_the_prompt_and_one_revised_prompt() -> None:
    reply = generated_reply()
    names = [p.name for p in reply.images]
    assert names == ["a-lighthouse-at-dawn-1.jpg", "a-lighthouse-at-dawn-2.jpg"]
    assert reply.plain_text == "Revised prompt: a lighthouse, dawn"
    assert all(p.rejected is None and p.width > 0 for p in reply.images)


def test_cost_comes_from_the_server_in_ticks() -> None:
    usage = Usage(cost_in_usd_ticks=400_000_000, images=2)
    assert cost_usd(usage, None) == pytest.approx(0.04)
    assert format_usage(usage, None) == "2 images · $0.04"
    assert format_ticks(200_000_000) == "$0.02" and format_ticks(12_345_600) == "$0.00123"


def test_generated_images_are_not_sent_back_to_a_chat_model() -> None:
    conversation = Conversation(
        model="grok-4.3", messages=[Message.text(Role.USER, "a lighthouse"), generated_reply()]
    )
    conversation.settings.add_datetime = False
    messages = build_chat_request(conversation, model="grok-4.3", model_info=None)["messages"]
    assert messages[-1] == {"role": "assistant", "content": "Revised prompt: a lighthouse, dawn"}


def test_a_retired_image_model_gives_way_to_the_nearest() -> None:
    models = [
        ImageModel("grok-imagine-image", created=1),
        ImageModel("grok-imagine-image-quality", created=2),
        ImageModel("grok-imagine-video", created=3),
    ]
    found = nearest_image_model("grok-imagine-image-pro", models[:2])
    assert found is not None and found.id == "grok-imagine-image-quality"
    assert is_image_model_id("grok-imagine-image") and is_image_model_id("grok-2-image-1212")
    assert not is_image_model_id("grok-imagine-video") and not is_image_model_id("grok-4.3")


def test_quality_and_wide_shapes_go_only_to_grok_imagine_image_2() -> None:
    chosen = ImageOptions(n=2, aspect_ratio="21:9", quality="medium")
    body = generation_body("grok-imagine-image-2.0", "a bay", chosen)
    assert (body["quality"], body["aspect_ratio"], body["resolution"]) == ("medium", "21:9", "1k")
    # An alias is judged by the model it names.
    assert generation_body("imagine-latest", "a bay", chosen, canonical="grok-imagine-image-2.0")["quality"]
    # "auto" is the server's own choice: nothing is sent for it.
    assert "quality" not in generation_body("grok-imagine-image-2.0", "a bay", ImageOptions())
    # The first model refuses both; the request is stopped before it costs anything.
    with pytest.raises(ValueError, match="no quality setting"):
        generation_body("grok-imagine-image", "a bay", ImageOptions(quality="low"))
    with pytest.raises(ValueError, match="aspect ratio 5:2"):
        generation_body("grok-imagine-image", "a bay", ImageOptions(aspect_ratio="5:2"))
    assert "5:2" in aspect_ratios_for("grok-imagine-image-2.0") and "5:2" not in aspect_ratios_for(
        "grok-2-image"
    )
    sources = [image_part(name="photo.png")]
    edit = edit_body("grok-imagine-image-2.0", "night", sources, ImageOptions(quality="low"))
    assert edit["quality"] == "low" and "image" in edit


def test_image_models_are_cached_per_server(tmp_path: Path) -> None:
    models = [ImageModel("grok-imagine-image", price_ticks=200_000_000, input_modalities=("text", "image"))]
    save_image_models(tmp_path, "https://api.x.ai/v1", models)
    assert load_image_models(tmp_path, "https://api.x.ai/v1") == models
    assert load_image_models(tmp_path, "http://127.0.0.1:1/v1") == []


def test_recorded_image_tool_stream_gives_one_image_with_its_prompt() -> None:
    events = [json.loads(line) for line in RECORDED.read_text(encoding="utf-8").splitlines() if line.strip()]
    reader = ImageToolReader()
    found = [item for event in events for item in reader.feed(event)]
    progress = [f.status for f in found if isinstance(f, ToolProgress)]
    assert progress == ["in_progress", "in_progress", "generating", "completed"]
    images = [f for f in found if isinstance(f, ToolImage)]
    assert len(images) == 1  # output_item.done and response.completed both carry it: reported once
    (image,) = images
    assert image.data == b"fakeImageBase64Data"
    assert image.prompt.startswith("A delicate origami paper boat")
    completed = next(e for e in events if e["type"] == "response.completed")
    assert images_in_response(completed["response"]) == images
    assert completed["response"]["tools"] == [IMAGE_TOOL]
    assert completed["response"]["usage"]["server_side_tool_usage_details"]["image_generation_calls"] == 1
    # The recorded result is a placeholder, not a picture: kept, marked so it is never sent.
    (part,) = tool_image_parts(images)
    assert isinstance(part, ImagePart) and part.rejected is not None
    assert part.name == "a-delicate-origami-paper-boat-sailing-ge-1.jpg"


def test_costs_and_images_sum_in_the_usage_totals(store: Store) -> None:
    conversation = Conversation(title="images", model="grok-imagine-image")
    conversation.messages = [
        Message.text(Role.USER, "a lighthouse at dawn"),
        generated_reply(2, 400_000_000),
        Message.text(Role.USER, "something moderation rejects"),
        Message(Role.ASSISTANT, [], model="grok-imagine-image", usage=Usage(cost_in_usd_ticks=500_000_000)),
        Message.text(
            Role.ASSISTANT, "chat", model="grok-3", usage=Usage(prompt_tokens=10, completion_tokens=5)
        ),
    ]
    store.replace_conversation(conversation)
    totals = store.usage_totals()
    images = totals["grok-imagine-image"]
    assert (images.replies, images.images, images.cost_in_usd_ticks) == (2, 2, 900_000_000)
    assert images.tokens_to_price() == Usage()
    chat = totals["grok-3"]
    assert chat.cost_in_usd_ticks == 0 and chat.tokens_to_price().prompt_tokens == 10
    loaded = store.load_conversation(conversation.id).messages[1]
    assert loaded.usage == Usage(cost_in_usd_ticks=400_000_000, images=2)
    assert [p.data for p in loaded.images] == [p.data for p in conversation.messages[1].images]


def test_generated_images_export_as_files_and_in_json(store: Store, tmp_path: Path) -> None:
    conversation = Conversation(title="Lighthouse", model="grok-imagine-image")
    reply = generated_reply()
    conversation.messages = [Message.text(Role.USER, "a lighthouse at dawn"), reply]
    store.replace_conversation(conversation)
    (md,) = export_conversations(store, tmp_path / "md", "md")
    text = md.read_text(encoding="utf-8")
    files = sorted((md.parent / (md.stem + "_files")).iterdir())
    assert len(files) == 2 and {f.read_bytes() for f in files} == {p.data for p in reply.images}
    assert all(f"_files/{f.name})" in text for f in files)
    assert "Revised prompt: a lighthouse, dawn" in text
    (js,) = export_conversations(store, tmp_path / "json", "json")
    document = json.loads(js.read_text(encoding="utf-8"))
    dumped = json.dumps(document)
    assert all(p.sha256 in dumped for p in reply.images)
    assert '"cost_in_usd_ticks": 400000000' in dumped


def test_generated_images_are_dropped_with_their_reply(store: Store, tmp_path: Path) -> None:
    conversation = Conversation(title="images", model="grok-imagine-image")
    reply = generated_reply()
    conversation.messages = [Message.text(Role.USER, "a lighthouse at dawn"), reply]
    store.replace_conversation(conversation)
    stored = sqlite3.connect(tmp_path / "data" / DB_NAME)
    try:
        count = "SELECT count(*) FROM images"
        assert stored.execute(count).fetchone()[0] == 2
        store.delete_message(conversation.id, reply.id)
        assert stored.execute(count).fetchone()[0] == 0
    finally:
        stored.close()


def test_the_responses_reader_hands_out_each_tool_image_once() -> None:
    from grokdesk.api.events import ImageMade
    from grokdesk.api.responses import ResponsesReader

    reader = ResponsesReader()
    events = [json.loads(line) for line in RECORDED.read_text(encoding="utf-8").splitlines() if line.strip()]
    made = [e for event in events for e in reader.read(event) if isinstance(e, ImageMade)]
    assert [m.image.data for m in made] == [b"fakeImageBase64Data"]
    assert made[0].image.prompt.startswith("A delicate origami paper boat")


def test_the_image_tool_goes_out_when_the_conversation_asks_for_it() -> None:
    from grokdesk.core.request import build_responses_request

    conversation = Conversation(model="grok-4.3", messages=[Message.text(Role.USER, "draw a boat")])
    assert "tools" not in build_responses_request(conversation, model="grok-4.3", model_info=None)
    conversation.settings.image_generation = True
    body = build_responses_request(conversation, model="grok-4.3", model_info=None)
    assert body["tools"] == [IMAGE_TOOL]
