"""One server-address rule: the settings dialog's check and the API client refuse the
same addresses, and the client's refusal says why in the dialog's words."""

from __future__ import annotations

import pytest

from grokdesk.api.client import check_base_url
from grokdesk.api.errors import InsecureBaseUrl
from grokdesk.core.endpoint import DEFAULT_BASE_URL, is_loopback_host, validate_base_url

URLS = [
    DEFAULT_BASE_URL,
    "https://api.x.ai/v1/",
    "http://localhost:8080/v1",
    "http://127.4.5.6/v1",
    "http://[::1]:8000/v1",
    "http://api.x.ai/v1",
    "http://192.168.1.10:8080/v1",
    "http://localhost.evil.example/v1",
    "HTTP://EXAMPLE.COM/v1",
    "ftp://api.x.ai/v1",
    "api.x.ai/v1",
    "https://user:pw@api.x.ai/v1",
]


@pytest.mark.parametrize("url", URLS)
def test_the_client_accepts_exactly_what_the_settings_accept(url: str) -> None:
    problem = validate_base_url(url)
    if problem is None:
        assert check_base_url(url) == url.rstrip("/")
    else:
        with pytest.raises(InsecureBaseUrl) as caught:
            check_base_url(url)
        assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("[::1]", True),
        ("localhost.evil.example", False),
        ("10.0.0.1", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
