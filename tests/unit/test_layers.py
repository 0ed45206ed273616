"""The layer rules of DESIGN.md, checked on the source: core <- api, storage <- ui <- app."""

from __future__ import annotations

import ast
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


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


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


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself must catch a bad import, or the tests above prove nothing."""
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlite3\nfrom PySide6.QtCore import QObject\n", encoding="utf-8")
    assert {"sqlite3", "PySide6.QtCore"} <= imported_modules(bad)
