"""The request body: exactly the transcript's messages, in order, minus notices,
rejected images and empty content; parameters only where the model takes them."""

from __future__ import annotations

import base64
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from PIL import Image

from grokdesk.core.catalog import BUILTIN
from grokdesk.core.conversation import (
    Conversation,
    ConversationSettings,
    ImageDetail,
    ImagePart,
    Message,
    Role,
    TextPart,
)
from grokdesk.core.images import check_image_bytes
from grokdesk.core.request import (
    build_chat_request,
    build_summary_request,
    datetime_line,
    request_messages,
    system_prompt_text,
    unsendable_images,
)

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
MODELS = {m.id: m for m in BUILTIN}


def image(fmt: str, name: str, detail: ImageDetail = ImageDetail.AUTO) -> ImagePart:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(out, fmt)
    return check_image_bytes(out.getvalue(), name, detail=detail)


def conversation(*messages: Message, **settings: object) -> Conversation:
    base = ConversationSettings(add_datetime=False)
    return Conversation(messages=list(messages), settings=replace(base, **settings))  # type: ignore[arg-type]


def body(conv: Conversation, model: str = "grok-2-1212", **kwargs: object) -> dict[str, object]:
    return build_chat_request(conv, model=model, model_info=MODELS.get(model), now=NOW, **kwargs)  # type: ignore[arg-type]


def test_datetime_line_shows_the_offset() -> None:
    assert datetime_line(NOW) == "Current date and time: 2026-11-26 09:30 (UTC+00:00)"
    india = datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert datetime_line(india) == "Current date and time: 2026-01-02 03:04 (UTC+05:30)"
    pacific = datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-8)))
    assert datetime_line(pacific).endswith("(UTC-08:00)")


def test_system_prompt_with_date_line_comes_first() -> None:
    conv = conversation(Message.text(Role.USER, "Hi"), system_prompt="Be brief.", add_datetime=True)
    messages = body(conv)["messages"]
    assert messages == [
        {"role": "system", "content": "Be brief.\n\nCurrent date and time: 2026-11-26 09:30 (UTC+00:00)"},
        {"role": "user", "content": "Hi"},
    ]
    assert system_prompt_text(conv.settings, NOW) == messages[0]["content"]  # type: ignore[index]


def test_no_empty_system_prompt() -> None:
    conv = conversation(Message.text(Role.USER, "Hi"), system_prompt="  \n")
    assert body(conv)["messages"] == [{"role": "user", "content": "Hi"}]


def test_date_line_alone_is_the_system_prompt() -> None:
    conv = conversation(Message.text(Role.USER, "Hi"), add_datetime=True)
    assert body(conv)["messages"][0] == {  # type: ignore[index]
        "role": "system",
        "content": "Current date and time: 2026-11-26 09:30 (UTC+00:00)",
    }


def test_roles_in_any_order_notices_left_out() -> None:
    conv = conversation(
        Message.text(Role.ASSISTANT, "Prefilled example."),
        Message.text(Role.USER, "Question"),
        Message.text(Role.NOTICE, "Connection lost. Retry?"),
        Message.text(Role.SYSTEM, "A note in the middle."),
        Message.text(Role.ASSISTANT, "Answer"),
        Message.text(Role.USER, "Next"),
    )
    assert [(m["role"], m["content"]) for m in body(conv)["messages"]] == [  # type: ignore[attr-defined]
        ("assistant", "Prefilled example."),
        ("user", "Question"),
        ("system", "A note in the middle."),
        ("assistant", "Answer"),
        ("user", "Next"),
    ]


def test_empty_messages_and_empty_assistant_turns_are_not_replayed() -> None:
    conv = conversation(
        Message.text(Role.USER, "Question"),
        Message(Role.ASSISTANT, [], reasoning="thought a lot"),  # only reasoning: a 400
        Message.text(Role.ASSISTANT, "   "),
        Message(Role.USER, [TextPart(""), TextPart("Again")]),
    )
    assert body(conv)["messages"] == [
        {"role": "user", "content": "Question"},
        {"role": "user", "content": "Again"},
    ]


def test_text_and_images_interleaved_in_order_with_mime_and_detail() -> None:
    jpeg = image("JPEG", "a.png", ImageDetail.HIGH)  # named .png, really a JPEG
    png = image("PNG", "b.jpg", ImageDetail.LOW)
    conv = conversation(Message(Role.USER, [TextPart("Compare"), jpeg, TextPart("with"), png, TextPart("?")]))
    content = body(conv, "grok-2-vision-1212")["messages"][0]["content"]  # type: ignore[index]
    assert [p["type"] for p in content] == ["text", "image_url", "text", "image_url", "text"]
    assert [p.get("text") for p in content if p["type"] == "text"] == ["Compare", "with", "?"]
    first, second = (p["image_url"] for p in content if p["type"] == "image_url")
    assert first["url"].startswith("data:image/jpeg;base64,")
    assert first["detail"] == "high"
    assert base64.b64decode(first["url"].split(",", 1)[1]) == jpeg.data
    assert second["url"].startswith("data:image/png;base64,")
    assert second["detail"] == "low"


