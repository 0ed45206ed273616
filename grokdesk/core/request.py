"""Building the request body (chat completions or Responses) from a conversation.

The request carries exactly the messages the transcript shows, in order, minus
notices, rejected images and anything empty (the API answers an empty message,
or an assistant turn with only reasoning, with a 400; a refused image would fail
every later turn). Parameters go out only when set and accepted by the model
(the parameter table in core.catalog).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from grokdesk.core.catalog import reasoning_efforts, supported_params
from grokdesk.core.conversation import Conversation, ConversationSettings, ImagePart, Message, Role, TextPart
from grokdesk.core.images import data_url
from grokdesk.core.imagetool import IMAGE_TOOL
from grokdesk.core.models import ModelInfo
from grokdesk.core.tools import tools_array

JsonDict = dict[str, Any]

SUMMARY_INSTRUCTION = (
    "Summarize the conversation below so that it can be continued in a new conversation. "
    "Keep every fact, decision, open question, name, number and piece of code that later turns "
    "may need; leave out pleasantries. Write the summary in the language of the conversation."
)


def datetime_line(now: datetime) -> str:
    """The line added to the system prompt; the UI shows the same text.

    A naive `now` is taken as local time.
    """
    aware = now if now.tzinfo is not None else now.astimezone()
    offset = aware.strftime("%z") or "+0000"
    return f"Current date and time: {aware:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def system_prompt_text(settings: ConversationSettings, now: datetime | None = None) -> str:
    """The system prompt as sent: the user's text, then the date line when enabled."""
    pieces = []
    if settings.system_prompt.strip():
        pieces.append(settings.system_prompt.strip())
    if settings.add_datetime:
        pieces.append(datetime_line(now or datetime.now().astimezone()))
    return "\n\n".join(pieces)


def message_payload(message: Message) -> JsonDict | None:
    """One message as the API takes it, or None when nothing in it may be sent.

    Text-only messages become a plain string (grok-beta rejected more than one
    text element); with images, text and image parts keep their order.
    """
    if not message.role.is_sent:
        return None
    parts: list[TextPart | ImagePart] = []
    for part in message.parts:
        if isinstance(part, ImagePart):
            # A rejected image would fail every later turn. Images in a reply were
            # generated; a model is shown one only when the user attaches it to a turn.
            if part.rejected is None and message.role is not Role.ASSISTANT:
                parts.append(part)
        elif part.text.strip():  # empty content is a 400
            parts.append(part)
    if not parts:
        return None
    if all(isinstance(p, TextPart) for p in parts):
        text = "\n\n".join(p.text for p in parts if isinstance(p, TextPart))
        return {"role": message.role.value, "content": text}
    content: list[JsonDict] = []
    for part in parts:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        else:
            content.append(
                {"type": "image_url", "image_url": {"url": data_url(part), "detail": part.detail.value}}
            )
    return {"role": message.role.value, "content": content}


def request_messages(
    conversation: Conversation, *, now: datetime | None = None, drop_oldest: int = 0
) -> list[JsonDict]:
    """The `messages` array: system prompt first, then the transcript's messages.

    The leading system messages (the prompt from the settings and any system
    messages at the very start of the conversation) always stay; `drop_oldest`
    leaves out that many of the oldest messages after them ("leave out
    the oldest turns"; see budget.fit_to_window, which counts the same way).
    """
    messages: list[JsonDict] = []
    prompt = system_prompt_text(conversation.settings, now)
    if prompt:
        messages.append({"role": "system", "content": prompt})
    sent = [p for p in map(message_payload, conversation.messages) if p is not None]
    lead = leading_system_count(m["role"] for m in sent)
    return messages + sent[:lead] + sent[lead + max(0, drop_oldest) :]


def leading_system_count(roles: Iterable[str]) -> int:
    """How many system messages open the request (given the roles of what is sent, in
    order). These always stay when the oldest turns are left out: the request, the
    context meter, the fit to a window and the transcript's cut mark count them here."""
    count = 0
    for role in roles:
        if role != Role.SYSTEM:
            break
        count += 1
    return count


def build_chat_request(
    conversation: Conversation,
    *,
    model: str,
    model_info: ModelInfo | None,
    now: datetime | None = None,
    stream: bool = True,
    include_usage: bool = True,
    drop_oldest: int = 0,
) -> JsonDict:
    """The JSON body for POST /v1/chat/completions."""
    body: JsonDict = {
        "model": model,
        "messages": request_messages(conversation, now=now, drop_oldest=drop_oldest),
        "stream": stream,
    }
    if stream and include_usage:
        # Usage then arrives in one extra chunk with `"choices": []` before [DONE].
        body["stream_options"] = {"include_usage": True}
    body.update(_parameters(conversation.settings, model_info or model))
    return body


def _parameters(settings: ConversationSettings, model: ModelInfo | str) -> JsonDict:
    # Only what is set and accepted: a rejected parameter is a 400
    # (e.g. "Argument not supported on this model: reasoning_effort").
    accepted = supported_params(model)
    params: JsonDict = {}
    if settings.temperature is not None and "temperature" in accepted:
        params["temperature"] = settings.temperature
    if settings.max_completion_tokens is not None and "max_completion_tokens" in accepted:
        params["max_completion_tokens"] = settings.max_completion_tokens
    effort = settings.reasoning_effort
    if effort and "reasoning_effort" in accepted and effort in reasoning_efforts(model):
        params["reasoning_effort"] = effort
    return params


