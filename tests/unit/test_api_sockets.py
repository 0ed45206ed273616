"""Closing the client closes every connection it opened, including the ones httpcore's
pool lost track of (a cancelled request can interrupt the pool while it closes idle
connections it has already dropped from its list) and one that finished opening after
the close."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import pytest

from grokdesk.api.client import XaiClient
from grokdesk.api.sockets import OpenStreams
from tests.helpers.aio import run
from tests.helpers.fake_xai import FakeXai


def _pools(client: XaiClient) -> list[Any]:
    """The httpcore pools under the client (private attributes: the test stands in for
    the pool losing a connection, which has no public way to happen on demand)."""
    http: httpx.AsyncClient = client._http
    transports: list[Any] = [http._transport, *http._mounts.values()]
    return [t._pool for t in transports if t is not None]


@pytest.mark.parametrize("through_proxy", [False, True], ids=["direct", "proxy"])
def test_a_connection_the_pool_dropped_unclosed_is_closed_with_the_client(
    fake_xai: FakeXai, through_proxy: bool
) -> None:
    # The fake server reads an absolute-form request line as well, so it serves as the proxy too.
    proxy = fake_xai.root_url if through_proxy else None

    async def go() -> int:
        client = XaiClient(fake_xai.base_url, fake_xai.api_key, proxy=proxy, use_environment_proxy=False)
        response = await client._http.get("models", headers={"Authorization": f"Bearer {fake_xai.api_key}"})
        assert response.status_code == 200
        sock = response.extensions["network_stream"].get_extra_info("socket")
        assert sock.fileno() != -1
        dropped = 0
        for pool in _pools(client):
            dropped += len(pool._connections)
            pool._connections.clear()  # out of the pool's list, still open
        assert dropped == 1
        await client.aclose()
        return int(sock.fileno())

    assert run(go()) == -1
    assert fake_xai.count("/v1/models") == 1


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self) -> None:
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


class _HeldBackend(httpcore.AsyncNetworkBackend):
    """Connects only when told to, so a test can close the client in the meantime."""

    def __init__(self) -> None:
        self.connecting = asyncio.Event()
        self.go_on = asyncio.Event()
        self.streams: list[_Stream] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connecting.set()
        await self.go_on.wait()
        stream = _Stream()
        self.streams.append(stream)
        return stream


def test_a_connection_that_opens_after_the_close_is_closed_and_the_request_fails() -> None:
    async def go() -> None:
        backend = _HeldBackend()
        streams = OpenStreams(backend)
        connecting = asyncio.ensure_future(streams.connect_tcp("127.0.0.1", 1))
        await backend.connecting.wait()
        await streams.aclose()
        backend.go_on.set()
        with pytest.raises(httpcore.ConnectError):
            await connecting
        assert [s.closed for s in backend.streams] == [True]
        assert streams.open_count == 0
        with pytest.raises(httpcore.ConnectError):  # and none is opened afterwards
            await streams.connect_tcp("127.0.0.1", 1)
        assert len(backend.streams) == 1

    run(go())


def test_a_stream_closed_normally_is_forgotten_and_tls_replaces_its_plain_stream() -> None:
    class _TlsStream(_Stream):
        async def start_tls(
            self,
            ssl_context: ssl.SSLContext,
            server_hostname: str | None = None,
            timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        ) -> httpcore.AsyncNetworkStream:
            return _Stream()

    class _Backend(_HeldBackend):
        async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
            return _TlsStream()

    async def go() -> None:
        streams = OpenStreams(_Backend())
        plain = await streams.connect_tcp("127.0.0.1", 1)
        assert streams.open_count == 1
        tls = await plain.start_tls(ssl.create_default_context())
        assert streams.open_count == 1
        await tls.aclose()
        assert streams.open_count == 0

    run(go())
