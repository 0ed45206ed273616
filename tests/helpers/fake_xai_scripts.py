"""What the fake xAI server says: its models, the scripts a test queues, and the
body shapes it builds, as recorded from xAI (2024-2026).

A script is consumed by the next request to its path (chat completions by default).
"""

from __future__ import annotations

import json
import re
import time
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from tests.helpers.fake_xai_images import ImageReply

TEAM_ID = "5ea6f6bd-7815-4b8a-9135-28b2d7ba6722"
FINGERPRINT = "fp_fake0001"

# -- models ---------------------------------------------------------------------------


@dataclass
class FakeModel:
    id: str
    aliases: list[str] = field(default_factory=list)
    input_modalities: list[str] = field(default_factory=lambda: ["text"])
    output_modalities: list[str] = field(default_factory=lambda: ["text"])
    # Streams `reasoning_content` before the answer (only grok-3-mini does in Chat Completions).
    reasoning: bool = False
    context_length: int = 131072
    prompt_price: int = 20000
    cached_price: int = 5000
    image_price: int = 0
    completion_price: int = 100000
    created: int = 1743724800
    # Image-generation models: US cents per generated image.
    cents_per_image: float = 2

    @property
    def generates_images(self) -> bool:
        return "image" in self.output_modalities

    @property
    def takes_images(self) -> bool:
        return "image" in self.input_modalities

    def language_model(self) -> dict[str, Any]:
        """A `/v1/language-models` entry (every field the API marks required)."""
        return {
            "id": self.id,
            "fingerprint": FINGERPRINT,
            "created": self.created,
            "object": "model",
            "owned_by": "xai",
            "version": "1.0.0",
            "input_modalities": list(self.input_modalities),
            "output_modalities": list(self.output_modalities),
            "prompt_text_token_price": self.prompt_price,
            "cached_prompt_text_token_price": self.cached_price,
            "prompt_image_token_price": self.image_price,
            "completion_text_token_price": self.completion_price,
            "search_price": 250000000,
            "aliases": list(self.aliases),
        }

    def openai_model(self, style: str) -> dict[str, Any]:
        """A `/v1/models` entry: the bare OpenAI shape ("2025") or with the 2026 extra fields."""
        entry: dict[str, Any] = {"id": self.id, "created": self.created, "object": "model", "owned_by": "xai"}
        if style == "2026":
            entry.update(
                aliases=list(self.aliases),
                context_length=None if self.generates_images else self.context_length,
                prompt_text_token_price=self.prompt_price,
                cached_prompt_text_token_price=self.cached_price,
                prompt_image_token_price=self.image_price,
                completion_text_token_price=self.completion_price,
                long_context_threshold=None,
                image_price=7000 if self.generates_images else None,
            )
        return entry


def default_models() -> list[FakeModel]:
    return [
        FakeModel(
            "grok-3",
            ["grok-3-latest", "grok-3-beta"],
            prompt_price=30000,
            cached_price=7500,
            completion_price=150000,
        ),
        FakeModel(
            "grok-3-mini",
            ["grok-3-mini-latest", "grok-3-mini-beta"],
            reasoning=True,
            prompt_price=3000,
            cached_price=750,
            completion_price=5000,
        ),
        FakeModel(
            "grok-2-vision-1212",
            ["grok-2-vision", "grok-2-vision-latest"],
            input_modalities=["text", "image"],
            context_length=32768,
            image_price=20000,
            created=1733961600,
        ),
        FakeModel(
            "grok-4.3",
            ["grok-4.3-latest"],
            input_modalities=["text", "image"],
            context_length=1000000,
            prompt_price=30000,
            image_price=30000,
            completion_price=150000,
            created=1770000000,
        ),
        FakeModel(
            "grok-2-image-1212",
            ["grok-2-image"],
            output_modalities=["image"],
            created=1736726400,
            cents_per_image=7,
        ),
        FakeModel(
            "grok-imagine-image",
            [],
            input_modalities=["text", "image"],
            output_modalities=["image"],
            created=1770000000,
            cents_per_image=2,
        ),
    ]


# -- scripts ----------------------------------------------------------------------------


@dataclass
class Reply:
    """A normal answer. `text=None` echoes the last user message ("Echo: ...").

    usage_style: "final" (a usage chunk with `choices: []` when include_usage is asked,
    the 2025 shape), "before_last" (that chunk followed by one more empty-choices chunk,
    seen in Nov 2025), "per_chunk" (the Nov 2024 shape: cumulative usage and role on every
    chunk, finish_reason on the last text chunk), "none".
    """

    text: str | None = None
    reasoning: str | None = None  # None: a default for reasoning models, "" for others
    chunk_delay: float = 0.0
    usage_style: str = "final"
    finish_reason: str | None = "stop"
    empty_deltas: int = 0  # empty `{"delta":{}}` chunks between reasoning and answer (~50 seen)
    comments: bool = False  # `: keepalive` comment lines between events
    send_done: bool = True
    model: str | None = None  # the model name the answer reports; default the canonical id
    ignore_stream: bool = False  # answer one JSON body even to `stream: true`, as some servers do


