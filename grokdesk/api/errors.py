"""Our own error types: every failure of the API boundary becomes one of these.

Messages tell a person what happened and what to do; they never contain the key.
"""

from __future__ import annotations

import datetime
import json
import re
import ssl
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from grokdesk.api.redact import redact

if TYPE_CHECKING:  # httpx is imported lazily: the UI imports these types before the first paint
    import httpx


class ApiError(Exception):
    """Base of every error raised by `grokdesk.api`.

    `message` is the sentence shown to the user; `detail` is the server's own text
    (with any `[WKE=...]` markers stripped), `status` the HTTP status if any.
    `retryable` says whether sending the same request again may work.
    """

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class AuthError(ApiError):
    """The key was rejected (400 `Incorrect API key`, 401) or is missing."""


class PermissionDenied(ApiError):
    """403: blocked key or team, or no credits."""


class ModelNotFound(ApiError):
    """404 for a model that does not exist or the team cannot use."""

    def __init__(self, message: str, *, model: str = "", status: int | None = 404, detail: str = "") -> None:
        super().__init__(message, status=status, detail=detail)
        self.model = model


class ContextTooLong(ApiError):
    """400 `This model's maximum prompt length is N but the request contains M tokens`."""

    def __init__(
        self,
        message: str,
        *,
        limit: int | None,
        requested: int | None,
        status: int | None = 400,
        detail: str = "",
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.limit = limit
        self.requested = requested


class ImageRejected(ApiError):
    """The server refused an image (format, size, a text-only model)."""


class BadRequest(ApiError):
    """Any other 4xx the server explains."""


class ImageModerated(ApiError):
    """xAI's content moderation rejected a generated image. The request is billed
    all the same: `cost_ticks` is what it cost (10^10 per US dollar), when said."""

    def __init__(
        self, message: str, *, cost_ticks: int | None = None, status: int | None = 400, detail: str = ""
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.cost_ticks = cost_ticks


class RateLimited(ApiError):
    """429: too many requests, or credits exhausted. `retry_after` in seconds if known."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        detail: str = "",
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.retry_after = retry_after


class ServerBusy(ApiError):
    """500/502/503/504: the service is at capacity or failing."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 503,
        detail: str = "",
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.retry_after = retry_after


class NetworkError(ApiError):
    """No connection, DNS, TLS or a timeout before any answer."""

    retryable = True


class ClientClosed(ApiError):
    """The client was closed (GrokDesk is quitting) before this request was sent."""

    retryable = False


class StreamBroken(ApiError):
    """The stream failed after it had started: dropped, stalled, malformed, or an
    error object inside a 200 stream. The partial text stays with the caller."""


class InsecureBaseUrl(ApiError):
    """Plain http to a host that is not loopback."""


class BadAnswer(ApiError):
    """A success status whose body could not be read (not JSON, wrong shape)."""


# ---------------------------------------------------------------------------
# Mapping server answers and transport failures onto the types above. This is
# the only place that reads error bodies. xAI's bodies are not OpenAI-shaped:
# flat {code, error} (code a gRPC status text, or kebab-case since 2026), only
# `error`, an OpenAI-like nested `error` object for unknown routes, or a numeric code.

_WKE_MARKER = re.compile(r"\s*\[WKE=[^\]]*\]")
# 2026 bodies may nest the old form: code: 'Client specified ...', message: "Invalid PNG image."
_NESTED_MESSAGE = re.compile(r"""^\s*code:\s*'[^']*',\s*message:\s*"(?P<message>.*)"\s*$""", re.DOTALL)
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_PROMPT_LENGTH = re.compile(r"maximum prompt length is (\d+) but the request contains (\d+) tokens")
_MISSING_MODEL = re.compile(r"[Tt]he model (\S+) does not exist")
_IMAGE_TEXTS = (
    "image inputs are not supported",
    "valid jpg",
    "base64 string of provided image",
    "invalid png image",
    "invalid jpeg image",
    "invalid image",
)
_CREDIT_TEXTS = ("credits", "spending limit", "spending-limit")
_EMPTY_MESSAGE_TEXTS = ("empty message", "empty user message", "at least one content element")
_MAX_DETAIL = 400


def server_message(body: bytes | str) -> tuple[str, str]:
    """(code, human message) from any error body shape xAI sends; `[WKE=...]` markers stripped."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    code: object = ""
    message = text
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        code = parsed.get("code", "")
        error = parsed.get("error")
        if isinstance(error, str):
            message = error
        elif isinstance(error, dict):  # OpenAI-like nesting (unknown routes)
            message = str(error.get("message", "")) or text
            code = error.get("code", code)
        elif isinstance(parsed.get("message"), str):
            message = parsed["message"]
    # The bad-key text has been seen URL-encoded (`Incorrect%20API%20key...`).
    if _PERCENT_ESCAPE.search(message) and " " not in message.strip():
        message = urllib.parse.unquote(message)
    nested = _NESTED_MESSAGE.match(message)
    if nested:
        message = nested.group("message")
    message = _WKE_MARKER.sub("", message).strip()
    if len(message) > _MAX_DETAIL:
        message = message[:_MAX_DETAIL] + "…"
    return str(code), message


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    # Imported here: a date in Retry-After is rare, and email.utils cost the start-up
    # ~7 ms (the window imports this module before its first paint).
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


def _said(detail: str) -> str:
    # An HTML page (a proxy's or Cloudflare's error page) says nothing a person can use.
    if not detail or detail.lstrip().startswith("<"):
        return ""
    return f" The server said: {detail}"


def error_from_response(
    status: int,
    body: bytes | str,
    headers: Mapping[str, str] | None = None,
    *,
    api_key: str | None = None,
) -> ApiError:
    """The error for an HTTP answer that was not a success. The key never survives into it."""
    _code, raw_detail = server_message(body)
    detail = redact(raw_detail, api_key)
    lowered = detail.lower()
    retry_after = parse_retry_after((headers or {}).get("retry-after"))

    # A bad key is a 400, recognised by its text ("Incorrect API key provided"); a missing
    # one is a 401. Mapping only 401 to "bad key" would misreport it.
    if "incorrect api key" in lowered:
        return AuthError(
            "Your API key was rejected. Open Settings to replace it.", status=status, detail=detail
        )
    if status == 401:
        if not api_key:
            return AuthError(
                "No API key is set. Open Settings to enter your xAI API key.", status=status, detail=detail
            )
        return AuthError(
            "Your API key was not accepted. Open Settings to replace it.", status=status, detail=detail
        )
    if status in (403, 429) and any(text in lowered for text in _CREDIT_TEXTS):
        no_credits = (
            "Your xAI team has no credits left or has reached its spending limit. "
            "Add credits or raise the limit at https://console.x.ai, then try again."
        )
        if status == 403:
            return PermissionDenied(no_credits, status=status, detail=detail)
        limited = RateLimited(no_credits, retry_after=retry_after, status=status, detail=detail)
        limited.retryable = False  # waiting does not bring credits back
        return limited
    if status == 403:
        return PermissionDenied(
            "This API key is not allowed to do that; the key or its team may be blocked. "
            "Check the key at https://console.x.ai or open Settings to use another one." + _said(detail),
            status=status,
            detail=detail,
        )
    if status == 429:
        wait = f" The server asks to wait {retry_after:.0f} seconds." if retry_after is not None else ""
        return RateLimited(
            "Too many requests to xAI right now. Wait a moment, then try again." + wait,
            retry_after=retry_after,
            status=status,
            detail=detail,
        )
    if status >= 500:
        return ServerBusy(
            f"The xAI service is busy or failing right now (HTTP {status}). Try again in a moment."
            + _said(detail),
            retry_after=retry_after,
            status=status,
            detail=detail,
        )
    if "content moderation" in lowered:
        return moderated(body, status=status, detail=detail)
    missing = _MISSING_MODEL.search(detail)
    if status == 404 and missing:
        model = missing.group(1)
        return ModelNotFound(
            f"The model “{model}” does not exist or your team has no access to it. Pick another model.",
            model=model,
            status=status,
            detail=detail,
        )
    length = _PROMPT_LENGTH.search(detail)
    if length:
        limit, requested = int(length.group(1)), int(length.group(2))
        return ContextTooLong(
            f"This conversation is too long for the model: it takes at most {limit:,} tokens, "
            f"and this request has {requested:,}. Remove earlier messages or images, start a new "
            "conversation, or pick a model with a larger context window.",
            limit=limit,
            requested=requested,
            status=status,
            detail=detail,
        )
    if "image inputs are not supported" in lowered:
        return ImageRejected(
            "This model cannot read images. Pick a model that accepts images, or remove the images.",
            status=status,
            detail=detail,
        )
    if status == 412 or any(text in lowered for text in _IMAGE_TEXTS):
        return ImageRejected(
            "The server could not read an image. Remove it, or replace it with a JPEG or PNG file."
            + _said(detail),
            status=status,
            detail=detail,
        )
    if status == 404:
        return BadRequest(
            "The server has no such endpoint. Check the server address in Settings." + _said(detail),
            status=status,
            detail=detail,
        )
    if status == 413:
        return BadRequest(
            "The request is too large for the server. Remove some images or use smaller ones.",
            status=status,
            detail=detail,
        )
    if any(text in lowered for text in _EMPTY_MESSAGE_TEXTS):
        return BadRequest(
            "The server refused an empty message. Write some text, or remove the empty message.",
            status=status,
            detail=detail,
        )
    if status == 410:
        return BadRequest("xAI no longer offers this feature." + _said(detail), status=status, detail=detail)
    return BadRequest(
        f"The server refused the request (HTTP {status}). Check the model and the settings of this "
        "conversation." + _said(detail),
        status=status,
        detail=detail,
    )


def moderated(body: bytes | str, *, status: int | None, detail: str) -> ImageModerated:
    """The error for an image that content moderation rejected, with what it was billed."""
    ticks: int | None = None
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    usage = parsed.get("usage") if isinstance(parsed, dict) else None
    value = usage.get("cost_in_usd_ticks") if isinstance(usage, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        ticks = value
    if ticks:
        # Written out here (api does not format money elsewhere): ticks are 10^-10 USD.
        usd = ticks / 10_000_000_000
        billed = (
            f"xAI still charged for it (${usd:.2f})."
            if usd >= 0.01
            else f"xAI still charged for it (${usd:.4f})."
        )
    else:
        billed = "xAI may still charge for it."
    return ImageModerated(
        "xAI's content moderation rejected the generated image. " + billed + " Change the prompt "
        "and try again.",
        cost_ticks=ticks,
        status=status,
        detail=detail,
    )


def _is_certificate_problem(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):  # walk the cause chain a bounded number of steps
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def error_from_transport(exc: httpx.HTTPError, host: str, *, api_key: str | None = None) -> NetworkError:
    """A NetworkError for a failure before any answer arrived (connect, TLS, timeout, reset)."""
    import httpx

    detail = redact(f"{type(exc).__name__}: {exc}", api_key)
    if _is_certificate_problem(exc) or "certificate" in str(exc).lower():
        error = NetworkError(
            f"The secure connection to {host} could not be verified. Check the server address, "
            "your system clock and any proxy that inspects traffic.",
            detail=detail,
        )
        error.retryable = False  # retrying a certificate failure only delays the message
        return error
    if isinstance(exc, httpx.ConnectTimeout):
        message = f"Connecting to {host} took too long. Check your internet connection, then try again."
    elif isinstance(exc, httpx.TimeoutException):
        message = f"{host} did not answer in time. Try again; if it keeps happening, check your connection."
        error = NetworkError(message, detail=detail)
        error.retryable = False  # the whole first-token allowance has already been waited
        return error
    elif isinstance(exc, httpx.ProxyError):
        message = f"The proxy refused the connection to {host}. Check the proxy in Settings."
    elif isinstance(exc, httpx.ConnectError):
        message = f"Could not connect to {host}. Check your internet connection and proxy, then try again."
    else:
        message = f"The connection to {host} failed before an answer arrived. Try again."
    return NetworkError(message, detail=detail)


def stream_error_from_event(event: Mapping[str, object], *, api_key: str | None = None) -> StreamBroken:
    """An error object xAI sends as an SSE event inside a 200 stream (seen as
    `{"code": "The service is currently unavailable", "error": "Timed out waiting for first token"}`)."""
    _code, detail = server_message(json.dumps(dict(event)))
    detail = redact(detail, api_key)
    return StreamBroken(
        "The server stopped the reply with an error. What arrived so far is kept; send again to retry."
        + _said(detail),
        detail=detail,
    )
