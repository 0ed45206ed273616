"""What every child process of the app does first (the math typesetter, the image readers).

Kept free of Qt and of the rest of the app so a child can import it cheaply.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading

# The UI process's frames matter more than a child's latency on a busy machine.
CHILD_NICENESS = 10


def start_child() -> None:
    """In the child process, first: yield the CPU to the UI process; and end when the
    parent ends, however it ended (a crash or a kill skips its orderly shutdown of its
    children)."""
    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows
        os.nice(CHILD_NICENESS)
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
