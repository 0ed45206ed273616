"""What an export or import did, in one sentence: shared by the command line and the library panel.

No Qt here: `grokdesk export`/`import` run without a display.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the library panel imports this before the first paint; the importer later
    from grokdesk.storage.importer import ImportReport


def plural(count: int, noun: str = "conversation") -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def export_summary(written: list[Path], out_dir: Path, fmt: str, count: int) -> str:
    """`count` conversations were written as `written` files in `out_dir`."""
    if fmt == "json" and written:
        return f"Exported {plural(count)} to {written[0]}"
    return f"Exported {plural(count)} as Markdown to {out_dir}"


def import_summary(report: ImportReport) -> str:
    """'Imported 3 conversations (1 already there).', plus each refused file and why."""
    imported = len(report.imported_ids)
    sentence = f"Imported {plural(imported)}"
    if report.skipped:
        sentence += f" ({report.skipped} already there)"
    sentence += "."
    if report.failures:
        reasons = " ".join(f.reason for f in report.failures)
        if not report.files:
            return reasons
        sentence += " " + reasons
    return sentence
