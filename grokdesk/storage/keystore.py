"""Where the API key lives: the environment, the OS keyring, or this process's memory.

The key is never written to a file. When the OS has no secure store (headless Linux,
where `keyring` raises NoKeyringError) the key is kept in memory for this run only;
there is deliberately no plain-text fallback (never install keyrings.alt).
`keyring` is imported inside the methods: it costs ~0.1 s at start-up, measured
on a cold start, which the first paint should not wait for.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grokdesk.core.background import on_own_thread
from grokdesk.core.secrets import mask_key

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "GrokDesk"
USERNAME = "xai-api-key"
ENV_VAR = "XAI_API_KEY"


class KeyStoreError(Exception):
    """The keyring exists but refused an operation; the message is for the user."""


class KeySource(enum.Enum):
    ENVIRONMENT = "environment"  # XAI_API_KEY: used for this run, never saved
    KEYRING = "keyring"  # the operating system's secure store
    MEMORY = "memory"  # no secure store: kept for this run only
    NONE = "none"


@dataclass(frozen=True, slots=True)
class SaveResult:
    """Outcome of `KeyStore.save`; `message` is a sentence for the user."""

    source: KeySource
    message: str

    @property
    def stored_securely(self) -> bool:
        return self.source is KeySource.KEYRING


def _keyring_failures() -> tuple[type[BaseException], ...]:
    from keyring.errors import KeyringError

    # NoKeyringError is both a KeyringError and a RuntimeError; backends also raise
    # plain RuntimeError (Secret Service without D-Bus) or OSError (platform APIs); a
    # PYTHON_KEYRING_BACKEND naming a module that is not there raises ImportError.
    return (KeyringError, RuntimeError, OSError, ImportError)


def _describe(exc: BaseException, secret: str | None = None) -> str:
    """A short reason for the user; never the key itself."""
    from keyring.errors import NoKeyringError

    if isinstance(exc, NoKeyringError):
        return "no keyring backend was found"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if secret:
        text = text.replace(secret, mask_key(secret))
    return text[:160]


class KeyStore:
    """The API key and where it came from.

    `env` is the process environment (injected so tests control it). Call `load()`
    once at start-up, then read `key` and `source`.
    """

    def __init__(self, env: Mapping[str, str], *, keyring_read: Future[str | None] | None = None) -> None:
        """`keyring_read`: the keyring's answer read ahead (`read_keyring_ahead`), used by
        the first `load()`."""
        self._env = env
        self._keyring_read = keyring_read
        self._memory_key: str | None = None
        self._key: str | None = None
        self._source = KeySource.NONE

    @property
    def key(self) -> str | None:
        return self._key

    @property
    def source(self) -> KeySource:
        return self._source

    @property
    def masked(self) -> str:
        """The current key masked like the server masks it, or '' when there is none."""
        return mask_key(self._key) if self._key else ""

    def load(self) -> KeySource:
        """Find the key: the environment first, then a key kept this session, then the keyring."""
        env_key = self._env.get(ENV_VAR, "").strip()
        if env_key:
            return self._set(env_key, KeySource.ENVIRONMENT)
        if self._memory_key:
            return self._set(self._memory_key, KeySource.MEMORY)
        read_ahead, self._keyring_read = self._keyring_read, None
        stored = read_ahead.result() if read_ahead is not None else self._read_keyring()
        if stored:
            return self._set(stored, KeySource.KEYRING)
        return self._set(None, KeySource.NONE)

    def save(self, key: str) -> SaveResult:
        """Store the key in the OS keyring, or in memory for this run if there is none.

        The saved key becomes the current key even when XAI_API_KEY is set (the user chose
        it); the next run uses the environment again.
        """
        key = key.strip()
        if not key:
            raise ValueError("The API key is empty.")
        import keyring

        try:
            keyring.set_password(SERVICE, USERNAME, key)
        except _keyring_failures() as exc:
            reason = _describe(exc, key)
            log.warning("No secure key store (%s); keeping the API key in memory for this session", reason)
            self._memory_key = key
            self._set(key, KeySource.MEMORY)
            return SaveResult(
                KeySource.MEMORY,
                f"No secure key store is available on this system ({reason}); "
                "the key is kept for this session only.",
            )
        self._memory_key = None
        self._set(key, KeySource.KEYRING)
        message = f"The key {mask_key(key)} was saved in the system keyring ({self.backend_name()})."
        if self._env.get(ENV_VAR, "").strip():
            message += f" {ENV_VAR} is set and will be used instead on the next start."
        return SaveResult(KeySource.KEYRING, message)

    def remove(self) -> KeySource:
        """Forget the saved key (keyring and memory). Returns where the key now comes from
        (ENVIRONMENT if XAI_API_KEY is set, else NONE). Raises KeyStoreError if the keyring
        refuses to delete it."""
        self._memory_key = None
        import keyring
        from keyring.errors import NoKeyringError, PasswordDeleteError

        try:
            keyring.delete_password(SERVICE, USERNAME)
        except (PasswordDeleteError, NoKeyringError):
            # Nothing was stored, or there is no store to hold it: removed all the same.
            pass
        except _keyring_failures() as exc:
            # The key may still be in the keyring: say so rather than pretend it is gone.
            raise KeyStoreError(f"The key could not be removed from the keyring: {_describe(exc)}") from exc
        self._key, self._source = None, KeySource.NONE
        env_key = self._env.get(ENV_VAR, "").strip()
        if env_key:
            return self._set(env_key, KeySource.ENVIRONMENT)
        return self._source

    def secure_store_available(self) -> bool:
        """Whether the OS offers a keyring that actually stores secrets."""
        return _is_real_backend(self._backend())

    def backend_name(self) -> str:
        """The keyring backend's own name ("SecretService Keyring"), or "none"."""
        backend = self._backend()
        if backend is None or not _is_real_backend(backend):
            return "none"
        return str(getattr(backend, "name", "") or type(backend).__name__)

    def _backend(self) -> KeyringBackend | None:
        import keyring

        try:
            return keyring.get_keyring()
        except _keyring_failures() as exc:
            log.warning("No keyring backend: %s", _describe(exc))
            return None

    def _read_keyring(self) -> str | None:
        import keyring

        try:
            return keyring.get_password(SERVICE, USERNAME)
        except _keyring_failures() as exc:
            log.info("No API key from the keyring: %s", _describe(exc))
            return None

    def _set(self, key: str | None, source: KeySource) -> KeySource:
        self._key, self._source = key, source
        return source


def read_keyring_ahead() -> Future[str | None]:
    """Read the saved key in a thread, for a `KeyStore` made later: importing keyring
    (~0.1 s, its backends found through package metadata) and asking the OS store (a
    D-Bus round trip with Secret Service) then overlap Qt's own start instead of
    following it. The answer is the same as `load()` reading it itself."""
    return on_own_thread(KeyStore({})._read_keyring, name="keyring-read")


def _is_real_backend(backend: KeyringBackend | None) -> bool:
    from keyring.backends import chainer, fail, null

    if backend is None or isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(_is_real_backend(b) for b in backend.backends)
    return True
