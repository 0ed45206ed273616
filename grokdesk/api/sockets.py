"""Every connection the client opens, kept until it is closed, so that closing the client
closes them all.

httpcore's pool forgets a connection before closing it, and a cancellation can land in
between: when a request task is cancelled while the pool is retiring idle connections,
the close of the first one is interrupted (anyio's shield does not stop a native
`Task.cancel()`) and the rest, already out of the pool's list, are never closed, so
`AsyncClient.aclose()` does not see them and the socket is left for the garbage
collector. A connection that is still being opened when the pool closes escapes it the
same way. `OpenStreams` sits under the pool as its network backend and remembers every
stream it opened until that stream's own close has run; `XaiClient.aclose()` closes
whatever is left after the pool has closed.
"""

# httpcore's stream and backend interface takes per-call timeouts: these methods must too.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

log = logging.getLogger("grokdesk.api")


class _TrackedStream(httpcore.AsyncNetworkStream):
    """One connection's stream; it leaves the set of open streams once closed."""

    def __init__(self, owner: OpenStreams, stream: httpcore.AsyncNetworkStream) -> None:
        self._owner = owner
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        # Forgotten only after the close has run: an interrupted close leaves the stream
        # for `OpenStreams.aclose` to close again (closing twice does nothing).
        await self._stream.aclose()
        self._owner._open.discard(self)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        # The TLS stream wraps this one's socket and closes it: track it in this one's place.
        self._owner._open.discard(self)
        return self._owner._track(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class OpenStreams(httpcore.AsyncNetworkBackend):
    """A network backend that opens connections through `backend` and keeps each stream
    until it is closed. After `aclose()` it opens none: a connection that finishes
    opening afterwards is closed at once and the request fails as a connect error."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend
        self._open: set[_TrackedStream] = set()
        self._closed = False

    @property
    def open_count(self) -> int:
        """How many streams were opened and not closed yet."""
        return len(self._open)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self._refuse_if_closed()
        stream = await self._backend.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return await self._opened(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self._refuse_if_closed()
        stream = await self._backend.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)
        return await self._opened(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)

    async def aclose(self) -> None:
        """Close every stream still open, and open no more. The closing runs in a task of
        its own, so a cancellation of the caller (the app quitting) cannot stop it half-way."""
        self._closed = True
        if self._open:
            await asyncio.shield(asyncio.ensure_future(self._close_all()))

    async def _close_all(self) -> None:
        streams = list(self._open)
        if streams:
            log.debug("closing %d connection(s) the HTTP pool left open", len(streams))
        for stream in streams:
            try:
                await stream.aclose()
            except Exception as error:  # best effort: the others are still closed
                log.debug("closing a leftover connection failed: %r", error)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise httpcore.ConnectError("the HTTP client is closed")

    async def _opened(self, stream: httpcore.AsyncNetworkStream) -> httpcore.AsyncNetworkStream:
        if self._closed:
            # The client closed while this connection was being opened: nothing would close it later.
            await stream.aclose()
            raise httpcore.ConnectError("the HTTP client closed while connecting")
        return self._track(stream)

    def _track(self, stream: httpcore.AsyncNetworkStream) -> _TrackedStream:
        tracked = _TrackedStream(self, stream)
        self._open.add(tracked)
        return tracked
