"""The server address rule, in one place: which base URLs the app may send the key to.

Any OpenAI-compatible server is allowed, but only over https, unless the host is this
computer (localhost, 127.0.0.0/8, ::1): plain http elsewhere would send the API key
unencrypted. The settings dialog shows `validate_base_url`'s reason next to the field;
the API client refuses the same addresses with the same words.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

DEFAULT_BASE_URL: Final = "https://api.x.ai/v1"


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: traffic that never leaves this computer."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(text: str) -> str:
    """Trim spaces and trailing slashes, so `https://api.x.ai/v1/` and `.../v1` are one value."""
    return text.strip().rstrip("/")


def validate_base_url(text: str) -> str | None:
    """Why `text` is refused as a server address, or None: https unless the host is loopback."""
    url = normalize_base_url(text)
    if not url:
        return f"Enter the server's address, for example {DEFAULT_BASE_URL}."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The address is not a valid URL (check the host name and port)."
    if parts.scheme not in ("http", "https"):
        return "The address must start with https://."
    if not parts.hostname:
        return "The address has no host name."
    if port == 0:
        return "The port must be a number from 1 to 65535."
    if parts.username or parts.password:
        return "The address must not contain a user name or password."
    if parts.query or parts.fragment:
        return "The address must not contain '?' or '#'."
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return (
            f"Plain http:// would send your API key unencrypted to {parts.hostname}; "
            "use https:// (http:// is only allowed for localhost, 127.0.0.1 or ::1)."
        )
    return None
