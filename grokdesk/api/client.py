"""XaiClient: the xAI REST API on one long-lived httpx.AsyncClient.

Every failure leaves this module as one of the types in `errors.py`; every
request is logged at DEBUG with its credentials masked; the key never appears
in a message, a log line or a repr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import httpcore
import httpx

from grokdesk.api.chunks import ChatCompletion, ChatStreamReader, is_error_event, read_completion
from grokdesk.api.errors import (
    ApiError,
    BadAnswer,
    BadRequest,
    ClientClosed,
    InsecureBaseUrl,
    NetworkError,
    PermissionDenied,
    StreamBroken,
    error_from_response,
    error_from_transport,
    stream_error_from_event,
)
from grokdesk.api.events import ContentDelta, Finished, ReasoningDelta, StreamEvent, UsageUpdate
from grokdesk.api.model_list import models_from_list, with_context_windows
from grokdesk.api.redact import mask_key, redact, redact_headers
from grokdesk.api.responses import ResponsesReader
from grokdesk.api.sockets import OpenStreams
from grokdesk.api.sse import SseDecoder
from grokdesk.api.tokenized import count_tokens
from grokdesk.core.endpoint import DEFAULT_BASE_URL, is_loopback_host, normalize_base_url, validate_base_url
from grokdesk.core.models import ModelInfo

log = logging.getLogger("grokdesk.api")

# A Retry-After longer than this is not waited out silently: the user hears about it instead.
MAX_RETRY_AFTER = 60.0
_STREAM_OPTIONS_REFUSED = "argument not supported: stream_options"
# After finish_reason or [DONE], how long to wait for the usage chunk and the end of the body.
_TAIL_TIMEOUT = 2.0

Sleep = Callable[[float], Awaitable[object]]
RESPONSES_PATH = "responses"
CHAT_PATH = "chat/completions"
# The events that mean the model has begun to write.
_WORDS = (ContentDelta, ReasoningDelta)


class _StreamReader(Protocol):
    """Turns one parsed stream event into ours; raises an ApiError for an error event."""

    finish_reason: str | None

    @property
    def complete(self) -> bool: ...

    def read(self, chunk: dict[str, Any]) -> list[StreamEvent]: ...


def tls_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """The TLS settings a client verifies servers with (httpx's own: certifi's roots, or
    SSL_CERT_FILE / SSL_CERT_DIR when the environment is trusted). Building one reads
    and parses the whole root store (0.05-0.25 s): the UI builds it in the background
    and hands it to `XaiClient`."""
    return httpx.create_ssl_context(trust_env=trust_env)


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; refused by the same rule as the settings
    dialog (https, or plain http only to this computer)."""
    problem = validate_base_url(base_url)
    if problem is None:
        try:
            return str(httpx.URL(normalize_base_url(base_url))).rstrip("/")
        except httpx.InvalidURL:
            problem = "The address is not a valid URL (check the host name and port)."
    raise InsecureBaseUrl(f"{problem} Check the server address in Settings.")


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What `GET /v1/api-key` says about the key (every field is required by the API)."""

    redacted_api_key: str
    name: str = ""
    team_id: str = ""
    user_id: str = ""
    api_key_id: str = ""
    acls: tuple[str, ...] = ()
    team_blocked: bool = False
    api_key_blocked: bool = False
    api_key_disabled: bool = False


def _str(data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def encode_body(body: Mapping[str, object]) -> bytes:
    """The JSON body as httpx would encode it (compact, UTF-8)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


