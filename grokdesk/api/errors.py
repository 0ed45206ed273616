"""Our own error types: every failure of the API boundary becomes one of these.

Messages tell a person what happened and what to do; they never contain the key.
"""

from __future__ import annotations


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


class StreamBroken(ApiError):
    """The stream failed after it had started: dropped, stalled, malformed, or an
    error object inside a 200 stream. The partial text stays with the caller."""


class InsecureBaseUrl(ApiError):
    """Plain http to a host that is not loopback."""