@dataclass
class Error:
    """An HTTP error answer. `body` None: the recorded body for that status."""

    status: int
    body: dict[str, Any] | str | None = None
    retry_after: float | str | None = None


@dataclass
class StreamError:
    """A 200 stream carrying `after_chunks` chunks, then an error object (seen from xAI, Nov 2025)."""

    after_chunks: int = 0
    body: dict[str, Any] | None = None


@dataclass
class DropAfter:
    """Closes the connection after `chunks` stream chunks, mid-body."""

    chunks: int


@dataclass
class StallAfter:
    """Stops after `chunks` stream chunks and keeps the socket open until `release()` or the
    client closes; after a release the rest of the reply follows."""

    chunks: int


@dataclass
class Malformed:
    """`after` good chunks, then a `data:` line that is not JSON."""

    after: int = 0


@dataclass
class NeverAnswer:
    """Reads the request and answers nothing until the client gives up (or `release()`)."""


@dataclass
class CloseWithoutAnswer:
    """Closes the connection without a byte: a connection failure before the first byte."""


@dataclass
class RefuseStreamOptions:
    """400 `Argument not supported: stream_options` if the request has it (xAI did, April 2025)."""


@dataclass
class RawStream:
    """A 200 SSE body written exactly: dicts as `data: <json>` events, strings as they are.
    `stall_after`: after that many events, wait as StallAfter does until `release()`."""

    events: list[dict[str, Any] | str]
    chunk_delay: float = 0.0
    stall_after: int | None = None


Script = (
    Reply
    | Error
    | StreamError
    | DropAfter
    | StallAfter
    | Malformed
    | NeverAnswer
    | CloseWithoutAnswer
    | RefuseStreamOptions
    | RawStream
    | ImageReply
)

# -- recorded bodies (as xAI sent them) ----------------------------------------------------

INVALID = "Client specified an invalid argument"


def mask(key: str) -> str:
    """The server's masking: first 2 characters, `***`, last 2."""
    return f"{key[:2]}***{key[-2:]}"


def bad_key_body(sent_key: str) -> dict[str, Any]:
    return {
        "code": INVALID,
        "error": f"Incorrect API key provided: {mask(sent_key)}. "
        "You can obtain an API key from https://console.x.ai.",
    }


# Never recorded: an invented but plausible body.
MISSING_KEY_BODY = {
    "code": "The request does not have valid authentication credentials for the operation",
    "error": "No API key was provided. Send it as `Authorization: Bearer <key>`.",
}
EMPTY_MESSAGE_BODY = {
    "code": INVALID,
    "error": "An empty message was provided. Every message needs at least one non-empty content element.",
}
IMAGE_NOT_SUPPORTED_BODY = {
    "code": INVALID,
    "error": "Invalid request content: Image inputs are not supported by this model.",
}
NOT_JPEG_OR_PNG_BODY = {
    "code": INVALID,
    "error": "Invalid request content: Downloaded response does not contain a valid JPG or PNG image.",
}
UNDECODABLE_IMAGE_BODY = {"code": INVALID, "error": "Base64 string of provided image cannot be decoded."}
STREAM_OPTIONS_BODY = {"code": "invalid-argument", "error": "Argument not supported: stream_options"}
NO_ROUTE_BODY = {
    "code": "Some requested entity was not found",
    "error": "No handler found on route. Please double check your URL and consult "
    "https://api.x.ai/docs for more information.",
}
STREAM_ERROR_BODY = {
    "code": "The service is currently unavailable",
    "error": "Timed out waiting for first token",
}


def unknown_model_body(model: str) -> dict[str, Any]:
    return {
        "code": "not-found",
        "error": f"The model {model} does not exist or your team {TEAM_ID} does not have access to it. "
        "If you believe this is a mistake, please contact support and quote your team ID and the model name.",
    }


def prompt_too_long_body(limit: int, tokens: int) -> dict[str, Any]:
    return {
        "code": INVALID,
        "error": f"This model's maximum prompt length is {limit} but the request contains {tokens} tokens.",
    }


