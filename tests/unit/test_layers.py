"""The layer rules of docs/ARCHITECTURE.md, checked on the source.

core <- api, storage <- ui <- app; inside ui, the packages chat, images, library
and settings form no loop: chat may use images, none uses another otherwise,
and the shared modules at the top of ui use none of them (mainwindow wires them).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "grokdesk"
QT_MODULES = ("PySide6", "qasync", "shiboken6")
# For each layer: the grokdesk subpackages and third-party roots it must not import.
FORBIDDEN: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "core": (
        ("grokdesk.api", "grokdesk.storage", "grokdesk.ui", "grokdesk.app"),
        (*QT_MODULES, "httpx", "sqlite3"),
    ),
    "api": (("grokdesk.storage", "grokdesk.ui", "grokdesk.app"), (*QT_MODULES, "sqlite3")),
    "storage": (("grokdesk.api", "grokdesk.ui", "grokdesk.app"), (*QT_MODULES, "httpx")),
    "ui": (("grokdesk.app",), ()),
}
UI_PACKAGES = ("chat", "images", "library", "settings")
# Which ui packages each ui package (or "top", the shared modules) may import.
UI_ALLOWED: dict[str, set[str]] = {
    "chat": {"images"},
    "images": set(),
    "library": set(),
    "settings": set(),
    "top": set(),
}
# The one module that wires the packages together.
UI_WIRING = {"mainwindow.py"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, package: str | None = None) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against ``package``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                if package is None:
                    package = (
                        module_name(path).rpartition(".")[0]
                        if path.name != "__init__.py"
                        else module_name(path)
                    )
                anchor = package.split(".")
                if node.level > 1:
                    anchor = anchor[: -(node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            names.add(base)
            # "from grokdesk.ui import chat" imports the subpackage grokdesk.ui.chat.
            for alias in node.names:
                names.add(f"{base}.{alias.name}")
    return {n for n in names if n}


def grokdesk_imports(path: Path) -> set[str]:
    return {n for n in imported_modules(path) if n.startswith("grokdesk")}


def violations(layer: str) -> list[str]:
    own, third_party = FORBIDDEN[layer]
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in own + third_party):
                found.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(layer: str) -> None:
    assert violations(layer) == []


def test_qt_only_in_ui_and_app() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("ui/") or rel in {"app.py", "__main__.py"}:
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in QT_MODULES:
                offenders.append(f"{rel} imports {name}")
    assert offenders == []


def ui_package_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE / "ui").parts
    return rel[0] if len(rel) > 1 and rel[0] in UI_PACKAGES else "top"


def ui_package_violations() -> list[str]:
    found = []
    for path in sorted((PACKAGE / "ui").rglob("*.py")):
        if path.relative_to(PACKAGE / "ui").as_posix() in UI_WIRING:
            continue
        own = ui_package_of(path)
        for name in grokdesk_imports(path):
            parts = name.split(".")
            if parts[:2] != ["grokdesk", "ui"] or len(parts) < 3 or parts[2] not in UI_PACKAGES:
                if own == "top" and parts[:3] == ["grokdesk", "ui", "mainwindow"]:
                    found.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
                continue
            target = parts[2]
            if target == own:
                continue
            if target not in UI_ALLOWED[own]:
                found.append(f"{path.relative_to(PACKAGE.parent)} ({own}) imports {name}")
            elif len(parts) > 3:
                public = importlib.import_module(f"grokdesk.ui.{target}").PUBLIC_MODULES
                if parts[3] not in public:
                    found.append(f"{path.relative_to(PACKAGE.parent)} imports internal {name}")
    return found


def test_ui_packages_form_no_loop_and_use_only_exports() -> None:
    assert ui_package_violations() == []


def test_every_ui_package_says_what_it_exports() -> None:
    for name in UI_PACKAGES:
        package = importlib.import_module(f"grokdesk.ui.{name}")
        assert package.__doc__ and len(package.__doc__) > 80, name
        for module in package.PUBLIC_MODULES:
            assert (PACKAGE / "ui" / name / f"{module}.py").is_file(), f"{name}.{module}"


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself must catch a bad import, or the tests above prove nothing."""
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlite3\nfrom PySide6.QtCore import QObject\n", encoding="utf-8")
    assert {"sqlite3", "PySide6.QtCore"} <= imported_modules(bad)


def test_checker_resolves_relative_imports(tmp_path: Path) -> None:
    """A relative import is checked like an absolute one (it names the same module)."""
    bad = tmp_path / "bad.py"
    bad.write_text("from ..chat import tab\nfrom . import viewer\nfrom .intake import x\n", encoding="utf-8")
    names = imported_modules(bad, package="grokdesk.ui.images")
    assert {"grokdesk.ui.chat.tab", "grokdesk.ui.images.viewer", "grokdesk.ui.images.intake"} <= names


def test_the_window_imports_no_renderer_network_or_keyring_before_its_first_paint() -> None:
    """Start-up: what the first paint does not need is imported after it (the chat stack
    by the first tab built, Markdown and highlighting by the transcripts' first render,
    Pillow by the first image, httpx by the first request, keyring read in a thread)."""
    import subprocess
    import sys

    chat = ("grokdesk.ui.chat.tab", "grokdesk.ui.chat.controller", "grokdesk.ui.chat.transcript")
    late = (*chat, "grokdesk.core.markdown", "markdown_it", "pygments", "PIL", "httpx", "keyring")
    code = f"import sys, grokdesk.ui.mainwindow; print([m for m in {late!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
