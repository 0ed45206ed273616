"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.helpers.fake_xai import FakeXai


@pytest.fixture
def sdk(fake_xai: FakeXai) -> Iterator[openai.OpenAI]:
    """The official openai client pointed at the fake server: what it parses, real clients parse."""
    client = openai.OpenAI(base_url=fake_xai.base_url, api_key=fake_xai.api_key, max_retries=0, timeout=10)
    try:
        yield client
    finally:
        client.close()
