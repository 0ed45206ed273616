"""The API connection the window uses: one long-lived client per base URL and key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

from grokdesk.core.background import on_own_thread

if TYPE_CHECKING:
    import ssl

    from grokdesk.api.client import KeyInfo, XaiClient

log = logging.getLogger("grokdesk.ui.connection")


class ApiModes(Protocol):
    """Where the per-server API choice lives (the app settings)."""

    def api_mode(self, base_url: str) -> str: ...

    def lacks_responses(self, base_url: str) -> bool: ...

    def remember_lacks_responses(self, base_url: str) -> None: ...


class _RememberedModes:
    """Automatic everywhere, remembered for this run only (no settings to keep it in)."""

    def __init__(self) -> None:
        self._lacking: set[str] = set()

    def api_mode(self, base_url: str) -> str:
        return "automatic"

    def lacks_responses(self, base_url: str) -> bool:
        return base_url in self._lacking

    def remember_lacks_responses(self, base_url: str) -> None:
        self._lacking.add(base_url)


class ApiConnection:
    """Holds the current `XaiClient`, replacing it when the key, base URL or proxy
    change; the replaced client is closed in the background once no reply uses it.
    `client_options` are extra `XaiClient` arguments (timeouts, retries, backoff)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        proxy: str = "system",
        client_options: Mapping[str, Any] | None = None,
        api_modes: ApiModes | None = None,
    ) -> None:
        self._base_url = base_url
        self._modes: ApiModes = api_modes or _RememberedModes()
        self._client_options = dict(client_options or {})
        self._api_key = api_key
        self._proxy = proxy
        self._client: XaiClient | None = None
        self._old: list[XaiClient] = []
        # The HTTP client's import and TLS context, made off the UI thread: (trust_env, result).
        self._prepared: tuple[bool, Future[ssl.SSLContext]] | None = None

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def proxy(self) -> str:
        """The proxy setting: "system", "none" or a proxy URL."""
        return self._proxy

    @property
    def has_key(self) -> bool:
        return bool(self._api_key)

    def client(self) -> XaiClient | None:
        """The client for chat requests, or None while there is no key."""
        if not self._api_key:
            return None
        return self.any_client()

    def prepare(self) -> Future[ssl.SSLContext]:
        """Import the HTTP client and build its TLS context in a background thread (the
        window asks after its first paint): on the UI thread, when the first request
        made the client, they stalled the window for 0.15-0.5 s."""
        trust_env = self._proxy != "none"
        if self._prepared is None or self._prepared[0] != trust_env:
            self._prepared = (trust_env, on_own_thread(lambda: _tls_context(trust_env), name="api-prepare"))
        return self._prepared[1]

    def _prepared_context(self) -> ssl.SSLContext | None:
        """The TLS context made beforehand (waiting for it if it is being made), or None."""
        if self._prepared is None or self._prepared[0] != (self._proxy != "none"):
            return None
        try:
            # Waits without holding the interpreter lock; the work is the same as doing it here.
            return self._prepared[1].result()
        except Exception as error:  # the client makes its own and reports what is wrong
            log.info("TLS settings not prepared: %s", error)
            return None

    def any_client(self) -> XaiClient:
        """A client even without a key (model lists of keyless local servers)."""
        if self._client is None:
            context = self._prepared_context()
            # httpx is imported here (or by `prepare`), after the first paint, not at start-up.
            from grokdesk.api.client import XaiClient

            self._client = XaiClient(
                self._base_url,
                self._api_key,
                proxy=proxy_url(self._proxy),
                use_environment_proxy=self._proxy != "none",
                ssl_context=context,
                **self._client_options,
            )
        return self._client

    # -- which chat API ------------------------------------------------------------------

    def uses_responses(self) -> bool:
        """Turns go to /responses unless the setting says Chat Completions, or Automatic
        found out that this server has no Responses API."""
        mode = self._modes.api_mode(self._base_url)
        if mode == "chat":
            return False
        return mode == "responses" or not self._modes.lacks_responses(self._base_url)

    def may_fall_back(self) -> bool:
        """Automatic: a 404/405 on /responses switches this server to Chat Completions."""
        return self._modes.api_mode(self._base_url) == "automatic"

    def responses_missing(self) -> None:
        log.info("the server has no Responses API; using Chat Completions from now on")
        self._modes.remember_lacks_responses(self._base_url)

    def set_api_key(self, api_key: str | None) -> None:
        self._api_key = api_key or None
        if self._client is not None:
            self._client.set_api_key(self._api_key)

    def reconfigure(self, *, base_url: str, proxy: str) -> None:
        if base_url == self._base_url and proxy == self._proxy:
            return
        self._base_url = base_url
        self._proxy = proxy
        if self._client is not None:
            self._old.append(self._client)
            self._client = None

    async def aclose(self) -> None:
        """Close the clients. The current one is kept, closed: a request still asked for
        afterwards fails with ClientClosed instead of opening a new client that nothing
        would close."""
        clients = [*self._old, *([self._client] if self._client is not None else [])]
        self._old.clear()
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)


async def check_key(connection: ApiConnection, key: str) -> KeyInfo:
    """Ask `/v1/api-key` about `key` on the connection's server, with a short-lived client."""
    from grokdesk.api.client import XaiClient

    async with XaiClient(
        connection.base_url,
        key,
        proxy=proxy_url(connection.proxy),
        use_environment_proxy=connection.proxy != "none",
    ) as client:
        return await client.check_key()


def proxy_url(setting: str) -> str | None:
    """The proxy URL for httpx: none for "system" (httpx reads the environment's
    proxy variables) and "none"; the URL otherwise."""
    return None if setting in ("system", "none") else setting


def _tls_context(trust_env: bool) -> ssl.SSLContext:
    from grokdesk.api.client import tls_context

    return tls_context(trust_env=trust_env)
