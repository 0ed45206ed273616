"""`grokdesk export` and `grokdesk import`: the library from the command line, without Qt.

Exit codes: 0 done; 1 a file was refused (the reason on stderr; nothing of it was
imported), the export could not be written, or there is nothing to export; 2 the store
could not be used (another GrokDesk holds the data folder, a read-only or full disk).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grokdesk.storage.errors import EnvironmentProblem, ImportFailed, ReadOnly
from grokdesk.storage.exporter import export_conversations
from grokdesk.storage.importer import ImportReport, import_paths
from grokdesk.storage.store import DB_NAME, Store
from grokdesk.transfer import export_summary, import_summary

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_STORE = 2


def run_command(args: argparse.Namespace, data_dir: Path) -> int:
    """Run `args.command` ("export" with `format` and `out`, or "import" with `paths`) on `data_dir`."""
    if args.command == "export" and not (Path(data_dir) / DB_NAME).exists():
        # Opening would create an empty store: a mistyped --data-dir must not leave folders behind.
        print(f"grokdesk: there are no saved conversations in {data_dir}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        store = Store.open(data_dir)
    except ReadOnly as exc:
        if args.command != "export":
            print(f"grokdesk: {exc}", file=sys.stderr)
            return EXIT_STORE
        try:
            # Exporting only reads: a folder that cannot be written can still be saved from.
            store = Store.open_read_only(data_dir)
        except EnvironmentProblem as problem:
            print(f"grokdesk: {problem}", file=sys.stderr)
            return EXIT_STORE
    except EnvironmentProblem as exc:
        print(f"grokdesk: {exc}", file=sys.stderr)
        return EXIT_STORE
    try:
        if store.recovered_from is not None:
            print(
                f"grokdesk: the database was damaged; it was moved to {store.recovered_from}.",
                file=sys.stderr,
            )
        if args.command == "export":
            return _export(store, Path(args.out), args.format)
        if args.command == "import":
            return _import(store, [Path(p) for p in args.paths])
        raise ValueError(f"unknown command {args.command!r}")
    except EnvironmentProblem as exc:
        print(f"grokdesk: {exc}", file=sys.stderr)
        return EXIT_STORE
    finally:
        store.close()


def _export(store: Store, out_dir: Path, fmt: str) -> int:
    ids = [summary.id for summary in store.list_conversations()]
    try:
        written = export_conversations(store, out_dir, fmt, ids)
    except OSError as exc:  # e.g. --out names a file; a full or read-only disk arrives as EnvironmentProblem
        print(f"grokdesk: cannot write the export to {out_dir}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(export_summary(written, out_dir, fmt, len(ids)))
    return EXIT_OK


def _import(store: Store, paths: list[Path]) -> int:
    try:
        report = import_paths(store, paths)
    except ImportFailed as exc:
        print(f"grokdesk: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    # Refusals go to stderr; stdout gets the one-line summary of what did import.
    for failure in report.failures:
        print(f"grokdesk: {failure.path}: {failure.reason}", file=sys.stderr)
    print(import_summary(ImportReport(files=report.files)))
    return EXIT_REFUSED if report.failures else EXIT_OK
