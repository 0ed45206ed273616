"""A tiny real HTTP server answering `GET /v1/api-key` like xAI does (reference/xai-api.md §4, §5.3).

Used by the welcome and settings-dialog tests until (or besides) the full fake xAI server.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from grokdesk.api.redact import mask_key

GOOD_KEY = "xai-Gk7uPq2ZrT9vWm4nXy8bLc3dHs6fJa1eQo5iUt0"
BLOCKED_KEY = "xai-Blocked9vWm4nXy8bLc3dHs6fJa1eQo5iUt0abc"
TEAM_ID = "5ea6f6bd-7815-4b8a-9135-28b2d7ba6722"


def _key_info(key: str, *, blocked: bool) -> dict[str, object]:
    return {
        "redacted_api_key": f"{key[:4]}...{key[-4:]}",
        "user_id": "59fbe5f2-040b-46d5-8325-868bb8f23eb2",
        "name": "My API Key",
        "create_time": "2024-01-01T12:55:18.139305Z",
        "modify_time": "2024-08-28T17:20:12.343321Z",
        "modified_by": "3d38b4dc-4eb7-4785-ae26-c3fa8997ffc7",
        "team_id": TEAM_ID,
        "acls": ["api-key:model:*", "api-key:endpoint:*"],
        "api_key_id": "ae1e1841-4326-4b36-a8a9-8a1a7237db11",
        "team_blocked": False,
        "api_key_blocked": blocked,
        "api_key_disabled": False,
    }


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/api-key":
            self._reply(404, {"code": "Some requested entity was not found", "error": "No handler found"})
            return
        auth = self.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ").strip()
        if not auth.startswith("Bearer ") or not key:
            self._reply(401, {"error": "Missing authentication"})
        elif key == GOOD_KEY:
            self._reply(200, _key_info(key, blocked=False))
        elif key == BLOCKED_KEY:
            self._reply(200, _key_info(key, blocked=True))
        else:
            self._reply(
                400,
                {
                    "code": "Client specified an invalid argument",
                    "error": f"Incorrect API key provided: {mask_key(key)}. "
                    "You can obtain an API key from https://console.x.ai.",
                },
            )

    def _reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet


class KeyCheckServer:
    """`with KeyCheckServer() as srv: srv.base_url` -> http://127.0.0.1:PORT/v1"""

    def __enter__(self) -> KeyCheckServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="keycheck")
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def closed_port_url() -> str:
    """A loopback base URL nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
