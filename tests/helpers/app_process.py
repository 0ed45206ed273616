"""Run the real app in a child process and drive it, for crash and quit tests.

The child builds the window exactly as `grokdesk` does (`setup_logging`,
`create_main_window` inside qasync, the key from `XAI_API_KEY`), sends a message in
each of `--tabs` tabs, and prints one line when every reply is streaming and its
partial text is on disk (read through a separate read-only SQLite connection):

    STREAMING <conversation id> ...

With `--draft TEXT` it then makes the first tab the active one, types TEXT into its
composer with real key events and prints `DRAFTED`.

Then, with `--quit`, it closes the window as a user does and quits the way `run_gui`
does (stop replies, save, close the store), printing `QUIT <exit code>`; without it,
it waits for SIGTERM, SIGINT or SIGHUP (then quits the same way) or to be killed.

    python -m tests.helpers.app_process --data-dir D --base-url URL --text "hello" [--tabs 3]
        [--draft TEXT] [--quit]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

READY = "STREAMING"
DRAFTED = "DRAFTED"


def partial_replies_on_disk(db: Path, conversation_ids: Sequence[str]) -> bool:
    """True when each conversation has a streaming assistant reply with some text saved."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            for cid in conversation_ids:
                row = conn.execute(
                    "SELECT count(*) FROM messages WHERE conversation_id = ? AND role = 'assistant' "
                    "AND state = 'streaming' AND text != ''",
                    (cid,),
                ).fetchone()
                if not row or row[0] == 0:
                    return False
        conn.close()
    except sqlite3.Error:
        return False
    return True


async def drive(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from grokdesk.app import create_main_window, quit_on_signals
    from grokdesk.storage.store import DB_NAME
    from grokdesk.ui.asynctasks import install_asyncgen_hooks

    install_asyncgen_hooks(asyncio.get_running_loop())
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    data_dir = Path(args.data_dir)
    window = create_main_window(data_dir=data_dir, base_url=args.base_url)
    closing = asyncio.Event()
    app.lastWindowClosed.connect(closing.set)
    signals = quit_on_signals(app, window, closing)  # as run_gui: SIGTERM quits like Ctrl+Q
    window.show()
    tabs = [window.current_tab() or window.new_conversation()]
    tabs += [window.new_conversation() for _ in range(args.tabs - 1)]
    for number, tab in enumerate(tabs, 1):
        tab.select_model(args.model)
        tab.composer.setPlainText(f"{args.text} (tab {number})" if args.tabs > 1 else args.text)
        tab.send()
    ids = [tab.controller.conversation.id for tab in tabs]
    while not partial_replies_on_disk(data_dir / DB_NAME, ids):  # noqa: ASYNC110 (polling the file on disk)
        await asyncio.sleep(0.02)
    print(READY, *ids, flush=True)
    if args.draft:
        from PySide6.QtTest import QTest

        window.tabs.setCurrentIndex(0)
        QTest.keyClicks(tabs[0].composer, args.draft)
        print(DRAFTED, flush=True)
    if args.quit:
        window.close()
    await closing.wait()  # without --quit: until a quit signal, or killed
    await window.shutdown_all()
    signals.uninstall()
    print("QUIT 0", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from grokdesk.app import setup_logging

    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--text", required=True)
    parser.add_argument("--model", default="grok-3")
    parser.add_argument("--tabs", type=int, default=1)
    parser.add_argument("--draft", default="")
    parser.add_argument("--quit", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(Path(args.data_dir))
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # as run_gui: we shut down ourselves
    return int(qasync.run(drive(args)))


# -- the parent's side --------------------------------------------------------------------


class AppProcess:
    """A child running `main` above; `wait_ready()` returns the conversation ids it streams into."""

    def __init__(self, data_dir: Path, base_url: str, api_key: str, text: str, *extra: str) -> None:
        env = {**os.environ, "XAI_API_KEY": api_key, "QT_QPA_PLATFORM": "offscreen"}
        env.pop("GROKDESK_BASE_URL", None)
        env.pop("GROKDESK_DATA_DIR", None)
        root = Path(__file__).resolve().parents[2]
        command = [sys.executable, "-m", "tests.helpers.app_process"]
        command += ["--data-dir", str(data_dir), "--base-url", base_url, "--text", text, *extra]
        self.process = subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def wait_ready(self, timeout: float = 30.0) -> list[str]:
        """The conversation ids once every reply streams with text on disk (raises on timeout or exit)."""
        return self.wait_for(READY, timeout)

    def wait_for(self, word: str, timeout: float = 30.0) -> list[str]:
        """The rest of the next line the child prints, which must start with `word`."""
        import selectors

        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.kill()
                raise TimeoutError(f"the app did not say {word} in {timeout} s")
            line = self.process.stdout.readline()
        if not line.startswith(word):
            self.process.wait(10)
            problem = self.stderr()
            self.close_pipes()
            raise RuntimeError(f"the app said {line!r} instead of {word}: {problem}")
        return line.split()[1:]

    def kill(self) -> None:
        """SIGKILL: no handler, no flush, no cleanup runs in the child."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.close_pipes()

    def close_pipes(self) -> None:
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()

    def finish(self, timeout: float = 30.0) -> tuple[int, str, str]:
        """Wait for the child to exit by itself: (exit code, stdout, stderr)."""
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None or self.process.stderr.closed:
            return "(no output)"
        return self.process.stderr.read()


if __name__ == "__main__":
    sys.exit(main())
