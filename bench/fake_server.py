"""The fake xAI server (tests/helpers/fake_xai.py) in its own process, for the benchmarks.

Usage: python bench/fake_server.py REPLY_FILE COUNT [CHUNK_DELAY]
Answers the next COUNT chat requests with the text of REPLY_FILE (no reasoning), streamed
as fast as it can (CHUNK_DELAY 0). Prints "BASE_URL API_KEY" on one line, then serves
until its stdin is closed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers.fake_xai import FakeXai, Reply


def main() -> None:
    text = Path(sys.argv[1]).read_text(encoding="utf-8")
    count = int(sys.argv[2])
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    server = FakeXai().start()
    server.script_next(*[Reply(text=text, reasoning="", chunk_delay=delay) for _ in range(count)])
    print(server.base_url, server.api_key, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.release()
        server.stop()


if __name__ == "__main__":
    main()
