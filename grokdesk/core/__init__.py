"""Pure domain code: conversations, the model catalog, image checks, requests. No Qt, httpx or sqlite3."""
