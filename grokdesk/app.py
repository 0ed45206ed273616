"""Composition root: command line, logging, QApplication, the qasync loop, wiring, shutdown.

Automation contract (README and docs/ARCHITECTURE.md): `grokdesk [--data-dir DIR] [--base-url URL] [--smoke]
[--version]`, `grokdesk --install-desktop-entry | --uninstall-desktop-entry`, `grokdesk import PATH...`,
`grokdesk export --format md|json --out DIR`;
environment `XAI_API_KEY` (used for that run, never saved), `GROKDESK_BASE_URL`,
`GROKDESK_DATA_DIR`; `create_main_window(*, data_dir, base_url=None, api_key=None)`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import importlib.util
import logging
import logging.handlers
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grokdesk import __version__
from grokdesk.core.endpoint import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from PySide6.QtGui import QGuiApplication, QIcon

    from grokdesk.platformcheck import PlatformProblem
    from grokdesk.storage.worker import StoreWorker
    from grokdesk.ui.mainwindow import MainWindow
    from grokdesk.ui.quitsignals import QuitSignals
    from grokdesk.ui.settings.appsettings import AppSettings
    from grokdesk.ui.settings.welcome import MenuEntryOffer

log = logging.getLogger("grokdesk")

APP_NAME = "GrokDesk"
ENV_API_KEY = "XAI_API_KEY"
ENV_BASE_URL = "GROKDESK_BASE_URL"
ENV_DATA_DIR = "GROKDESK_DATA_DIR"
LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
SETTINGS_NAME = "settings.ini"


def default_data_dir() -> Path:
    """The platform's per-user application data folder."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False, roaming=True)


def resolve_data_dir(arg: str | None) -> Path:
    raw = arg or os.environ.get(ENV_DATA_DIR)
    return Path(raw).expanduser() if raw else default_data_dir()


def resolve_base_url(arg: str | None, saved: str | None = None) -> str:
    return arg or os.environ.get(ENV_BASE_URL) or saved or DEFAULT_BASE_URL