class _Watchdog:
    """Notices a stream that stopped arriving, with one timer for the whole stream.

    An `asyncio.timeout()` around each event read meant a Qt timer per token under
    qasync (20,000 for a long reply). Here `mark()` only records the time; the single
    timer wakes at the deadline, re-arms itself if an event came meanwhile, and
    otherwise closes the response, which ends the pending read.
    """

    def __init__(self, response: httpx.Response, limit: float) -> None:
        self._response = response
        self._loop = asyncio.get_running_loop()
        self.limit = limit
        self.fired = False
        self._last = self._loop.time()
        self._closing: asyncio.Task[None] | None = None
        self._handle: asyncio.Handle | None = None
        self._wake_at = 0.0
        self._arm(limit)

    def _arm(self, delay: float) -> None:
        # qasync's call_later returns a plain Handle (no when()): keep the time ourselves.
        self._wake_at = self._loop.time() + delay
        self._handle = self._loop.call_later(delay, self._check)

    def mark(self) -> None:
        self._last = self._loop.time()
        if self._handle is not None and self._wake_at > self._last + self.limit:
            # The limit got shorter (the reply is complete): wake earlier.
            self._handle.cancel()
            self._arm(self.limit)

    def _check(self) -> None:
        remaining = self._last + self.limit - self._loop.time()
        if remaining > 0:
            self._arm(remaining)
            return
        self._handle = None
        self.fired = True
        self._closing = self._loop.create_task(self._response.aclose())
        # Whatever closing says, the read it interrupts reports the stall.
        self._closing.add_done_callback(lambda task: task.cancelled() or task.exception())

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def _track_streams(http: httpx.AsyncClient) -> list[OpenStreams]:
    """Put an `OpenStreams` under the connection pool of each of the client's transports
    (the direct one and one per proxy), so that `XaiClient.aclose` can close the
    connections a cancelled request left out of the pool.

    httpx offers no way to hand its pool a network backend, so this reaches into private
    attributes: the client's `_transport` and `_mounts`, each transport's `_pool` and the
    pool's `_network_backend` (httpcore's pools and proxy pools read it each time they open
    a connection). Whatever is missing (a transport passed in by a test, another httpx) is
    left alone: the client then works as before, without the extra closing.
    """
    transports = [getattr(http, "_transport", None), *getattr(http, "_mounts", {}).values()]
    tracked: list[OpenStreams] = []
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.AsyncNetworkBackend) and not isinstance(backend, OpenStreams):
            streams = OpenStreams(backend)
            pool._network_backend = streams  # type: ignore[union-attr]
            tracked.append(streams)
    return tracked


