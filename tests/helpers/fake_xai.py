"""A fake xAI API: a real HTTP/1.1 server on 127.0.0.1 in its own thread and asyncio loop.

It answers like the recorded API: the chat, model-list, tokenize and key routes,
the stream shapes xAI has sent, its error bodies, and its own checks (key, model,
empty messages, images, prompt length). Tests queue what the next request gets
(`script_next`, scripts in fake_xai_scripts.py) and read what it received
(`requests`, `count`, `any_request_to`, `streams`, `wait_for_client_close`).

`/v1/responses` is served too (fake_xai_responses.py): its parameter rules, its event
order, and the recorded streams in tests/data/responses/ (RawStream). A script queued
without a path goes to the next turn on either chat API (TURNS); `RecordedRequest.messages`
reads the conversation sent in either form.

    with FakeXai() as fake:                       # or the `fake_xai` fixture
        client = XaiClient(fake.base_url, fake.api_key)
        fake.script_next(Error(503), Reply(text="Hello"))
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import threading
import urllib.parse
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from tests.helpers.fake_xai_images import (
    EDIT_PATH,
    GENERATE_PATH,
    MODELS_PATH,
    TEMP_PREFIX,
    ImageEndpoints,
    ImageReply,
    image_model_entry,
)
from tests.helpers.fake_xai_responses import (
    STREAM_ERROR_EVENT,
    chat_messages,
    check_parameters,
    reply_events,
)
from tests.helpers.fake_xai_scripts import (
    EMPTY_MESSAGE_BODY,
    IMAGE_NOT_SUPPORTED_BODY,
    IMAGE_TOKENS,
    INVALID,
    MISSING_KEY_BODY,
    NO_ROUTE_BODY,
    NOT_JPEG_OR_PNG_BODY,
    STREAM_ERROR_BODY,
    STREAM_OPTIONS_BODY,
    TEAM_ID,
    UNDECODABLE_IMAGE_BODY,
    CloseWithoutAnswer,
    DropAfter,
    Error,
    FakeModel,
    Malformed,
    NeverAnswer,
    RawStream,
    RefuseStreamOptions,
    Reply,
    Script,
    StallAfter,
    StreamError,
    bad_key_body,
    completion_body,
    count_tokens,
    default_error_body,
    default_models,
    prompt_too_long_body,
    stream_chunks,
    tokenize_json,
    unknown_model_body,
    usage_body,
)

DEFAULT_API_KEY = "xai-test-key-0123456789abcdefghijklmnopqrstuvwxyz"
CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
# Not a route: "the next turn", whichever of the two chat APIs the client uses.
TURNS = "turns"
ROUTES = {
    ("GET", "/v1/models"),
    ("GET", "/v1/language-models"),
    ("POST", CHAT),
    ("POST", RESPONSES),
    ("POST", "/v1/tokenize-text"),
    ("GET", "/v1/api-key"),
    ("GET", MODELS_PATH),
    ("POST", GENERATE_PATH),
    ("POST", EDIT_PATH),
}
IMAGE_PATHS = (GENERATE_PATH, EDIT_PATH)
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# With chunk_delay 0, this many events share one HTTP chunk.
_BATCH = 64


@dataclass(frozen=True)
class RecordedRequest:
    index: int
    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lower-cased
    raw_body: bytes
    body: Any  # the parsed JSON, or None

    @property
    def json(self) -> dict[str, Any]:
        assert isinstance(self.body, dict), f"request {self.index} had no JSON object body"
        return self.body

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation sent, as chat-completion messages, whichever API carried it."""
        if self.path == RESPONSES:
            return chat_messages(self.json.get("input"))
        messages = self.json.get("messages")
        assert isinstance(messages, list)
        return messages


@dataclass
class StreamRecord:
    """One streamed answer: how far it got and who ended it."""

    request_index: int
    events_sent: int = 0
    completed: bool = False
    closed_by_client: bool = False


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    keep_alive: bool = True


@dataclass
class _Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    raw_body: bytes
    body: Any
    index: int = -1