class _NotYetPrinted(logging.Filter):
    """Keeps a record the user was already shown on stderr (``extra={"printed": True}``)
    out of the stderr handler, so the terminal shows it once; the log file still gets it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "printed", False)


class _SecretFilter(logging.Filter):
    """Masks the API key (and anything key-like) in every record, whatever logged it."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        from grokdesk.api.redact import redact

        message = record.getMessage()
        cleaned = message
        for secret in self.secrets:
            cleaned = redact(cleaned, secret)
        cleaned = redact(cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


SECRET_FILTER = _SecretFilter()


def setup_logging(data_dir: Path, *, verbose: bool = False) -> None:
    """Log to a rotating file in the data folder (the frozen app has no console) and,
    from a terminal, to stderr. Every handler masks the key."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    try:
        log_dir = data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_dir / "grokdesk.log", maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
        )
    except OSError as exc:
        print(f"GrokDesk: cannot write logs to {data_dir / 'logs'}: {exc.strerror}", file=sys.stderr)
    if sys.stderr is not None and not getattr(sys, "frozen", False):
        console = logging.StreamHandler(sys.stderr)
        console.addFilter(_NotYetPrinted())
        handlers.append(console)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(SECRET_FILTER)
        root.addHandler(handler)


def _add_common_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    """The options every command takes; `default` is SUPPRESS on a command's own parser so
    that an option given before the command is not reset by the command's defaults."""
    parser.add_argument(
        "--data-dir", default=default, help=f"data folder (default: the platform's; env {ENV_DATA_DIR})"
    )
    parser.add_argument(
        "--base-url", default=default, help=f"API base URL (default {DEFAULT_BASE_URL}; env {ENV_BASE_URL})"
    )
    parser.add_argument("--verbose", action="store_true", default=default, help="debug logging")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """`--data-dir`, `--base-url` and `--verbose` go before or after `import`/`export`
    (as with pip, git or docker)."""
    parser = argparse.ArgumentParser(prog="grokdesk", description="A desktop chat client for xAI's Grok.")
    parser.add_argument("--version", action="version", version=f"GrokDesk {__version__}")
    _add_common_options(parser, default=None)
    parser.set_defaults(verbose=False)
    parser.add_argument("--smoke", action="store_true", help="start, paint the main window, exit 0")
    entry = parser.add_mutually_exclusive_group()
    entry.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add GrokDesk to the applications menu (Linux; the .desktop file and icons in your XDG folders)",
    )
    entry.add_argument(
        "--uninstall-desktop-entry", action="store_true", help="remove that menu entry and its icons"
    )
    # Hidden end-to-end check of an installed or frozen app (packaging/smoke_stream.py):
    # send TEXT after the first paint, print one JSON line when the reply ends, exit 0 if
    # it completed with text.
    parser.add_argument("--smoke-send", metavar="TEXT", help=argparse.SUPPRESS)
    # With --smoke-send: attach this image file first (may be given more than once).
    parser.add_argument("--smoke-attach", metavar="FILE", type=Path, action="append", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command")
    imp = sub.add_parser("import", help="import GrokDesk JSON or ChatGPT conversations.json files")
    imp.add_argument("paths", nargs="+", type=Path)
    _add_common_options(imp, default=argparse.SUPPRESS)
    exp = sub.add_parser("export", help="export every conversation")
    _add_common_options(exp, default=argparse.SUPPRESS)
    exp.add_argument("--format", choices=("md", "json"), required=True)
    exp.add_argument("--out", type=Path, required=True)
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    # In a frozen build the math child process is this executable started again with
    # multiprocessing's arguments: run the child's work and exit instead of the app.
    import multiprocessing

    multiprocessing.freeze_support()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return desktop_entry_command(install=args.install_desktop_entry)
    data_dir = resolve_data_dir(args.data_dir)
    if args.command in ("import", "export"):
        from grokdesk.cli import run_command

        return run_command(args, data_dir)
    setup_logging(data_dir, verbose=args.verbose)
    from grokdesk.crashreport import install_exception_logging

    install_exception_logging(early_faults_to_stderr=True)
    problem = platform_problem()
    if problem is not None:
        # Qt would abort the interpreter with a message that names neither the missing
        # library nor its package; say it ourselves and stop cleanly.
        from grokdesk.platformcheck import EXIT_NO_PLATFORM

        print(problem.message, file=sys.stderr)
        log.error("%s", problem.message, extra={"printed": True})
        return EXIT_NO_PLATFORM
    return run_gui(
        data_dir=data_dir,
        base_url=args.base_url,
        smoke=args.smoke,
        smoke_send=args.smoke_send,
        smoke_attach=args.smoke_attach or [],
        model=args.model,
    )


def platform_problem() -> PlatformProblem | None:
    """Why Qt could not open a window here (checked before any QApplication exists)."""
    # Not importing Qt for this: QtGui itself fails to load without some of the libraries
    # checked here.
    qtgui = sys.modules.get("PySide6.QtGui")
    if qtgui is not None and qtgui.QGuiApplication.instance() is not None:
        return None  # a QApplication already runs (tests): its platform loaded
    from grokdesk.platformcheck import check_platform, try_load

    return check_platform(os.environ, try_load)


def desktop_entry_command(*, install: bool) -> int:
    """`--install-desktop-entry` / `--uninstall-desktop-entry`: 0 on success, 1 otherwise."""
    from grokdesk import desktopentry

    if not desktopentry.supported():
        print("The applications-menu entry is for Linux desktops.", file=sys.stderr)
        return 1
    data = desktopentry.data_home(os.environ)
    try:
        if not install:
            removed = desktopentry.uninstall(data)
            print(
                "Removed the GrokDesk menu entry and icons (your conversations are kept)."
                if removed
                else "No GrokDesk menu entry was installed."
            )
            return 0
        launcher = desktopentry.find_launcher()
        if launcher is None:
            print(
                "Cannot find the installed grokdesk command to start from the menu: install GrokDesk "
                "with pip or pipx first, then run grokdesk --install-desktop-entry.",
                file=sys.stderr,
            )
            return 1
        print(desktopentry.install(data, launcher).describe())
        return 0
    except desktopentry.DesktopEntryError as exc:
        print(f"GrokDesk: {exc}", file=sys.stderr)
        return 1


def menu_entry_offer(settings: AppSettings) -> MenuEntryOffer | None:
    """What the welcome view offers: adding GrokDesk to the applications menu, on Linux,
    once (until added or declined), when no entry exists and an installed launcher does."""
    from grokdesk.ui.settings.welcome import MenuEntryOffer

    if settings.menu_entry_offer_answered:
        return None
    try:
        from grokdesk import desktopentry
    except ImportError:
        return None  # a source checkout run without installing: no icons, no launcher
    if not desktopentry.supported():
        return None
    data = desktopentry.data_home(os.environ)
    if desktopentry.is_installed(data):
        return None
    launcher = desktopentry.find_launcher()
    if launcher is None:
        return None

    def install() -> str:
        return desktopentry.install(data, launcher).describe()

    return MenuEntryOffer(install=install)


def create_main_window(
    *,
    data_dir: Path,
    base_url: str | None = None,
    api_key: str | None = None,
    client_options: Mapping[str, Any] | None = None,
    keyring_read: Future[str | None] | None = None,
    store_worker: StoreWorker | None = None,
) -> MainWindow:
    """The wired main window, not yet shown, for use inside a running qasync loop.

    `api_key` (or `XAI_API_KEY`) is used for this run and never saved; otherwise the
    key comes from the OS keyring. `base_url` (or `GROKDESK_BASE_URL`) overrides the
    saved setting for this run. `client_options` are extra `XaiClient` arguments
    (tests use short timeouts and backoff). `keyring_read` is the saved key read ahead
    (`read_keyring_ahead`), used when there is no key from the arguments or environment.
    `store_worker` is the store of `data_dir` already opening on its thread (`run_gui`
    starts it before Qt); the window owns it from here on.
    """
    from PySide6.QtCore import QSettings

    from grokdesk.storage.errors import EnvironmentProblem
    from grokdesk.storage.keystore import KeyStore
    from grokdesk.storage.worker import StoreWorker
    from grokdesk.ui.asynctasks import use_one_worker_thread
    from grokdesk.ui.connection import ApiConnection
    from grokdesk.ui.look import apply_look
    from grokdesk.ui.mainwindow import MainWindow
    from grokdesk.ui.modelcatalog import ModelCatalog
    from grokdesk.ui.persistence import StoreSink
    from grokdesk.ui.settings.appsettings import AppSettings

    with contextlib.suppress(RuntimeError):  # no running loop: nothing goes off the UI thread yet
        use_one_worker_thread(asyncio.get_running_loop())
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = AppSettings(QSettings(str(data_dir / SETTINGS_NAME), QSettings.Format.IniFormat))
    # Style, palette and style sheet before any widget exists: applied afterwards, every
    # widget of the window is polished twice.
    apply_look(settings.theme, settings.font_size)
    env = dict(os.environ)
    if api_key:
        env[ENV_API_KEY] = api_key
    keystore = KeyStore(env, keyring_read=keyring_read)
    keystore.load()
    if keystore.key:
        SECRET_FILTER.secrets.add(keystore.key)
    connection = ApiConnection(
        resolve_base_url(base_url, settings.base_url),
        keystore.key,
        proxy=settings.proxy,
        client_options=client_options,
        api_modes=settings,
    )
    worker = store_worker or StoreWorker(data_dir)
    try:
        # Opening takes milliseconds; a folder held by a second GrokDesk, or one that
        # cannot be written, must stop the start instead of writing beside it.
        worker.ready.result()
    except EnvironmentProblem:
        worker.close()
        raise
    sink = StoreSink(worker)
    catalog = ModelCatalog(
        data_dir=data_dir,
        base_url=lambda: connection.base_url,
        client=connection.any_client,
        has_key=lambda: connection.has_key,
    )
    window = MainWindow(
        connection=connection,
        catalog=catalog,
        sink=sink,
        settings=settings,
        keystore=keystore,
        data_dir=data_dir,
        secret_sink=SECRET_FILTER.secrets.add,
        base_url_override=base_url or os.environ.get(ENV_BASE_URL) or None,
        # Worked out when the welcome view is shown (with no key): it imports the welcome
        # view and looks for the installed launcher, which a start with a key never needs.
        menu_entry_offer=lambda: menu_entry_offer(settings),
    )
    catalog.setParent(window)
    sink.setParent(window)
    window.restore_session()
    return window


def app_icon() -> QIcon:
    """The window icon from the PNG sizes in grokdesk.resources."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon, QPixmap

    icon = QIcon()
    folder = _resource_folder()
    if folder is not None:
        # Plain files (pip, an editable install, a frozen build's folder): read when a size
        # is first drawn (decoding all nine PNGs up front cost the first paint more than the
        # one or two it draws), and found without importing grokdesk.resources, whose
        # importlib.resources cost the first paint ~8 ms.
        for path in (folder / "icons").glob("grokdesk-*.png"):
            size = path.stem.rsplit("-", 1)[1]
            if size.isdigit():
                icon.addFile(str(path), QSize(int(size), int(size)))
        if not icon.isNull():
            return icon
    try:
        # resources/ becomes grokdesk.resources only when pip installs it (package-dir in
        # pyproject), so it is imported by name: the source tree mypy reads has no such folder.
        resources = importlib.import_module("grokdesk.resources")
    except ImportError:
        # Run from a source checkout that was never installed: the resources folder is
        # installed as grokdesk.resources only by pip. No icon then, nothing else lost.
        log.warning("no app icon: grokdesk.resources is not installed (pip install -e .)")
        return icon
    for name in resources.icon_names():  # inside a zip: decoded now
        pixmap = QPixmap()
        if pixmap.loadFromData(resources.read_bytes(name)):
            icon.addPixmap(pixmap)
    return icon


def _resource_folder() -> Path | None:
    """The folder of grokdesk.resources when it is one on disk; None otherwise (not
    installed, or inside a zip)."""
    try:
        spec = importlib.util.find_spec("grokdesk.resources")
    except ImportError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder if folder.is_dir() else None


def set_up_fonts_ahead() -> None:
    """Qt's font database (fontconfig's configuration and the system's font list) set up
    on a thread of its own while the window's modules are imported: the window's first
    text waited ~8 ms for it. QFontDatabase is thread-safe; needs the QGuiApplication."""
    from PySide6.QtGui import QFontDatabase

    from grokdesk.core.background import on_own_thread

    on_own_thread(QFontDatabase.families, name="font-database")


def quit_on_signals(app: QGuiApplication, window: MainWindow, closing: asyncio.Event) -> QuitSignals:
    """SIGTERM, SIGINT and SIGHUP close the window as Ctrl+Q does and set `closing`, after
    which the caller runs `window.shutdown_all()`; a session manager's commit request
    writes the session at once."""
    from grokdesk.ui.quitsignals import QuitSignals

    def quit_requested(_name: str = "") -> None:
        # As Ctrl+Q: replies stop (closeEvent); the caller's shutdown saves them.
        window.close()
        closing.set()

    signals = QuitSignals(app)
    signals.requested.connect(quit_requested)
    signals.install()
    # A session manager (logout) asks first: what is open is written now, before it
    # goes on to end the app.
    app.commitDataRequest.connect(lambda _manager: window.save_session())
    return signals


def run_gui(
    *,
    data_dir: Path,
    base_url: str | None,
    smoke: bool,
    smoke_send: str | None = None,
    smoke_attach: Sequence[Path] = (),
    model: str | None = None,
) -> int:
    # No automatic collection from here on: the UI thread's collector (ui.gcguard) runs it
    # once the loop turns. Left on until then, Python's collector ran ~50 times while Qt and
    # the window's modules were imported (~10 ms before the first paint), and it may run on
    # the keyring's or the store's thread, which gcguard exists to prevent.
    gc.disable()
    keyring_read = None
    if not os.environ.get(ENV_API_KEY, "").strip():
        # The saved key is read while Qt starts; the window waits for it before anything
        # that depends on it (the welcome view, the first request).
        from grokdesk.storage.keystore import read_keyring_ahead

        keyring_read = read_keyring_ahead()
    from grokdesk.storage.worker import StoreWorker

    # Opened on its own thread from now on: checking, migrating and writing the database
    # (disk waits, mostly) overlap importing Qt and the window's modules. Opened when the
    # window was built, the window waited ~20 ms for it.
    store_worker = StoreWorker(data_dir)
    from grokdesk.ui.featurescan import skip_known_modules

    # Before the first import of PySide6's modules: from here on every import is checked.
    skip_known_modules()
    import qasync
    from PySide6.QtWidgets import QApplication, QMessageBox

    from grokdesk.crashreport import CrashReport, log_loop_exception
    from grokdesk.storage.errors import EnvironmentProblem

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("grokdesk")
    app.setQuitOnLastWindowClosed(
        False
    )  # shut down ourselves: Qt quitting mid-await gives "Event loop stopped before Future completed"
    app.setWindowIcon(app_icon())
    set_up_fonts_ahead()

    async def run() -> int:
        from grokdesk.ui.asynctasks import install_asyncgen_hooks
        from grokdesk.ui.gcguard import UiThreadCollector

        loop = asyncio.get_running_loop()
        install_asyncgen_hooks(loop)
        loop.set_exception_handler(log_loop_exception)
        collector = UiThreadCollector(app)
        collector.start()
        try:
            window = create_main_window(
                data_dir=data_dir, base_url=base_url, keyring_read=keyring_read, store_worker=store_worker
            )
        except EnvironmentProblem as problem:
            log.error("cannot start: %s", problem)
            if not smoke:
                QMessageBox.critical(None, APP_NAME, str(problem))
            else:
                print(f"GrokDesk: {problem}", file=sys.stderr)
            return 2
        crash_report = CrashReport(data_dir / "logs")
        last_run = crash_report.begin()
        if last_run is not None and not smoke and smoke_send is None:
            window.tell_last_run_ended_badly(last_run, crash_report.log_dir)
        closing = asyncio.Event()
        app.lastWindowClosed.connect(closing.set)
        if smoke:
            # Painted with the current conversation shown, not only the window's frame.
            window.content_painted.connect(closing.set)
        window.painted.connect(lambda: log.info("main window shown"))
        signals = quit_on_signals(app, window, closing)
        window.show()
        status = 0
        if smoke_send is not None:
            from grokdesk.smokesend import send_and_report

            status = await send_and_report(window, smoke_send, model, smoke_attach)
        else:
            await closing.wait()
        if smoke or smoke_send is not None:
            window.close()
        await window.shutdown_all()
        signals.uninstall()
        crash_report.end()
        log.info("quit: replies and the open tabs saved")
        return status

    try:
        status: int = qasync.run(run())
        return status
    except KeyboardInterrupt:
        return 130
