"""Icons, the desktop entry and style sheets, loaded with importlib.resources.

Installed as the package ``grokdesk.resources`` (pyproject maps it to the top-level
``resources/`` folder) and bundled as data by packaging/grokdesk.spec, so a source
run, a wheel install and a frozen build all read the same files the same way.
No Qt here: the UI turns these bytes or paths into QIcons itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

#: The app icon sizes rendered by packaging/make_icons.py (icons/grokdesk-N.png).
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def _root() -> Traversable:
    return resources.files(__name__)


def _resource(name: str) -> Traversable:
    target = _root()
    for part in name.split("/"):
        target = target / part
    if not target.is_file():
        raise FileNotFoundError(f"no resource {name!r} in {__name__}")
    return target


def read_bytes(name: str) -> bytes:
    """The bytes of a resource, e.g. ``read_bytes("grokdesk.svg")`` or ``"icons/grokdesk-32.png"``."""
    return _resource(name).read_bytes()


def read_text(name: str) -> str:
    """A text resource (style sheet, desktop entry) decoded as UTF-8."""
    return _resource(name).read_text(encoding="utf-8")


@contextlib.contextmanager
def path_of(name: str) -> Iterator[Path]:
    """A real file path for a resource, valid inside the ``with`` block.

    Needed by APIs that want a file name (QIcon(str)); from a zip import it is a temporary copy.
    """
    with resources.as_file(_resource(name)) as path:
        yield path


def icon_names() -> list[str]:
    """Resource names of every rendered app-icon PNG, smallest first (feed them all to one QIcon)."""
    return [f"icons/grokdesk-{size}.png" for size in ICON_SIZES]