def test_image_first_then_text() -> None:
    conv = conversation(Message(Role.USER, [image("PNG", "x.png"), TextPart("What is this?")]))
    content = body(conv, "grok-2-vision-1212")["messages"][0]["content"]  # type: ignore[index]
    assert [p["type"] for p in content] == ["image_url", "text"]


def test_rejected_images_are_left_out_and_the_message_stays() -> None:
    bad = replace(image("PNG", "bad.png"), rejected="Invalid PNG image.")
    good = image("JPEG", "good.jpg")
    conv = conversation(
        Message(Role.USER, [TextPart("Look"), bad]),
        Message.text(Role.ASSISTANT, "I could not see it."),
        Message(Role.USER, [bad, good, TextPart("And this one?")]),
        Message(Role.USER, [bad]),
    )
    messages = body(conv, "grok-2-vision-1212")["messages"]
    assert messages[0] == {"role": "user", "content": "Look"}  # type: ignore[index]
    assert [p["type"] for p in messages[2]["content"]] == ["image_url", "text"]  # type: ignore[index]
    assert len(messages) == 3  # type: ignore[arg-type]


def test_streaming_asks_for_usage() -> None:
    conv = conversation(Message.text(Role.USER, "Hi"))
    streamed = body(conv)
    assert streamed["stream"] is True
    assert streamed["stream_options"] == {"include_usage": True}
    assert "stream_options" not in body(conv, stream=False)
    assert "stream_options" not in body(conv, include_usage=False)


def test_parameters_only_when_set() -> None:
    conv = conversation(Message.text(Role.USER, "Hi"))
    assert set(body(conv)) == {"model", "messages", "stream", "stream_options"}


def test_parameters_only_when_supported() -> None:
    settings = {"temperature": 0.3, "max_completion_tokens": 500, "reasoning_effort": "high"}
    conv = conversation(Message.text(Role.USER, "Hi"), **settings)
    mini = body(conv, "grok-3-mini")
    assert (mini["temperature"], mini["max_completion_tokens"], mini["reasoning_effort"]) == (
        0.3,
        500,
        "high",
    )
    grok4 = body(conv, "grok-4-0709")
    assert "reasoning_effort" not in grok4
    assert grok4["temperature"] == 0.3
    assert "reasoning_effort" not in body(conv, "grok-2-1212")
    # An effort the model does not know is not sent either.
    conv.settings.reasoning_effort = "medium"
    assert "reasoning_effort" not in body(conv, "grok-3-mini")
    assert body(conv, "grok-4.3")["reasoning_effort"] == "medium"


def test_model_name_without_info_uses_the_table() -> None:
    conv = conversation(Message.text(Role.USER, "Hi"), reasoning_effort="low")
    sent = build_chat_request(conv, model="grok-3-mini-latest", model_info=None, now=NOW)
    assert sent["model"] == "grok-3-mini-latest"
    assert sent["reasoning_effort"] == "low"


def test_drop_oldest_keeps_system_prompt_and_leading_system_messages() -> None:
    conv = conversation(
        Message.text(Role.SYSTEM, "Standing context."),
        Message.text(Role.USER, "one"),
        Message.text(Role.ASSISTANT, "two"),
        Message.text(Role.NOTICE, "ignored"),
        Message.text(Role.USER, "three"),
        system_prompt="Prompt",
    )
    contents = [m["content"] for m in body(conv, drop_oldest=2)["messages"]]  # type: ignore[attr-defined]
    assert contents == ["Prompt", "Standing context.", "three"]
    assert [m["content"] for m in request_messages(conv, now=NOW, drop_oldest=0)] == [
        "Prompt",
        "Standing context.",
        "one",
        "two",
        "three",
    ]


def test_summary_request_carries_the_transcript() -> None:
    conv = conversation(
        Message.text(Role.USER, "Plan a trip to Oslo"),
        Message(Role.USER, [image("PNG", "map.png"), TextPart("Here is the map")]),
        Message.text(Role.NOTICE, "Rate limited"),
        Message.text(Role.ASSISTANT, "Take the train."),
    )
    request = build_summary_request(conv, "grok-3")
    system, user = request["messages"]
    assert system["role"] == "system"
    assert "Summarize" in system["content"]
    assert user["content"] == (
        "User: Plan a trip to Oslo\n\nUser: [image: map.png]Here is the map\n\nAssistant: Take the train."
    )
    assert request["model"] == "grok-3"
    assert request["stream_options"] == {"include_usage": True}


def test_images_for_a_text_only_model_are_found_before_sending() -> None:
    picture = image("PNG", "chart.png")
    rejected = replace(image("PNG", "old.png"), rejected="Invalid PNG image.")
    conv = conversation(
        Message(Role.USER, [TextPart("Look"), picture, rejected]), Message.text(Role.NOTICE, "x")
    )
    assert unsendable_images(conv, MODELS["grok-3"]) == [picture]
    assert unsendable_images(conv, MODELS["grok-2-vision-1212"]) == []
    assert unsendable_images(conv, None) == []
