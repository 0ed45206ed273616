"""Typeset math for the transcript: LaTeX to SVG with ziamath (pure Python, no TeX, no
browser), SVG to an image with QtSvg, shown where the Markdown renderer put a
`math:` image.

Typesetting takes 20-60 ms a formula of pure Python (ziamath), so it runs in a child
process (mathprocess.py), which leaves this process's interpreter lock to the UI
thread; a worker thread waits for each SVG and draws it (QtSvg, about a millisecond).
The view shows a blank placeholder until the image arrives and the formula's place in
the document is laid out again. Images are cached per formula and style (colour, size,
device pixel ratio), and SVGs per formula and size, so a reply re-rendered while it
streams typesets nothing twice and a new theme only draws again. The child is started,
and imports ziamath, on the first formula: start-up pays for neither.

An inline formula sits on the text baseline: ziamath gives its descent, and the image
is padded so the baseline the layout puts it on is the formula's own (Qt aligns an
inline image by its bottom, at the font's descent with AlignBaseline, or around the
x-height with AlignMiddle for a formula reaching deeper). A formula that cannot be
typeset is drawn as its source in a code style: nothing is lost.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QMimeData,
    QObject,
    QRectF,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontInfo,
    QFontMetricsF,
    QImage,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextImageFormat,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QTextEdit

from grokdesk.core.math import URL_SCHEME, Formula, formula_from_url, math_url
from grokdesk.core.mathsvg import LatexSvg, latex_svg
from grokdesk.ui.chat.mathprocess import MathProcess, app_math_process

# Math fonts have a smaller x-height than UI sans-serif fonts: a little larger reads alike.
INLINE_SCALE = 1.2
DISPLAY_SCALE = 1.25
CACHE_SIZE = 2000
# While the view is busy (a reply streaming in), the worker rests this many times as long as
# each formula took: its Python holds the interpreter lock, which the UI thread needs too.
BUSY_REST = 3.0
BUSY_WINDOW_S = 0.1
BATCH_MS = 100
OBJECT = "\ufffc"
Align = QTextCharFormat.VerticalAlignment


@dataclass(frozen=True, slots=True)
class MathStyle:
    """Everything an image depends on besides the formula."""

    color: str
    pixel_size: float
    device_pixel_ratio: float
    font_descent: float  # of the text the formula sits in, in pixels
    x_height: float
    code_background: str
    code_family: str


@dataclass(frozen=True, slots=True)
class Typeset:
    image: QImage  # device pixels; its devicePixelRatio is the style's
    width: float  # logical pixels
    height: float
    align: Align
    ok: bool  # False: the source drawn as code, the formula could not be typeset


SvgSource = Callable[[str, float, bool], LatexSvg | None]


def typeset(formula: Formula, style: MathStyle, source: SvgSource = latex_svg) -> Typeset:
    """The formula as an image in `style` (any thread: it paints on a QImage only);
    `source` gives its SVG (by default typeset right here)."""
    return rasterise(formula, style, source(formula.latex, svg_size(formula, style), formula.display))


def svg_size(formula: Formula, style: MathStyle) -> float:
    return style.pixel_size * (DISPLAY_SCALE if formula.display else INLINE_SCALE)


def rasterise(formula: Formula, style: MathStyle, svg: LatexSvg | None) -> Typeset:
    """The typeset SVG drawn in the style's colour, or the source drawn as code when
    there is no SVG (the formula could not be typeset) or QtSvg cannot draw it."""
    if svg is not None:
        renderer = QSvgRenderer(QByteArray(svg.recoloured(style.color).encode("utf-8")))
        if renderer.isValid():
            return _padded(
                style, svg.width, svg.ascent, svg.descent, renderer.render, display=formula.display, ok=True
            )
    return _typeset_source(formula, style)


def _typeset_source(formula: Formula, style: MathStyle) -> Typeset:
    font = QFont(style.code_family)
    font.setPixelSize(max(1, round(style.pixel_size * 0.95)))
    metrics = QFontMetricsF(font)
    pad = 2.0
    text = formula.source
    bounds = metrics.boundingRect(QRectF(0, 0, 1e6, 1e6), 0, text)
    width = bounds.width() + 2 * pad
    descent = metrics.descent() + pad
    ascent = bounds.height() + 2 * pad - descent

    def draw(painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor(style.code_background))
        painter.setFont(font)
        painter.setPen(QColor(style.color))
        painter.drawText(rect.adjusted(pad, pad, -pad, -pad), 0, text)

    return _padded(style, width, ascent, descent, draw, display=formula.display, ok=False)


def _padded(
    style: MathStyle,
    width: float,
    ascent: float,
    descent: float,
    draw: Callable[[QPainter, QRectF], None],
    *,
    display: bool,
    ok: bool,
) -> Typeset:
    """Paint at the device pixel ratio, padded so the layout puts the baseline right."""
    top = bottom = 0.0
    if display:
        align = Align.AlignNormal
    elif descent <= style.font_descent:
        # AlignBaseline puts the image's bottom at the font's descent below the baseline.
        align = Align.AlignBaseline
        bottom = style.font_descent - descent
    else:
        # AlignMiddle puts the image's centre half an x-height above the baseline...
        # exactly: ascent - descent = x_height / 2. Pad whichever side is short.
        align = Align.AlignMiddle
        excess = ascent - descent - style.x_height / 2
        if excess >= 0:
            bottom = excess
        else:
            top = -excess
    height = top + ascent + descent + bottom
    ratio = style.device_pixel_ratio
    logical_width, logical_height = math.ceil(width), math.ceil(height)
    image = QImage(
        max(1, math.ceil(logical_width * ratio)),
        max(1, math.ceil(logical_height * ratio)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.setDevicePixelRatio(ratio)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    draw(painter, QRectF(0, top, width, ascent + descent))
    painter.end()
    return Typeset(image, logical_width, logical_height, align, ok)


_Key = tuple[Formula, MathStyle]
_SvgKey = tuple[str, bool, float]  # LaTeX, display, size: an SVG serves every colour


class MathTypesetter:
    """Typesets on one worker thread, started when work arrives and ending when none is
    left (no idle thread per tab), newest request first; results are cached (LRU) and handed to callbacks,
    which run on the worker thread (see MathImages for the hop to the UI thread).

    With a `process`, the LaTeX to SVG step (pure Python, the slow part) runs in that
    child process and the thread only waits for it and draws the SVG (QtSvg, C++);
    without one, the thread does both."""

    def __init__(self, cache_size: int = CACHE_SIZE, process: MathProcess | None = None) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[_Key, Typeset] = OrderedDict()
        # The SVGs too, so a new theme or another style draws again without typesetting.
        self._svgs: OrderedDict[_SvgKey, LatexSvg | None] = OrderedDict()
        self._cache_size = cache_size
        self._process = process
        self._queue: deque[_Key] = deque()
        self._waiting: dict[_Key, list[Callable[[_Key, Typeset], None]]] = {}
        self._worker: threading.Thread | None = None
        self._busy_until = 0.0

    def note_activity(self) -> None:
        """The UI thread is working (e.g. rendering a stream): typeset gently for a moment."""
        self._busy_until = time.monotonic() + BUSY_WINDOW_S

    def cached(self, formula: Formula, style: MathStyle) -> Typeset | None:
        with self._lock:
            result = self._cache.get((formula, style))
            if result is not None:
                self._cache.move_to_end((formula, style))
            return result

    def request(self, formula: Formula, style: MathStyle, deliver: Callable[[_Key, Typeset], None]) -> None:
        """Typeset in the background unless cached or already queued; `deliver` is called once."""
        key = (formula, style)
        with self._lock:
            if key in self._cache:
                return
            callbacks = self._waiting.setdefault(key, [])
            if deliver not in callbacks:
                callbacks.append(deliver)
            if len(callbacks) > 1:
                return
            self._queue.append(key)
            if self._worker is None:
                # Not a daemon: ending the interpreter under a thread still inside Qt aborts
                # the process. The queue is emptied on quit, so exit waits one formula at most.
                self._worker = threading.Thread(target=self._run, name="math-typesetter")
                self._worker.start()

    def forget(self, deliver: Callable[[_Key, Typeset], None]) -> None:
        """Drop `deliver` from every queued request (its view is gone)."""
        with self._lock:
            for key, callbacks in list(self._waiting.items()):
                if deliver in callbacks:
                    callbacks.remove(deliver)
                if not callbacks:
                    del self._waiting[key]
            self._queue = deque(key for key in self._queue if key in self._waiting)

    def cancel(self) -> None:
        """Drop all queued work (the application is quitting)."""
        with self._lock:
            self._queue.clear()
            self._waiting.clear()

    def busy(self) -> bool:
        with self._lock:
            return bool(self._waiting)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                # Newest first: the formula just streamed in, or the bottom of a reply just
                # opened, is the one on screen.
                key = self._queue.pop()
            formula, style = key
            started = time.monotonic()
            svg = self._svg(formula, style)
            if self._process is not None and not self._process.in_process:
                started = time.monotonic()  # the child's time costs this process nothing
            result = rasterise(formula, style, svg)
            if time.monotonic() < self._busy_until:
                time.sleep((time.monotonic() - started) * BUSY_REST)
            with self._lock:
                self._cache[key] = result
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
                callbacks = self._waiting.pop(key, [])
            for deliver in callbacks:
                deliver(key, result)

    def _svg(self, formula: Formula, style: MathStyle) -> LatexSvg | None:
        size = svg_size(formula, style)
        svg_key = (formula.latex, formula.display, size)
        with self._lock:
            if svg_key in self._svgs:
                self._svgs.move_to_end(svg_key)
                return self._svgs[svg_key]
        if self._process is not None:
            svg = self._process.svg(formula.latex, size, formula.display)
        else:
            svg = latex_svg(formula.latex, size, formula.display)
        with self._lock:
            self._svgs[svg_key] = svg
            while len(self._svgs) > self._cache_size:
                self._svgs.popitem(last=False)
        return svg


class _Bridge(QObject):
    """Carries results from the worker thread to the UI thread (a queued signal)."""

    delivered = Signal(object, object)


class MathImages(QObject):
    """The math images of one text view: serves them as resources, typesets missing ones
    off the UI thread, and sets each occurrence's size and baseline when its image is
    ready (occurrences are found as they are inserted, from the document's changes)."""

    def __init__(self, view: QTextEdit, typesetter: MathTypesetter | None = None) -> None:
        super().__init__(view)
        self._view = view
        self._typesetter = typesetter or MathTypesetter(process=app_math_process())
        self._bridge = _Bridge(self)
        self._bridge.delivered.connect(self._on_delivered)
        self._style: MathStyle | None = None
        self._placeholder = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
        self._placeholder.fill(0)
        # Occurrences whose format is not final yet, as a cursor before each (it follows
        # edits; one whose character was removed is recognised and dropped): just
        # inserted, and waiting for their image (by URL). Formulas typeset since the last
        # pass are in _ready, so a pass costs what it places, not what is still waiting.
        self._fresh: list[tuple[QTextCursor, str]] = []
        self._waiting: dict[str, list[QTextCursor]] = {}
        self._ready: set[str] = set()
        self._applying = False
        # Inside `no_formulas()`: what is inserted then is known to hold no formula.
        self._quiet = 0
        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(0)
        self._apply_timer.timeout.connect(self._apply)
        view.document().contentsChange.connect(self._on_contents_change)
        view.installEventFilter(self)
        typesetter, deliver = self._typesetter, self._deliver
        view.destroyed.connect(lambda *_: typesetter.forget(deliver))
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(typesetter.cancel)

    # -- for the view ---------------------------------------------------------

    def resource(self, url: QUrl) -> QImage | None:
        """The image for a `math:` URL: typeset, or a blank placeholder while it is being typeset."""
        formula = formula_from_url(url.toString())
        if formula is None:
            return None
        style = self.style()
        result = self._typesetter.cached(formula, style)
        if result is not None:
            return result.image
        self._typesetter.request(formula, style, self._deliver)
        return self._placeholder

    @contextlib.contextmanager
    def no_formulas(self) -> Iterator[None]:
        """For edits the caller knows insert no formula (its HTML has no `math:` image,
        or plain text): the hook skips reading back what they insert, which was a
        selection of every streamed update's text."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def result(self, formula: Formula) -> Typeset | None:
        """The formula as typeset in the view's current style, if it is ready."""
        return self._typesetter.cached(formula, self.style())

    def typeset_counts(self) -> tuple[int, int]:
        """(formulas the view shows, formulas among them typeset, not drawn as their
        source because typesetting failed or has not finished)."""
        shown = typeset = 0
        block = self._view.document().begin()
        while block.isValid():
            fragments = block.begin()
            while not fragments.atEnd():
                char_format = fragments.fragment().charFormat()
                if char_format.isImageFormat():
                    formula = formula_from_url(char_format.toImageFormat().name())
                    if formula is not None:
                        shown += 1
                        result = self.result(formula)
                        typeset += result is not None and result.ok
                fragments += 1
            block = block.next()
        return shown, typeset

    def pending(self) -> bool:
        """True while formulas are being typeset or placed (tests and benchmarks wait on it)."""
        return bool(self._fresh or self._waiting) or self._typesetter.busy()

    def mime_data(self, cursor: QTextCursor) -> QMimeData | None:
        """The selection as plain text with each formula as its LaTeX source, or None
        when the selection holds no formula (the view's own copy is right then)."""
        text = cursor.selectedText()
        if OBJECT not in text:
            return None
        start = cursor.selectionStart()
        pieces: list[str] = []
        found = False
        for index, char in enumerate(text):
            formula = self._formula_at(start + index) if char == OBJECT else None
            if formula is not None:
                pieces.append(formula.source)
                found = True
            else:
                pieces.append(char)
        if not found:
            return None
        mime = QMimeData()
        mime.setText("".join(pieces).replace("\u2029", "\n").replace("\u2028", "\n"))
        return mime

    def style(self) -> MathStyle:
        if self._style is None:
            view = self._view
            font = view.document().defaultFont()
            metrics = QFontMetricsF(font)
            palette = view.palette()
            text = palette.color(QPalette.ColorRole.Text)
            base = palette.color(QPalette.ColorRole.Base)
            code = QColor("#3a3d41") if base.lightness() < 128 else QColor("#eff1f3")
            self._style = MathStyle(
                color=text.name(),
                pixel_size=float(QFontInfo(font).pixelSize()),
                device_pixel_ratio=max(1.0, view.devicePixelRatioF()),
                font_descent=metrics.descent(),
                x_height=metrics.xHeight(),
                code_background=code.name(),
                code_family=QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family(),
            )
        return self._style

    # -- internals ------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._view and event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.FontChange,
            QEvent.Type.DevicePixelRatioChange,
        ):
            self._restyle()
        return False

    def _restyle(self) -> None:
        """Colours, font or screen changed: typeset every formula shown again."""
        previous, self._style = self._style, None
        if previous is None or previous == self.style():
            return
        document = self._view.document()
        cursor = QTextCursor(document)
        cursor.select(QTextCursor.SelectionType.Document)
        self._waiting.clear()
        self._track(0, cursor.selectedText(), placed_too=True)
        self._schedule()

    def _deliver(self, key: _Key, result: Typeset) -> None:
        # Worker thread: only hop to the UI thread (the bridge may be gone with its view).
        with contextlib.suppress(RuntimeError):
            self._bridge.delivered.emit(key, result)

    def _on_delivered(self, key: object, result: object) -> None:
        assert isinstance(key, tuple) and isinstance(result, Typeset)
        formula, style = key
        if style == self.style():
            self._ready.add(math_url(formula))
            # Results arrive one by one: place them a frame's worth at a time.
            self._schedule(BATCH_MS)

    def _on_contents_change(self, position: int, _removed: int, added: int) -> None:
        if self._applying or added <= 0:
            return
        self._typesetter.note_activity()
        if self._quiet:
            return
        cursor = QTextCursor(self._view.document())
        cursor.setPosition(position)
        # setPosition, not movePosition(NextCharacter, n): moving by characters finds each
        # grapheme boundary through the block's layout, which took 28 s on a 1 MB line.
        end = min(position + added, self._view.document().characterCount() - 1)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        text = cursor.selectedText()
        if OBJECT in text and self._track(position, text):
            self._schedule()

    def _track(self, position: int, text: str, *, placed_too: bool = False) -> bool:
        document = self._view.document()
        style = self.style()
        found = False
        # Occurrences tracked already (the same formula at the same place) are reported
        # again when a format around them changes: track each once.
        tracked = {(cursor.position(), name) for cursor, name in self._fresh}
        tracked.update(
            (cursor.position(), name) for name, cursors in self._waiting.items() for cursor in cursors
        )
        index = text.find(OBJECT)
        while index >= 0:
            # A placed formula (its size set) reported again is a format change around it,
            # such as a finished reply's frame restyled, not new text: there is nothing
            # to do for it, and redoing 200 of them would stall the UI.
            name = self._math_name_at(position + index, unplaced=not placed_too)
            if name is not None and (position + index, name) in tracked:
                name = None
            formula = formula_from_url(name) if name is not None else None
            if name is not None and formula is not None:
                # The image (or the placeholder) given now, while Python runs anyway: the
                # layout asking loadResource later, once per formula, would wait for the
                # worker's hold on the interpreter lock at each call.
                result = self._typesetter.cached(formula, style)
                image = result.image if result is not None else self._placeholder
                document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
                cursor = QTextCursor(document)
                cursor.setPosition(position + index)
                self._fresh.append((cursor, name))
                found = True
            index = text.find(OBJECT, index + 1)
        return found

    def _math_name_at(self, position: int, *, unplaced: bool = False) -> str | None:
        """The `math:` URL of the image at `position`, if there is one (and, with
        `unplaced`, only if _apply has not set its size yet)."""
        cursor = QTextCursor(self._view.document())
        cursor.setPosition(position + 1)  # a cursor's format is the one of the character before it
        fmt = cursor.charFormat()
        if not fmt.isImageFormat():
            return None
        image = fmt.toImageFormat()
        if unplaced and image.width() > 0:
            return None
        name = image.name()
        return name if name.startswith(URL_SCHEME + ":") else None

    def _formula_at(self, position: int) -> Formula | None:
        name = self._math_name_at(position)
        return formula_from_url(name) if name is not None else None

    def _schedule(self, delay_ms: int = 0) -> None:
        timer = self._apply_timer
        if not timer.isActive() or delay_ms < timer.remainingTime():
            timer.start(delay_ms)

    def _apply(self) -> None:
        """Place the occurrences whose image is ready: their size and alignment set in one
        edit block, so the layout hears of the whole batch once."""
        style = self.style()
        fresh, self._fresh = self._fresh, []
        ready, self._ready = self._ready, set()
        placing: list[tuple[QTextCursor, str, Typeset]] = []
        for cursor, name in fresh:
            formula = formula_from_url(name)
            result = self._typesetter.cached(formula, style) if formula is not None else None
            if result is not None:
                placing.append((cursor, name, result))
            elif formula is not None:
                self._waiting.setdefault(name, []).append(cursor)
                self._typesetter.request(formula, style, self._deliver)
        for name in ready:
            formula = formula_from_url(name)
            result = self._typesetter.cached(formula, style) if formula is not None else None
            if result is not None:
                placing.extend((cursor, name, result) for cursor in self._waiting.pop(name, []))
        if not placing:
            return
        document = self._view.document()
        served: set[str] = set()
        batch = QTextCursor(document)
        self._applying = True
        batch.beginEditBlock()
        try:
            for cursor, name, result in placing:
                position = cursor.position()
                if self._math_name_at(position) != name:
                    continue  # its text was replaced since
                if name not in served:
                    # Also when another view's request typeset it: the document may hold
                    # the placeholder it was given first.
                    document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), result.image)
                    served.add(name)
                fmt = QTextImageFormat()
                fmt.setWidth(result.width)
                fmt.setHeight(result.height)
                fmt.setVerticalAlignment(result.align)
                cursor.setPosition(position)
                cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
                cursor.mergeCharFormat(fmt)
        finally:
            batch.endEditBlock()
            self._applying = False