def default_error_body(status: int) -> dict[str, Any] | str:
    if status == 429:
        return {
            "code": "resource-exhausted",
            "error": f"Too many requests for team {TEAM_ID} and model grok-3. Your team's rate limit is "
            "— Requests per Second (actual/limit): 2/2.",
        }
    if status == 503:
        return {
            "code": "The service is currently unavailable",
            "error": "Service temporarily unavailable. The model is at capacity and currently cannot "
            "serve this request. Please try again later.",
        }
    if status == 403:
        return {
            "code": "The caller does not have permission to execute the specified operation",
            "error": "Your newly created team doesn't have any credits or licenses yet. You can purchase "
            f"those on https://console.x.ai/team/{TEAM_ID}.",
        }
    if status == 404:
        return NO_ROUTE_BODY
    if status in (502, 504):
        return f"<html><body><h1>{status}</h1>Cloudflare: the origin did not answer.</body></html>"
    if status >= 500:
        return {"code": "Internal error", "error": "An internal error occurred."}
    return {"code": INVALID, "error": "The request is invalid."}


# -- tokens, usage, replies ------------------------------------------------------------

_TOKEN = re.compile(r"\s*\S+|\s+$")
IMAGE_TOKENS = 256


def split_tokens(text: str) -> list[str]:
    """Word-sized tokens that keep their leading space, so joining them gives the text back."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(text.split())


def tokenize_body(text: str) -> dict[str, Any]:
    tokens = split_tokens(text)
    return {
        "token_ids": [
            {
                "token_id": zlib.crc32(t.encode()) % 131072,
                "string_token": t,
                "token_bytes": list(t.encode()),
            }
            for t in tokens
        ]
    }


def tokenize_json(text: str) -> bytes:
    """`tokenize_body(text)` as json.dumps writes it, built from each distinct token's
    piece: the fake server runs in the tests' process, and serialising a megabyte's
    tokens there held the interpreter lock ~0.1 s, a stall the app would never see from
    the real server."""
    pieces: dict[str, str] = {}
    out = []
    for token in split_tokens(text):
        piece = pieces.get(token)
        if piece is None:
            piece = json.dumps(
                {
                    "token_id": zlib.crc32(token.encode()) % 131072,
                    "string_token": token,
                    "token_bytes": list(token.encode()),
                }
            )
            pieces[token] = piece
        out.append(piece)
    return ('{"token_ids": [' + ", ".join(out) + "]}").encode()


def usage_body(prompt: int, completion: int, reasoning: int, images: int = 0) -> dict[str, Any]:
    # Reasoning tokens are outside completion_tokens but inside total_tokens.
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion + reasoning,
        "prompt_tokens_details": {
            "text_tokens": prompt - images,
            "audio_tokens": 0,
            "image_tokens": images,
            "cached_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        "num_sources_used": 0,
    }


def response_id() -> str:
    return f"{uuid.uuid4()}_us-east-1"


def completion_body(
    model: str, text: str, reasoning: str, finish_reason: str | None, usage: dict[str, Any]
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if reasoning:
        message["reasoning_content"] = reasoning
    return {
        "id": response_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage,
        "system_fingerprint": FINGERPRINT,
    }


def stream_chunks(  # noqa: PLR0917
    reply: Reply,
    model: str,
    text: str,
    reasoning: str,
    prompt_tokens: int,
    include_usage: bool,
    image_tokens: int = 0,
) -> list[dict[str, Any]]:
    """The chunks of one streamed reply in the shape `reply.usage_style` asks for."""
    base = {
        "id": response_id(),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    pieces: list[tuple[str, str]] = [("reasoning_content", t) for t in split_tokens(reasoning)]
    pieces += [("", "")] * reply.empty_deltas
    pieces += [("content", t) for t in split_tokens(text)]
    per_chunk = reply.usage_style == "per_chunk"
    chunks: list[dict[str, Any]] = []
    said = thought = 0
    for i, (kind, token) in enumerate(pieces):
        delta: dict[str, Any] = {kind: token} if kind else {}
        if i == 0 or per_chunk:
            delta["role"] = "assistant"
        choice: dict[str, Any] = {"index": 0, "delta": delta}
        chunk: dict[str, Any] = {**base, "choices": [choice], "system_fingerprint": FINGERPRINT}
        said += kind == "content"
        thought += kind == "reasoning_content"
        if per_chunk:
            # Nov 2024: cumulative usage on every chunk, finish_reason on the last text chunk.
            chunk["usage"] = usage_body(prompt_tokens, said, thought, image_tokens)
            if i == len(pieces) - 1 and reply.finish_reason:
                choice["finish_reason"] = reply.finish_reason
        elif include_usage and reply.usage_style != "none":
            chunk["usage"] = None
        chunks.append(chunk)
    if reply.finish_reason and not (per_chunk and pieces):
        chunks.append(
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}],
                "system_fingerprint": FINGERPRINT,
            }
        )
    if include_usage and reply.usage_style in ("final", "before_last"):
        usage = usage_body(prompt_tokens, said, thought, image_tokens)
        chunks.append({**base, "choices": [], "usage": usage, "system_fingerprint": FINGERPRINT})
        if reply.usage_style == "before_last":
            chunks.append({**base, "choices": [], "system_fingerprint": FINGERPRINT})
    return chunks