def unsendable_images(conversation: Conversation, model_info: ModelInfo | None) -> list[ImagePart]:
    """Images the next request would carry to a model without image input (the
    server answers a 400 "Image inputs are not supported by this model"); empty when the model
    takes images or is unknown."""
    if model_info is None or model_info.takes_images:
        return []
    return [
        part
        for message in conversation.messages
        if message.role.is_sent
        for part in message.parts
        if isinstance(part, ImagePart) and part.rejected is None
    ]


def transcript_text(conversation: Conversation) -> str:
    """The conversation as plain text with role labels; images as placeholders."""
    blocks = []
    for message in conversation.messages:
        if not message.role.is_sent:
            continue
        pieces = [p.text if isinstance(p, TextPart) else f"[image: {p.name}]" for p in message.parts]
        text = "".join(pieces).strip()
        if text:
            blocks.append(f"{message.role.value.capitalize()}: {text}")
    return "\n\n".join(blocks)


def build_summary_request(
    conversation: Conversation, model: str, *, stream: bool = True, include_usage: bool = True
) -> JsonDict:
    """A request asking the model for a summary to start a new conversation with."""
    body: JsonDict = {
        "model": model,
        "messages": [
            {"role": "system", "content": SUMMARY_INSTRUCTION},
            {"role": "user", "content": transcript_text(conversation) or "(The conversation is empty.)"},
        ],
        "stream": stream,
    }
    if stream and include_usage:
        body["stream_options"] = {"include_usage": True}
    return body


def build_summary_responses_request(conversation: Conversation, model: str) -> JsonDict:
    """The summary request of `build_summary_request` for POST /v1/responses: one whole
    answer, stored nowhere on the server."""
    chat = build_summary_request(conversation, model, stream=False)
    return {"model": model, "input": chat["messages"], "stream": False, "store": False}


# -- the Responses API ------------------------------------------------------------------

# Encrypted reasoning comes back with each reply, so no response needs to be stored.
RESPONSES_INCLUDE = ("reasoning.encrypted_content",)


def response_input_item(message: Message) -> JsonDict | None:
    """One message as a Responses `input` item, or None when nothing in it may be sent."""
    payload = message_payload(message)
    if payload is None or isinstance(payload["content"], str):
        return payload
    content: list[JsonDict] = []
    for part in payload["content"]:
        if part["type"] == "text":
            content.append({"type": "input_text", "text": part["text"]})
        else:
            image = part["image_url"]
            content.append({"type": "input_image", "image_url": image["url"], "detail": image["detail"]})
    return {"role": payload["role"], "content": content}


def response_input(
    conversation: Conversation, *, model: str, now: datetime | None = None, drop_oldest: int = 0
) -> list[JsonDict]:
    """The `input` array: the whole conversation as the transcript holds it, every turn.

    An assistant reply's encrypted reasoning goes just before it, as the API returned
    them, but only to the model that wrote it (another model cannot read it).
    Leading system messages stay and `drop_oldest` counts messages, as in
    `request_messages`.
    """
    groups: list[list[JsonDict]] = []
    for message in conversation.messages:
        item = response_input_item(message)
        if item is None:
            continue
        group = [item]
        if message.role is Role.ASSISTANT and message.provider_items and message.model == model:
            group = [dict(i) for i in message.provider_items] + group
        groups.append(group)
    lead = 0
    while lead < len(groups) and groups[lead][-1]["role"] == "system":
        lead += 1
    kept = groups[:lead] + groups[lead + max(0, drop_oldest) :]
    items: list[JsonDict] = []
    prompt = system_prompt_text(conversation.settings, now)
    if prompt:
        items.append({"role": "system", "content": prompt})
    for group in kept:
        items.extend(group)
    return items


def build_responses_request(
    conversation: Conversation,
    *,
    model: str,
    model_info: ModelInfo | None,
    now: datetime | None = None,
    stream: bool = True,
    drop_oldest: int = 0,
) -> JsonDict:
    """The JSON body for POST /v1/responses: stateless (`store: false`), the conversation
    id as the prompt cache key, the tools the conversation turned on. Penalties and
    `stop` are never sent: the Responses API refuses them."""
    settings = conversation.settings
    body: JsonDict = {
        "model": model,
        "input": response_input(conversation, model=model, now=now, drop_oldest=drop_oldest),
        "stream": stream,
        "store": False,
        "include": list(RESPONSES_INCLUDE),
        "prompt_cache_key": conversation.id,
    }
    tools = tools_array(
        web=settings.web_search, x=settings.x_search, code=settings.code_execution, filters=settings.filters
    )
    if settings.image_generation:
        tools.append(dict(IMAGE_TOOL))
    if tools:
        body["tools"] = tools
    params = _parameters(settings, model_info or model)
    if "temperature" in params:
        body["temperature"] = params["temperature"]
    if "max_completion_tokens" in params:
        body["max_output_tokens"] = params["max_completion_tokens"]
    if "reasoning_effort" in params:
        body["reasoning"] = {"effort": params["reasoning_effort"]}
    return body
