"""KeyStore: environment precedence, the OS keyring, and no plain-text fallback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import KeyringError

from grokdesk.core.secrets import mask_key
from grokdesk.storage.keystore import (
    SERVICE,
    USERNAME,
    KeySource,
    KeyStore,
    KeyStoreError,
    read_keyring_ahead,
)
from tests.helpers.memkeyring import MemoryKeyring

GOOD_KEY = "xai-Gk7uPq2ZrT9vWm4nXy8bLc3dHs6fJa1eQo5iUt0"
OTHER_KEY = "xai-Other0123456789abcdefghijklmnopqrstuvwx"


InstallBackend = Callable[[KeyringBackend], KeyringBackend]


@pytest.fixture
def use_backend() -> Iterator[InstallBackend]:
    """Install a keyring backend for one test and put the previous one back."""
    previous = keyring.get_keyring()

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_backend: InstallBackend) -> MemoryKeyring:
    backend = MemoryKeyring()
    use_backend(backend)
    return backend


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the XDG folders inside tmp_path, so any stray file would show up there."""
    home = tmp_path / "home"
    for name, sub in {
        "HOME": "",
        "XDG_DATA_HOME": ".local/share",
        "XDG_CONFIG_HOME": ".config",
        "XDG_CACHE_HOME": ".cache",
        "XDG_STATE_HOME": ".local/state",
    }.items():
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    monkeypatch.chdir(home)
    return home


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


class BrokenKeyring(KeyringBackend):
    """A keyring that exists but refuses everything (a locked or broken store)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError(f"refused to store {password}")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("the collection is locked")


def test_mask_key_matches_the_server() -> None:
    assert mask_key(GOOD_KEY) == "xa***t0"
    assert mask_key("short") == "***"
    assert mask_key("") == "***"


def test_no_key_anywhere(memory: MemoryKeyring) -> None:
    store = KeyStore({})
    assert store.load() is KeySource.NONE
    assert store.key is None
    assert store.masked == ""


def test_saved_key_is_in_the_keyring_and_found_next_start(memory: MemoryKeyring) -> None:
    result = KeyStore({}).save(GOOD_KEY)
    assert result.stored_securely
    assert result.source is KeySource.KEYRING
    assert GOOD_KEY not in result.message
    assert "xa***t0" in result.message
    assert memory.store[(SERVICE, USERNAME)] == GOOD_KEY

    next_start = KeyStore({})
    assert next_start.load() is KeySource.KEYRING
    assert next_start.key == GOOD_KEY
    # The app reads it ahead, in a thread while Qt starts: the same answer.
    read_ahead = KeyStore({}, keyring_read=read_keyring_ahead())
    assert read_ahead.load() is KeySource.KEYRING
    assert read_ahead.key == GOOD_KEY


def test_environment_wins_and_is_never_saved(memory: MemoryKeyring) -> None:
    KeyStore({}).save(GOOD_KEY)
    store = KeyStore({"XAI_API_KEY": f"  {OTHER_KEY}\n"})
    assert store.load() is KeySource.ENVIRONMENT
    assert store.key == OTHER_KEY
    assert memory.store[(SERVICE, USERNAME)] == GOOD_KEY  # the keyring still holds the saved one


def test_saving_while_environment_set_uses_new_key_now_and_env_next_time(memory: MemoryKeyring) -> None:
    env = {"XAI_API_KEY": OTHER_KEY}
    store = KeyStore(env)
    store.load()
    result = store.save(GOOD_KEY)
    assert store.key == GOOD_KEY
    assert "XAI_API_KEY" in result.message
    assert KeyStore(env).load() is KeySource.ENVIRONMENT


def test_empty_environment_variable_is_ignored(memory: MemoryKeyring) -> None:
    KeyStore({}).save(GOOD_KEY)
    store = KeyStore({"XAI_API_KEY": "  "})
    assert store.load() is KeySource.KEYRING


def test_replace_then_remove(memory: MemoryKeyring) -> None:
    store = KeyStore({})
    store.save(GOOD_KEY)
    store.save(OTHER_KEY)
    assert KeyStore({}).load() is KeySource.KEYRING
    assert memory.store[(SERVICE, USERNAME)] == OTHER_KEY

    assert store.remove() is KeySource.NONE
    assert store.key is None
    assert memory.store == {}
    assert KeyStore({}).load() is KeySource.NONE
    assert store.remove() is KeySource.NONE  # removing twice is harmless


def test_remove_falls_back_to_the_environment_key(memory: MemoryKeyring) -> None:
    store = KeyStore({"XAI_API_KEY": OTHER_KEY})
    store.save(GOOD_KEY)
    assert store.remove() is KeySource.ENVIRONMENT
    assert store.key == OTHER_KEY


def test_empty_key_is_refused(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="empty"):
        KeyStore({}).save("   ")


@pytest.mark.parametrize("backend", [fail.Keyring, BrokenKeyring], ids=["NoKeyringError", "KeyringError"])
def test_no_secure_store_keeps_the_key_in_memory_and_writes_no_file(
    use_backend: InstallBackend, isolated_home: Path, backend: type[KeyringBackend]
) -> None:
    use_backend(backend())
    store = KeyStore({})
    assert store.load() is KeySource.NONE

    result = store.save(GOOD_KEY)

    assert not result.stored_securely
    assert result.source is KeySource.MEMORY
    assert result.message.startswith("No secure key store is available on this system (")
    assert result.message.endswith("the key is kept for this session only.")
    assert GOOD_KEY not in result.message
    assert store.key == GOOD_KEY
    assert store.load() is KeySource.MEMORY  # still there for the rest of the run
    assert files_under(isolated_home) == []
    # A new process (a new KeyStore) has nothing: the key was never written anywhere.
    assert KeyStore({}).load() is KeySource.NONE


def test_no_secure_store_is_reported(use_backend: InstallBackend) -> None:
    use_backend(fail.Keyring())
    store = KeyStore({})
    assert not store.secure_store_available()
    assert store.backend_name() == "none"
    use_backend(null.Keyring())
    assert not store.secure_store_available()


def test_memory_backend_counts_as_secure_store(memory: MemoryKeyring) -> None:
    store = KeyStore({})
    assert store.secure_store_available()
    assert store.backend_name() != "none"


def test_remove_with_no_store_forgets_the_session_key(use_backend: InstallBackend) -> None:
    use_backend(fail.Keyring())
    store = KeyStore({})
    store.save(GOOD_KEY)
    assert store.remove() is KeySource.NONE
    assert store.load() is KeySource.NONE


def test_remove_refused_by_keyring_is_reported(use_backend: InstallBackend) -> None:
    use_backend(BrokenKeyring())
    with pytest.raises(KeyStoreError, match="could not be removed"):
        KeyStore({}).remove()


def test_keyring_not_imported_by_module_import() -> None:
    """Start-up cost (~0.1 s before the first paint): importing keystore must not import keyring."""
    import subprocess
    import sys

    code = "import sys, grokdesk.storage.keystore; print('keyring' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