class XaiClient:
    """One client per base URL; keep it for the life of the app and `aclose()` it at the end."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        proxy: str | None = None,
        use_environment_proxy: bool = True,
        connect_timeout: float = 10.0,
        first_token_timeout: float = 600.0,
        stall_timeout: float = 60.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._base_url = check_base_url(base_url)
        self._host = httpx.URL(self._base_url).host
        self._key: str | None = None
        self.set_api_key(api_key)
        self._first_token_timeout = first_token_timeout
        self._stall_timeout = stall_timeout
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._sleep = sleep
        self._jitter = jitter
        # Reasoning models may say nothing for minutes before the first token (xAI's docs
        # raise the client timeout to an hour for them):
        # the read timeout allows that; stalls after the first token are caught per event.
        self._stream_timeout = httpx.Timeout(connect_timeout, read=first_token_timeout, pool=connect_timeout)
        self._short_timeout = httpx.Timeout(connect_timeout, read=stall_timeout, pool=connect_timeout)
        self._closed = False
        self._http = httpx.AsyncClient(
            base_url=self._base_url + "/",
            transport=transport,
            proxy=proxy,
            # Made beforehand (see tls_context), or by httpx now.
            verify=ssl_context if ssl_context is not None else True,
            # False for the "none" proxy setting: ignore HTTP(S)_PROXY in the environment.
            trust_env=use_environment_proxy,
            timeout=self._short_timeout,
            headers={"Accept": "application/json", "User-Agent": "GrokDesk"},
        )
        self._streams = _track_streams(self._http)

    def __repr__(self) -> str:
        key = mask_key(self._key) if self._key else "none"
        return f"XaiClient(base_url={self._base_url!r}, api_key={key!r})"

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    def set_api_key(self, key: str | None) -> None:
        self._key = key.strip() if key and key.strip() else None

    async def aclose(self) -> None:
        """Close every connection. A request made afterwards raises ClientClosed (httpx
        would raise a RuntimeError); closing twice does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._http.aclose()
        finally:
            # What the pool lost track of (see sockets.py) is closed here, not by the GC.
            await asyncio.gather(*(streams.aclose() for streams in self._streams))

    async def __aenter__(self) -> XaiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- chat -------------------------------------------------------------------------

    async def stream_chat(self, body: Mapping[str, object]) -> AsyncIterator[StreamEvent]:
        """The reply as ContentDelta/ReasoningDelta/UsageUpdate events, then one Finished.

        Raises an ApiError before the first event, or StreamBroken after it; the
        events already yielded are the partial reply. Close the generator (or
        cancel the task) to close the HTTP stream.
        """
        async for batch in self.stream_chat_batches(body):
            for event in batch:
                yield event

    async def stream_chat_batches(self, body: Mapping[str, object]) -> AsyncIterator[list[StreamEvent]]:
        """`stream_chat`'s events, a list per network read (hundreds at a time when a reply
        arrives faster than it is read): what a consumer of every event would pay per event
        in steps through generators, it pays once per read."""
        response = await self._open_stream({**body, "stream": True})
        try:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                yield [event async for event in self._events_from_whole_answer(response)]
                return
            async for batch in self._read_stream(response, ChatStreamReader(self._key)):
                yield batch
        finally:
            await response.aclose()

    async def stream_responses(self, body: Mapping[str, object]) -> AsyncIterator[StreamEvent]:
        """A `/v1/responses` reply as the same events as `stream_chat`, plus tool calls,
        cited sources and encrypted reasoning items (ToolCallStarted/Finished,
        SourceCited, ProviderItem). Errors as in `stream_chat`; a 404 or 405 here means
        the server has no Responses API (BadRequest/ModelNotFound with that status).
        """
        async for batch in self.stream_responses_batches(body):
            for event in batch:
                yield event

    async def stream_responses_batches(self, body: Mapping[str, object]) -> AsyncIterator[list[StreamEvent]]:
        """`stream_responses`'s events, a list per network read (see `stream_chat_batches`)."""
        response = await self._send("POST", RESPONSES_PATH, {**body, "stream": True}, stream=True)
        try:
            reader = ResponsesReader(self._key)
            if "text/event-stream" not in response.headers.get("content-type", ""):
                await response.aread()
                yield [*reader.read_whole(self._json(response)), Finished(reader.finish_reason)]
                return
            async for batch in self._read_stream(response, reader):
                yield batch
        finally:
            await response.aclose()

    async def complete_chat(self, body: Mapping[str, object]) -> ChatCompletion:
        """A whole reply in one answer (used for summaries and titles)."""
        request = {k: v for k, v in body.items() if k != "stream_options"}
        request["stream"] = False
        response = await self._send("POST", "chat/completions", request, http_timeout=self._stream_timeout)
        return read_completion(self._json(response))

    async def complete_response(self, body: Mapping[str, object]) -> ChatCompletion:
        """A whole `/v1/responses` reply in one answer (used for summaries). Errors as in
        `complete_chat`; a 404 or 405 means the server has no Responses API."""
        request = {**body, "stream": False}
        response = await self._send("POST", RESPONSES_PATH, request, http_timeout=self._stream_timeout)
        reader = ResponsesReader(self._key)
        events = reader.read_whole(self._json(response))
        usage = [event.usage for event in events if isinstance(event, UsageUpdate)]
        return ChatCompletion(
            text="".join(event.text for event in events if isinstance(event, ContentDelta)),
            reasoning="".join(event.text for event in events if isinstance(event, ReasoningDelta)),
            usage=usage[-1] if usage else None,
            finish_reason=reader.finish_reason,
        )

    async def _open_stream(self, body: dict[str, object]) -> httpx.Response:
        try:
            return await self._send("POST", CHAT_PATH, body, stream=True)
        except BadRequest as error:
            # Refused for a while in April 2025 (400 "Argument not supported: stream_options"):
            # send once more without it.
            if "stream_options" not in body or _STREAM_OPTIONS_REFUSED not in error.detail.lower():
                raise
            log.info("server refused stream_options; sending again without it")
            body = {k: v for k, v in body.items() if k != "stream_options"}
            return await self._send("POST", CHAT_PATH, body, stream=True)

    async def _read_stream(
        self, response: httpx.Response, reader: _StreamReader
    ) -> AsyncIterator[list[StreamEvent]]:
        """The events of each network read, then [Finished]; never an empty list."""
        texts = cast(AsyncGenerator[str, None], response.aiter_text())
        decoder = SseDecoder()
        started = saw_done = False
        watchdog = _Watchdog(response, self._first_token_timeout)
        try:
            while True:
                complete = saw_done or reader.complete
                if complete:
                    watchdog.limit = min(self._stall_timeout, _TAIL_TIMEOUT)
                elif started:
                    watchdog.limit = self._stall_timeout
                watchdog.mark()
                try:
                    text = await anext(texts)
                except StopAsyncIteration:
                    if watchdog.fired and not complete:
                        raise self._stalled(started, watchdog.limit) from None
                    break
                except httpx.HTTPError as exc:
                    if complete:
                        break  # the reply is whole; only the usage chunk or the body's end is lost
                    if watchdog.fired:
                        raise self._stalled(started, watchdog.limit) from None
                    raise StreamBroken(
                        "The connection dropped in the middle of the reply. What arrived is kept; "
                        "send again to retry.",
                        detail=redact(f"{type(exc).__name__}: {exc}", self._key),
                    ) from exc
                datas: list[str] = []
                for raw in decoder.feed(text):
                    data = raw.strip()
                    if data == "[DONE]":
                        # Read on to the end of the body so the connection can be reused.
                        saw_done = True
                    elif data and not saw_done:
                        datas.append(data)
                chunks, broken = self._parse_chunks(datas)
                failure: ApiError | None = broken
                batch: list[StreamEvent] = []
                for chunk in chunks:
                    try:
                        batch += reader.read(chunk)
                    except ApiError as error:
                        failure = error  # after the events before it: they are the partial reply
                        break
                # Only words count as started: after a search the model may think
                # silently for minutes before it writes, which is no stall.
                started = started or any(type(e) in _WORDS for e in batch)
                if batch:
                    yield batch
                if failure is not None:
                    raise failure
        finally:
            watchdog.stop()
            await texts.aclose()
        finish_reason = reader.finish_reason
        if not reader.complete and not saw_done:
            raise StreamBroken(
                "The reply ended before it was complete. What arrived is kept; send again to retry."
            )
        yield [Finished(finish_reason)]

    def _parse_chunks(self, datas: list[str]) -> tuple[list[dict[str, Any]], StreamBroken | None]:
        """The JSON objects of one read's events, up to the first that is not one, and
        the error that one makes (None: all were objects).

        Parsed as one JSON array: half the time of a `json.loads` per event, most of
        which is the call itself and new copies of the same keys in every object. When
        the array is not one object per event, each is parsed alone to find the bad one.
        """
        if len(datas) > 1:
            try:
                chunks = json.loads("[" + ",".join(datas) + "]")
            except ValueError:
                pass
            else:
                if len(chunks) == len(datas) and all(type(chunk) is dict for chunk in chunks):
                    return chunks, None
        parsed: list[dict[str, Any]] = []
        for data in datas:
            try:
                parsed.append(self._parse_chunk(data))
            except StreamBroken as error:
                return parsed, error
        return parsed, None

    def _parse_chunk(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError:
            chunk = None
        if not isinstance(chunk, dict):
            raise StreamBroken(
                "The server sent part of the reply in a form that could not be read. What arrived is "
                "kept; send again to retry.",
                detail=redact(data[:200], self._key),
            )
        return chunk

    def _stalled(self, started: bool, timeout: float) -> StreamBroken:
        if started:
            return StreamBroken(
                f"The reply stopped arriving: nothing came for {timeout:g} seconds. What arrived is "
                "kept; send again to retry."
            )
        return StreamBroken(
            f"The model sent nothing for {timeout:g} seconds. Send again, or pick a faster model."
        )

    async def _events_from_whole_answer(self, response: httpx.Response) -> AsyncIterator[StreamEvent]:
        """Some OpenAI-compatible servers ignore `stream` and answer with one JSON body."""
        await response.aread()
        body = self._json(response)
        if is_error_event(body):
            raise stream_error_from_event(body, api_key=self._key)
        completion = read_completion(body)
        if completion.text:
            yield ContentDelta(completion.text)
        if completion.usage is not None:
            yield UsageUpdate(completion.usage)
        yield Finished(completion.finish_reason)

    # -- models, tokens, key ----------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        """Models from `/v1/language-models`, else `/v1/models` (ids only on older servers). Not filtered."""
        try:
            response = await self._send("GET", "language-models")
            models = models_from_list(self._json(response).get("models"))
        except (BadRequest, BadAnswer) as error:
            # Plain OpenAI-compatible servers have only /v1/models.
            log.info("no usable /language-models (%s); using /models", error.status)
            models = []
        if models:
            return with_context_windows(models, await self._context_windows())
        response = await self._send("GET", "models")
        return models_from_list(self._json(response).get("data"))

    async def _context_windows(self) -> dict[str, int]:
        """`context_length` per id from `/v1/models` (2026 servers); best effort, no retries."""
        try:
            response = await self._send("GET", "models", retries=0)
            entries = self._json(response).get("data")
        except ApiError as error:
            log.info("no context windows from /models: %s", error)
            return {}
        windows: dict[str, int] = {}
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("context_length"), int):
                windows[str(entry.get("id"))] = entry["context_length"]
        return windows

    async def tokenize(self, text: str, model: str) -> int:
        """How many tokens `model` makes of `text` (`token_ids` is a list of objects, not integers)."""
        response = await self._send("POST", "tokenize-text", {"text": text, "model": model})
        count = count_tokens(response.content)
        if count is None:
            raise BadAnswer("The server's token count could not be read.", status=response.status_code)
        return count

    async def check_key(self) -> KeyInfo:
        """What the server knows about the key; PermissionDenied when it is blocked or disabled."""
        data = self._json(await self._send("GET", "api-key"))
        acls = data.get("acls")
        info = KeyInfo(
            redacted_api_key=_str(data, "redacted_api_key"),
            name=_str(data, "name"),
            team_id=_str(data, "team_id"),
            user_id=_str(data, "user_id"),
            api_key_id=_str(data, "api_key_id"),
            acls=tuple(a for a in acls if isinstance(a, str)) if isinstance(acls, list) else (),
            team_blocked=data.get("team_blocked") is True,
            api_key_blocked=data.get("api_key_blocked") is True,
            api_key_disabled=data.get("api_key_disabled") is True,
        )
        if info.team_blocked:
            raise PermissionDenied("Your xAI team is blocked. Check it at https://console.x.ai.")
        if info.api_key_blocked or info.api_key_disabled:
            raise PermissionDenied(
                "This API key is blocked or disabled. Enable it at https://console.x.ai, or open "
                "Settings to use another key."
            )
        return info

    # -- plain JSON endpoints (images) ---------------------------------------------------

    async def get_json(self, path: str, *, retries: int | None = None) -> dict[str, Any]:
        """The JSON object `GET path` answers (path relative to the base URL)."""
        return self._json(await self._send("GET", path, retries=retries))

    async def post_json(self, path: str, body: Mapping[str, object], *, slow: bool = False) -> dict[str, Any]:
        """The JSON object `POST path` answers. `slow`: the answer may take minutes (an
        image being made), so the long first-answer allowance applies, not the short one."""
        timeout = self._stream_timeout if slow else None
        response = await self._send("POST", path, body, http_timeout=timeout)
        # An answer with ten base64 images is tens of megabytes: parsed off the event loop.
        return await asyncio.to_thread(self._json, response)

    async def download(self, url: str, *, limit: int = 64 * 1024 * 1024) -> bytes:
        """The bytes at an absolute URL (a temporary link to a generated image). The
        API key is not sent: the link itself grants access and may be on another host."""
        target = httpx.URL(url)
        if target.scheme != "https" and not (target.scheme == "http" and is_loopback_host(target.host)):
            raise BadAnswer(f"The server sent an image link that is not https: {url[:80]}")
        try:
            async with self._http.stream("GET", target, timeout=self._short_timeout) as response:
                if not response.is_success:
                    raise BadAnswer(
                        f"A generated image could not be downloaded (HTTP {response.status_code}); its "
                        "temporary link may have expired. Generate it again.",
                        status=response.status_code,
                    )
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > limit:
                        raise BadAnswer("A generated image was larger than any image should be.")
                return bytes(data)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, target.host or url, api_key=self._key) from exc

    # -- sending, retries, errors -------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, object] | None = None,
        *,
        stream: bool = False,
        http_timeout: httpx.Timeout | None = None,
        retries: int | None = None,
    ) -> httpx.Response:
        """A successful response (still open when `stream`), retrying what may pass next time.

        Retried: 429, 5xx and connection failures, all before any answer body was used;
        never other 4xx. Cancelling the caller cancels the wait between attempts.
        """
        max_retries = self._max_retries if retries is None else retries
        # Encoded once, off the event loop: a request with many images is hundreds of
        # megabytes of base64 and would stall the window for seconds.
        content = None if body is None else await asyncio.to_thread(encode_body, body)
        attempt = 0
        while True:
            error: ApiError
            try:
                response = await self._send_once(method, path, content, stream, http_timeout)
            except NetworkError as failure:
                error = failure
            else:
                if response.is_success:
                    return response
                error = await self._error_from(response)
            retry_after: float | None = getattr(error, "retry_after", None)
            if not error.retryable or attempt >= max_retries or (retry_after or 0) > MAX_RETRY_AFTER:
                raise error
            delay = self._delay(attempt, retry_after)
            attempt += 1
            log.info(
                "%s %s failed (%s); retry %d of %d in %.2f s",
                method,
                path,
                error.status or type(error).__name__,
                attempt,
                max_retries,
                delay,
            )
            await self._sleep(delay)

    async def _send_once(
        self,
        method: str,
        path: str,
        content: bytes | None,
        stream: bool,
        http_timeout: httpx.Timeout | None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        if stream:
            headers["Accept"] = "text/event-stream"
        if content is not None:
            headers["Content-Type"] = "application/json"  # POSTs need it, or 415
        request = self._http.build_request(
            method,
            path,
            content=content,
            headers=headers,
            timeout=http_timeout or (self._stream_timeout if stream else self._short_timeout),
        )
        if self._closed:
            raise ClientClosed("GrokDesk is closing; the request was not sent.")
        log.debug("%s %s headers=%s", method, request.url, redact_headers(dict(request.headers)))
        try:
            response = await self._http.send(request, stream=stream)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, self._host or self._base_url, api_key=self._key) from exc
        log.debug("%s %s -> %d", method, request.url, response.status_code)
        return response

    async def _error_from(self, response: httpx.Response) -> ApiError:
        try:
            await response.aread()
        except httpx.HTTPError as exc:
            return error_from_transport(exc, self._host or self._base_url, api_key=self._key)
        finally:
            await response.aclose()
        error = error_from_response(
            response.status_code, response.content, response.headers, api_key=self._key
        )
        log.info(
            "%s %s -> %d: %s",
            response.request.method,
            response.request.url.path,
            response.status_code,
            error.detail,
        )
        return error

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the server gives one, else exponential backoff with jitter."""
        if retry_after is not None:
            return retry_after
        return float(self._backoff_base * (2**attempt) * (0.5 + self._jitter()))

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BadAnswer(
                "The server's answer could not be read. Check the server address in Settings.",
                status=response.status_code,
            )
        return data
