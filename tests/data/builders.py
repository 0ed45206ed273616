"""Builders of realistic domain objects for the storage tests: real PNG/JPEG bytes made with Pillow."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from grokdesk.core.conversation import (
    Conversation,
    ConversationSettings,
    ImageDetail,
    ImagePart,
    Message,
    MessageState,
    Role,
    TextPart,
    Usage,
)


def image_bytes(
    color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (32, 24), fmt: str = "PNG"
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def image_part(
    color: tuple[int, int, int] = (200, 30, 30),
    size: tuple[int, int] = (32, 24),
    *,
    name: str = "red.png",
    fmt: str = "PNG",
    detail: ImageDetail = ImageDetail.AUTO,
    rejected: str | None = None,
) -> ImagePart:
    data = image_bytes(color, size, fmt)
    return ImagePart(
        sha256=hashlib.sha256(data).hexdigest(),
        mime="image/png" if fmt == "PNG" else "image/jpeg",
        name=name,
        width=size[0],
        height=size[1],
        data=data,
        detail=detail,
        rejected=rejected,
    )


def rich_conversation(title: str = "Cats and the Eiffel tower") -> Conversation:
    """A conversation using every field the store keeps."""
    photo = image_part(name="cat.png", detail=ImageDetail.HIGH)
    chart = image_part((10, 120, 240), (40, 40), name="chart.jpg", fmt="JPEG", rejected="Image too large")
    return Conversation(
        title=title,
        model="grok-4",
        settings=ConversationSettings(
            system_prompt="Answer briefly.",
            add_datetime=False,
            temperature=0.3,
            max_completion_tokens=900,
            reasoning_effort="high",
        ),
        created_at=1_700_000_000.5,
        updated_at=1_700_000_100.25,
        pinned=True,
        messages=[
            Message(Role.SYSTEM, [TextPart("Answer briefly.")], created_at=1_700_000_000.5),
            Message(
                Role.USER,
                [TextPart("What is in this photo?"), photo, TextPart("And this chart?"), chart],
                created_at=1_700_000_010.0,
            ),
            Message(
                Role.ASSISTANT,
                [TextPart("A tabby cat sitting near the Eiffel tower.")],
                created_at=1_700_000_020.0,
                model="grok-4-0709",
                finish_reason="stop",
                usage=Usage(
                    prompt_tokens=812,
                    completion_tokens=12,
                    reasoning_tokens=140,
                    cached_tokens=5,
                    image_tokens=256,
                    total_tokens=964,
                ),
                reasoning="The image shows a cat; the tower is in the back.",
            ),
            Message(
                Role.NOTICE, [TextPart("Connection lost; the reply was kept.")], created_at=1_700_000_030.0
            ),
            Message(
                Role.ASSISTANT,
                [TextPart("Partial ans")],
                created_at=1_700_000_040.0,
                model="grok-4-0709",
                state=MessageState.FAILED,
                error="The server closed the connection.",
            ),
        ],
    )