class _ClientClosed(Exception):
    """The client closed the connection while we were answering."""


class _ServerDropped(Exception):
    """A DropAfter script cut the connection."""


def _cut_point(script: Script | None) -> int | None:
    """After how many chunks a script interrupts the stream; None when it does not."""
    match script:
        case StreamError(after_chunks=n) | DropAfter(chunks=n) | StallAfter(chunks=n) | Malformed(after=n):
            return n
        case RawStream(stall_after=int(n)):
            return n
    return None


class FakeXai:
    """See the module docstring. All public methods are safe to call from the test thread."""

    def __init__(self, api_key: str = DEFAULT_API_KEY, models: list[FakeModel] | None = None) -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self._closed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._release: asyncio.Event | None = None
        self.port = 0
        self.requested_port = 0  # 0: any free port
        self._initial_models = models
        self._set_defaults()

    def _set_defaults(self) -> None:
        self.models: list[FakeModel] = list(self._initial_models or default_models())
        # Per-model prompt limits; a model not listed uses its context_length.
        self.prompt_limits: dict[str, int] = {}
        self.models_style = "2026"  # "2025": /v1/models entries without the 2026 extra fields
        self.disabled_paths: set[str] = set()  # answered 404 like an unknown route
        self.key_info: dict[str, Any] = {}  # overrides of the /v1/api-key answer
        self._scripts: dict[str, deque[Script]] = {}
        self._requests: list[RecordedRequest] = []
        self.streams: list[StreamRecord] = []
        self.connections_accepted = 0
        self.images = ImageEndpoints()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeXai:
        self._thread = threading.Thread(target=self._run, name="fake-xai", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake xAI server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> FakeXai:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        connections: set[asyncio.Task[None]] = set()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            connections.add(task)
            with self._lock:
                self.connections_accepted += 1
            try:
                await self._serve_connection(_Connection(reader, writer))
            except asyncio.CancelledError:
                # Stopping the server cancels open connections. Python 3.11's stream
                # callback calls task.exception() on the task and logs the cancellation
                # as an error unless the task ends normally.
                writer.close()
            finally:
                connections.discard(task)

        async def boot() -> asyncio.Server:
            self._release = asyncio.Event()
            server = await asyncio.start_server(serve, "127.0.0.1", self.requested_port)
            self.port = server.sockets[0].getsockname()[1]
            return server

        server = loop.run_until_complete(boot())
        self._ready.set()
        loop.run_forever()

        async def shutdown() -> None:
            server.close()
            for task in list(connections):
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)
            await server.wait_closed()

        loop.run_until_complete(shutdown())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    # -- test API ---------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    def script_next(self, *scripts: Script, path: str = TURNS) -> None:
        """Queue what the next requests to `path` get, in order; afterwards the default.
        TURNS: the next chat turns, on /chat/completions or /responses alike."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(scripts)

    def pending_scripts(self, path: str = TURNS) -> int:
        with self._lock:
            return len(self._scripts.get(path, ()))

    def release(self) -> None:
        """Let every waiting StallAfter / NeverAnswer go on (later ones wait again)."""
        loop, event = self._loop, self._release
        if loop is not None and event is not None:

            def wake() -> None:
                event.set()  # wakes the current waiters at once;
                event.clear()  # later scripts wait for the next release

            loop.call_soon_threadsafe(wake)

    def reset(self) -> None:
        """Back to the defaults: no scripts, no records, default models and key info."""
        with self._lock:
            self._set_defaults()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        paths = (CHAT, RESPONSES) if path == TURNS else (path,)
        return [r for r in self.requests if r.path in paths]

    def count(self, path: str = TURNS) -> int:
        return len(self.requests_to(path))

    def any_request_to(self, path: str) -> bool:
        return any(r.path == path or r.path.startswith(path.rstrip("/") + "/") for r in self.requests)

    @property
    def last_request(self) -> RecordedRequest:
        requests = self.requests
        assert requests, "the fake server received no request"
        return requests[-1]

    def wait_for_client_close(self, timeout: float = 5.0) -> bool:
        """True once a client has closed a stream before its end (blocks up to `timeout`)."""
        with self._closed:
            return self._closed.wait_for(lambda: any(s.closed_by_client for s in self.streams), timeout)

    def model(self, name: str) -> FakeModel | None:
        """The model `name` refers to, by id or alias."""
        return next((m for m in self.models if name == m.id or name in m.aliases), None)

    # -- HTTP -------------------------------------------------------------------------------

    async def _serve_connection(self, conn: _Connection) -> None:
        try:
            while conn.keep_alive:
                request = await self._read_request(conn.reader)
                if request is None:
                    return
                conn.keep_alive = request.headers.get("connection", "").lower() != "close"
                await self._answer(conn, request)
        except (ConnectionError, asyncio.IncompleteReadError, _ClientClosed, _ServerDropped):
            pass
        finally:
            conn.writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await conn.writer.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader) -> _Request | None:
        line = await reader.readline()
        if not line.strip():
            return None
        words = line.decode("latin-1").split(" ", 2)
        if len(words) != 3 or not words[2].startswith("HTTP/1."):
            return None  # not HTTP (e.g. a TLS hello): hang up like a plain HTTP server would
        method, target, _version = words
        headers: dict[str, str] = {}
        while True:
            header = await reader.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        raw = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await reader.readline()
                    break
                raw += await reader.readexactly(size)
                await reader.readline()
        elif "content-length" in headers:
            raw = await reader.readexactly(int(headers["content-length"]))
        body: Any = None
        if raw:
            with contextlib.suppress(ValueError):
                body = json.loads(raw)
        url = urllib.parse.urlsplit(target)
        request = _Request(method, url.path, url.query, headers, raw, body)
        with self._lock:
            request.index = len(self._requests)
            self._requests.append(
                RecordedRequest(request.index, method, url.path, url.query, headers, raw, body)
            )
        return request

    async def _send_json(
        self,
        conn: _Connection,
        status: int,
        body: dict[str, Any] | str | bytes,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        """A JSON body (a dict, or bytes already encoded), or a str sent as an HTML page."""
        if isinstance(body, bytes):
            payload = body
        else:
            payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        kind = "text/html" if isinstance(body, str) else "application/json"
        headers = {"Content-Type": kind, "Content-Length": str(len(payload)), **(extra_headers or {})}
        if not conn.keep_alive:
            headers["Connection"] = "close"
        conn.writer.write(self._head(status, headers) + payload)
        await conn.writer.drain()

    @staticmethod
    def _head(status: int, headers: dict[str, str]) -> bytes:
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Unknown"
        lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers.items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _send_error(self, conn: _Connection, script: Error) -> None:
        body = script.body if script.body is not None else default_error_body(script.status)
        headers = {} if script.retry_after is None else {"Retry-After": str(script.retry_after)}
        await self._send_json(conn, script.status, body, headers)

    # -- routing ----------------------------------------------------------------------------

    def _pop_script(self, path: str) -> Script | None:
        with self._lock:
            queue = self._scripts.get(path)
            if not queue and path in (CHAT, RESPONSES):
                queue = self._scripts.get(TURNS)
            return queue.popleft() if queue else None

    async def _answer(self, conn: _Connection, request: _Request) -> None:
        route = (request.method, request.path)
        if request.method == "GET" and request.path.startswith(TEMP_PREFIX):
            await self._temp_image(conn, request.path)
            return
        if request.path in self.disabled_paths or request.path not in {p for _m, p in ROUTES}:
            await self._send_json(conn, 404, NO_ROUTE_BODY)
            return
        if route not in ROUTES:
            await self._send_json(conn, 405, {"code": "Method not allowed", "error": "Method not allowed."})
            return
        auth = request.headers.get("authorization", "")
        if not auth:
            await self._send_json(conn, 401, MISSING_KEY_BODY)
            return
        sent_key = auth.removeprefix("Bearer ").strip()
        if sent_key != self.api_key:
            await self._send_json(conn, 400, bad_key_body(sent_key))
            return
        if request.method == "POST" and not request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            await self._send_json(conn, 415, {"code": "Unsupported media type", "error": "Expected JSON."})
            return
        script = self._pop_script(request.path)
        if isinstance(script, Error):
            await self._send_error(conn, script)
            return
        if isinstance(script, CloseWithoutAnswer):
            conn.keep_alive = False
            return
        if isinstance(script, NeverAnswer):
            await self._wait_for_close_or_release(conn)
            conn.keep_alive = False
            return
        if request.path == CHAT:
            await self._chat(conn, request, script)
        elif request.path == RESPONSES:
            await self._responses(conn, request, script)
        elif request.path == "/v1/models":
            style = self.models_style
            await self._send_json(
                conn, 200, {"object": "list", "data": [m.openai_model(style) for m in self.models]}
            )
        elif request.path == "/v1/language-models":
            chat_models = [m.language_model() for m in self.models if not m.generates_images]
            await self._send_json(conn, 200, {"models": chat_models})
        elif request.path == "/v1/tokenize-text":
            await self._tokenize(conn, request)
        elif request.path == MODELS_PATH:
            entries = [
                image_model_entry(m.id, m.aliases, m.input_modalities, m.cents_per_image, m.created)
                for m in self.models
                if m.generates_images
            ]
            await self._send_json(conn, 200, {"models": entries})
        elif request.path in IMAGE_PATHS:
            await self._image_request(conn, request, script)
        else:
            await self._send_json(conn, 200, self._key_info())

    def _key_info(self) -> dict[str, Any]:
        return {
            "redacted_api_key": f"xai-...{self.api_key[-4:]}",
            "user_id": "59fbe5f2-040b-46d5-8325-868bb8f23eb2",
            "name": "Test key",
            "create_time": "2024-01-01T12:55:18.139305Z",
            "modify_time": "2024-08-28T17:20:12.343321Z",
            "modified_by": "3d38b4dc-4eb7-4785-ae26-c3fa8997ffc7",
            "team_id": TEAM_ID,
            "acls": ["api-key:model:*", "api-key:endpoint:*"],
            "api_key_id": "ae1e1841-4326-4b36-a8a9-8a1a7237db11",
            "team_blocked": False,
            "api_key_blocked": False,
            "api_key_disabled": False,
            **self.key_info,
        }

    async def _tokenize(self, conn: _Connection, request: _Request) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        model_name, text = body.get("model"), body.get("text")
        if not isinstance(text, str) or not isinstance(model_name, str):
            await self._send_json(
                conn, 400, {"code": "Client specified an invalid argument", "error": "Bad request."}
            )
            return
        if self.model(model_name) is None:
            await self._send_json(conn, 404, unknown_model_body(model_name))
            return
        await self._send_json(conn, 200, tokenize_json(text))

    # -- images -----------------------------------------------------------------------------

    async def _image_request(self, conn: _Connection, request: _Request, script: Script | None) -> None:
        body = request.body
        name = body.get("model") if isinstance(body, dict) else None
        model = self.model(name) if isinstance(name, str) else None
        if model is None or not model.generates_images:
            await self._send_json(conn, 404, unknown_model_body(str(name)))
            return
        problem = self.images.check(request.path, body, model.input_modalities, model.id)
        if problem is not None:
            await self._send_json(conn, 400, problem)
            return
        assert isinstance(body, dict)
        ticks = round(model.cents_per_image * 100_000_000)  # 1 cent = 10^8 ticks
        reply = script if isinstance(script, ImageReply) else None
        await self._send_json(conn, 200, self.images.answer(body, ticks, self.root_url, reply))

    async def _temp_image(self, conn: _Connection, path: str) -> None:
        data = self.images.fetch_temp(path)
        if data is None:
            await self._send_json(conn, 404, {"error": "This link has expired."})
            return
        headers = {"Content-Type": "image/jpeg", "Content-Length": str(len(data))}
        if not conn.keep_alive:
            headers["Connection"] = "close"
        conn.writer.write(self._head(200, headers) + data)
        await conn.writer.drain()

    # -- chat -------------------------------------------------------------------------------

    async def _chat(self, conn: _Connection, request: _Request, script: Script | None) -> None:
        body = request.body if isinstance(request.body, dict) else None
        if body is None:
            await self._send_json(
                conn, 400, {"code": "Client specified an invalid argument", "error": "Bad JSON."}
            )
            return
        if isinstance(script, RefuseStreamOptions):
            if body.get("stream_options") is not None:
                await self._send_json(conn, 400, STREAM_OPTIONS_BODY)
                return
            script = None
        problem, model, prompt_tokens, image_tokens = self._check_chat(body)
        if problem is not None:
            await self._send_json(conn, problem[0], problem[1])
            return
        assert model is not None
        reply = script if isinstance(script, Reply) else Reply()
        text = reply.text if reply.text is not None else self._echo(body)
        reasoning = reply.reasoning
        if reasoning is None:
            reasoning = (
                f"The user wrote {len(text.split())} words; I will echo them." if model.reasoning else ""
            )
        reported = reply.model or model.id
        if not body.get("stream") or reply.ignore_stream:
            if script is not None and not isinstance(script, Reply):
                await self._send_json(conn, 503, STREAM_ERROR_BODY)
                return
            usage = usage_body(prompt_tokens, count_tokens(text), count_tokens(reasoning), image_tokens)
            await self._send_json(
                conn, 200, completion_body(reported, text, reasoning, reply.finish_reason, usage)
            )
            return
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        chunks = stream_chunks(reply, reported, text, reasoning, prompt_tokens, include_usage, image_tokens)
        await self._stream(conn, request, reply, chunks, script)

    def _echo(self, body: dict[str, Any]) -> str:
        messages = [m for m in body.get("messages", []) if isinstance(m, dict) and m.get("role") == "user"]
        if not messages:
            return "Echo: (nothing)"
        content = messages[-1].get("content")
        if isinstance(content, str):
            return f"Echo: {content}"
        parts = content if isinstance(content, list) else []
        text = " ".join(p.get("text", "") for p in parts if isinstance(p, dict) and p.get("type") == "text")
        images = sum(1 for p in parts if isinstance(p, dict) and p.get("type") == "image_url")
        suffix = f" [{images} image{'s' if images != 1 else ''}]" if images else ""
        return f"Echo: {text}{suffix}"

    def _check_chat(
        self, body: dict[str, Any]
    ) -> tuple[tuple[int, dict[str, Any]] | None, FakeModel | None, int, int]:
        """(status and body of the refusal or None, model, prompt tokens, image tokens)."""
        name = body.get("model")
        model = self.model(name) if isinstance(name, str) else None
        if model is None or model.generates_images:
            return (404, unknown_model_body(str(name))), None, 0, 0
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return (400, EMPTY_MESSAGE_BODY), model, 0, 0
        words = images = 0
        for message in messages:
            content = message.get("content") if isinstance(message, dict) else None
            parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
            if not isinstance(parts, list):
                return (400, EMPTY_MESSAGE_BODY), model, 0, 0
            non_empty = False
            for part in parts:
                if not isinstance(part, dict):
                    continue
                if part.get("type") == "text" and isinstance(part.get("text"), str):
                    words += count_tokens(part["text"])
                    non_empty = non_empty or bool(part["text"].strip())
                elif part.get("type") == "image_url":
                    if not model.takes_images:
                        return (400, IMAGE_NOT_SUPPORTED_BODY), model, 0, 0
                    refusal = self._check_image(part.get("image_url"))
                    if refusal is not None:
                        return (400, refusal), model, 0, 0
                    images += 1
                    non_empty = True
            if not non_empty:
                return (400, EMPTY_MESSAGE_BODY), model, 0, 0
        prompt = words + images * IMAGE_TOKENS
        limit = self.prompt_limits.get(model.id, model.context_length)
        if prompt > limit:
            return (400, prompt_too_long_body(limit, prompt)), model, 0, 0
        return None, model, prompt, images * IMAGE_TOKENS

    @staticmethod
    def _check_image(image_url: object) -> dict[str, Any] | None:
        url = image_url.get("url") if isinstance(image_url, dict) else None
        if not isinstance(url, str) or not url:
            return NOT_JPEG_OR_PNG_BODY
        if not url.startswith("data:"):
            return None  # a remote URL: the real server would fetch it; the fake never does
        header, _, payload = url.partition(",")
        mime = header.removeprefix("data:").split(";")[0]
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            return UNDECODABLE_IMAGE_BODY
        if mime not in ("image/jpeg", "image/png"):
            return NOT_JPEG_OR_PNG_BODY
        if not (data.startswith(_JPEG_MAGIC) or data.startswith(_PNG_MAGIC)):
            return NOT_JPEG_OR_PNG_BODY
        return None

    # -- responses ------------------------------------------------------------------------

    async def _responses(self, conn: _Connection, request: _Request, script: Script | None) -> None:
        body = request.body if isinstance(request.body, dict) else None
        if body is None:
            await self._send_json(conn, 400, {"code": INVALID, "error": "Bad JSON."})
            return
        if isinstance(script, RefuseStreamOptions):
            script = None
        items = body.get("input")
        messages = chat_messages(items)
        if isinstance(items, list) and len(messages) != sum(
            1 for i in items if isinstance(i, dict) and i.get("type", "message") == "message"
        ):
            await self._send_json(conn, 400, EMPTY_MESSAGE_BODY)
            return
        problem, model, prompt_tokens, _image_tokens = self._check_chat({**body, "messages": messages})
        if problem is None and model is not None:
            problem = check_parameters(body, model.id)
        if problem is not None:
            await self._send_json(conn, problem[0], problem[1])
            return
        assert model is not None
        reply = script if isinstance(script, Reply) else Reply()
        text = reply.text if reply.text is not None else self._echo({"messages": messages})
        reasoning = reply.reasoning
        if reasoning is None:
            reasoning = (
                f"The user wrote {len(text.split())} words; I will echo them." if model.reasoning else ""
            )
        reported = reply.model or model.id
        events = reply_events(reply, reported, body, text, reasoning, prompt_tokens)
        if not body.get("stream") or reply.ignore_stream:
            if script is not None and not isinstance(script, Reply):
                await self._send_json(conn, 503, STREAM_ERROR_BODY)
                return
            await self._send_json(conn, 200, events[-1]["response"])
            return
        await self._stream(conn, request, reply, events, script)

    # -- streaming --------------------------------------------------------------------------

    async def _stream(
        self,
        conn: _Connection,
        request: _Request,
        reply: Reply,
        chunks: list[dict[str, Any]],
        script: Script | None,
    ) -> None:
        record = StreamRecord(request.index)
        with self._lock:
            self.streams.append(record)
        head = self._head(
            200,
            {
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "Transfer-Encoding": "chunked",
            },
        )
        conn.writer.write(head)
        writing = asyncio.create_task(self._write_events(conn, reply, chunks, script, record, request.path))
        # The client sends nothing while it reads an answer; EOF here means it closed.
        eof = asyncio.create_task(conn.reader.read(1))
        try:
            done, _ = await asyncio.wait({writing, eof}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Also when the server stops: no task may outlive this answer.
            for task in (writing, eof):
                task.cancel()
            outcome = await asyncio.gather(writing, eof, return_exceptions=True)
        failure = outcome[0] if writing in done else None
        if writing in done and failure is None:
            return
        if isinstance(failure, _ServerDropped):
            raise failure
        # The client went away: EOF seen, or a write failed.
        if not record.completed:
            with self._closed:
                record.closed_by_client = True
                self._closed.notify_all()
        raise _ClientClosed

    async def _write_events(  # noqa: PLR0917
        self,
        conn: _Connection,
        reply: Reply,
        chunks: list[dict[str, Any]],
        script: Script | None,
        record: StreamRecord,
        request_path: str = CHAT,
    ) -> None:
        events: list[str] = [f"data: {json.dumps(c)}\n\n" for c in chunks]
        delay = reply.chunk_delay
        if isinstance(script, RawStream):
            events = [e if isinstance(e, str) else f"data: {json.dumps(e)}\n\n" for e in script.events]
            delay = script.chunk_delay
        cut = _cut_point(script)
        if cut is not None and request_path == RESPONSES and not isinstance(script, RawStream):
            # Counted from the first streamed token, as on chat completions, so "after 3"
            # means three tokens of the reply arrived, not three lifecycle events.
            cut += next((i for i, c in enumerate(chunks) if c.get("type", "").endswith(".delta")), 0)
        if cut is not None:
            await self._write(conn, events[:cut], delay, record, reply.comments)
            if isinstance(script, StreamError):
                default = STREAM_ERROR_EVENT if request_path == RESPONSES else STREAM_ERROR_BODY
                body = script.body if script.body is not None else default
                await self._write(conn, [f"data: {json.dumps(body)}\n\n"], 0, record, False)
                await self._end_body(conn, record)
                return
            if isinstance(script, DropAfter):
                conn.keep_alive = False
                conn.writer.close()
                raise _ServerDropped
            if isinstance(script, Malformed):
                await self._write(
                    conn, ['data: {"id": "broken", "choices": [{"delta": \n\n'], 0, record, False
                )
            if isinstance(script, StallAfter | RawStream):
                await self._wait_for_release()
            events = events[cut:]
        if not isinstance(script, RawStream) and reply.send_done:
            events.append("data: [DONE]\n\n")
        await self._write(conn, events, delay, record, reply.comments)
        await self._end_body(conn, record)

    async def _write(
        self, conn: _Connection, events: list[str], delay: float, record: StreamRecord, comments: bool
    ) -> None:
        if comments:
            events = [": keepalive\n\n" + event for event in events]
        # Without a delay, events go out in batches, one HTTP chunk each, so huge replies stay fast.
        step = 1 if delay > 0 else _BATCH
        for start in range(0, len(events), step):
            data = "".join(events[start : start + step]).encode()
            conn.writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            record.events_sent += min(step, len(events) - start)
            await conn.writer.drain()
            if delay > 0:
                await asyncio.sleep(delay)

    async def _end_body(self, conn: _Connection, record: StreamRecord) -> None:
        conn.writer.write(b"0\r\n\r\n")
        await conn.writer.drain()
        record.completed = True

    async def _wait_for_release(self) -> None:
        assert self._release is not None
        await self._release.wait()

    async def _wait_for_close_or_release(self, conn: _Connection) -> None:
        release = asyncio.create_task(self._wait_for_release())
        eof = asyncio.create_task(conn.reader.read(1))
        await asyncio.wait({release, eof}, return_when=asyncio.FIRST_COMPLETED)
        for task in (release, eof):
            task.cancel()
        await asyncio.gather(release, eof, return_exceptions=True)


__all__ = [
    "CHAT",
    "DEFAULT_API_KEY",
    "RESPONSES",
    "TURNS",
    "CloseWithoutAnswer",
    "DropAfter",
    "Error",
    "FakeModel",
    "FakeXai",
    "ImageReply",
    "Malformed",
    "NeverAnswer",
    "RawStream",
    "RecordedRequest",
    "RefuseStreamOptions",
    "Reply",
    "StallAfter",
    "StreamError",
    "StreamRecord",
]


def main() -> None:
    """`python -m tests.helpers.fake_xai [PORT]`: run the fake by hand (Ctrl+C or closed stdin stops it)."""
    import sys

    server = FakeXai()
    if len(sys.argv) > 1:
        server.requested_port = int(sys.argv[1])
    with server:
        print(f"GROKDESK_BASE_URL={server.base_url}\nXAI_API_KEY={server.api_key}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            sys.stdin.read()


if __name__ == "__main__":
    main()
