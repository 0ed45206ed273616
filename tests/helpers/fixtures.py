"""Shared pytest fixtures (imported by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.fake_xai import FakeXai


@pytest.fixture
def fake_xai() -> Iterator[FakeXai]:
    """A fresh fake xAI server on 127.0.0.1 for one test (`.base_url`, `.api_key`, `.script_next`,
    `.requests`, `.reset()`; see tests/helpers/fake_xai.py)."""
    server = FakeXai().start()
    try:
        yield server
    finally:
        server.release()
        server.stop()
