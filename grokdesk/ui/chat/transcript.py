"""The transcript: a native QTextBrowser showing one conversation.

Each message lives in its own QTextFrame, so one message can be re-rendered without
touching the others. While a reply streams, its Markdown is split into a stable
prefix of finished blocks, rendered once and appended, and an open tail that is
re-rendered on each (throttled) update: the cost of an update depends on the size
of the tail, not on the length of the reply or of the conversation.

Model output is shown, never obeyed: the Markdown renderer emits no raw HTML and
no <img> for remote URLs, `loadResource` serves only our own thumbnails, and links
open in the system browser only when clicked and only for http(s)/mailto.
"""

from __future__ import annotations

import bisect
import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, QRect, QRectF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDesktopServices,
    QFocusEvent,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QShowEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFrame,
    QTextFrameFormat,
    QTextLength,
)
from PySide6.QtWidgets import QFrame, QTextBrowser, QWidget

from grokdesk.core.conversation import ImagePart, Message, MessageState, Role
from grokdesk.core.longtext import PASTE_CHARS, PASTE_LINES, collapse_at, open_code_block, size_text
from grokdesk.core.markdown import Rendered, next_stable_prefix, render_markdown
from grokdesk.core.math import URL_SCHEME
from grokdesk.ui.chat import toolrecords
from grokdesk.ui.chat.expand import Expander
from grokdesk.ui.chat.mathrender import MathImages
from grokdesk.ui.chat.messageactions import BAR_HEIGHT, MessageActionBar
from grokdesk.ui.chat.repaint import EditRepaints
from grokdesk.ui.icons import glyph_html
from grokdesk.ui.look import Theme, theme_of
from grokdesk.ui.renderbudget import RenderBudget

# How many of the newest messages are rendered when a conversation opens, and how many
# older ones each "Show N earlier messages" (or scrolling up to the top) adds above them;
# older ones are rendered on demand, so a 2,000-message conversation opens at its end fast.
INITIAL_WINDOW = 60
# While the view follows the end and messages arrive, at most this many stay rendered:
# a finished message stays laid out in the document (about 0.8 MiB for a 1,200-token
# reply, Qt's layout rather than the text), so the oldest are dropped from the top and
# rendered again when the user scrolls up to them. Growth over 50 such replies (bench):
# 12.7-15.0 MiB with 16, 12.9-14.6 with 20, 19.1 with 30, 11.5 with 4 (the rest of it is
# not the transcript's).
FOLLOW_CAP = 16
# Older messages are rendered above the shown ones in slices of about this much time,
# one per event-loop tick: a batch of 60 in one go stalled the window for ~100 ms.
LOAD_SLICE_S = 0.012
# Scrolling to within this many screens of the top (or of the bottom of a window short of
# the end) starts loading more messages, so they are usually there before the user is.
LOAD_AHEAD_SCREENS = 1.0
# A jump to a message outside the rendered window (a search result) renders this many
# messages before and after it, not everything from there to the end; scrolling, or
# "Show N later messages", loads the rest.
AROUND = 20
# Finished Markdown rendered per streaming update, and the longest open tail rendered
# as Markdown (a longer one is a backlog, shown as plain text until its turn).
STABLE_BUDGET = 2500
TAIL_BUDGET = 3000
# Time a streaming update's finished slice aims at, and the smallest slice.
SLICE_S = 0.008
MIN_SLICE = 400
# Characters of a plain-text backlog added per update: a burst (a fast stream sends
# ~14,000 characters between two updates) appears over a few updates instead of in one
# insert whose layout alone took 60-100 ms.
PLAIN_STEP = 4_000
CATCH_UP_MS = 30
# What streamed words may hold to be appended to an open paragraph as text (_ADDED),
# and the word before them (_WORD): with no markup character, no new line and no
# address ("." and ":" may make a link), the paragraph's Markdown stays the same.
_ADDED = frozenset(" ,;'?!")
_WORD = frozenset(",;'?!-")
# Rendered before the first paint of a conversation (at most; fewer when they fill the
# screen, judged from their length); the rest of the window right after the paint.
FIRST_SCREEN = 16
# How much taller than the viewport the first screenful is made: the estimate of a
# message's height from its text is rough, and a gap at the top must not show.
FIRST_SCREEN_SLACK = 1.5
THUMB_SIZE = 160
ROLE_LABELS = {
    Role.USER: "You",
    Role.ASSISTANT: "Grok",
    Role.SYSTEM: "System message",
    Role.NOTICE: "Notice",
}
# Layout of a message: the gap below each one holds the action bar, so the bar never
# covers text; the user's turns are indented bubbles, replies use the full width.
MESSAGE_GAP = 18
# The bar sits below a message's box, over its bottom margin and the empty line Qt
# keeps between frames; hovering that far below a message still means that message.
HOVER_REACH = BAR_HEIGHT + 12
BUBBLE_MAX_PERCENT = 80
BUBBLE_RADIUS = 14
BOX_RADIUS = 10


@dataclass
class _Rendered:
    """What the view keeps for one rendered message."""

    frame: QTextFrame
    code_blocks: list[str] = field(default_factory=list)
    # Streaming state: how much of the Markdown is rendered for good, and how many
    # document characters the re-rendered tail occupies at the frame's end.
    stable_chars: int = 0
    tail_chars: int = 0
    # True while the frame holds a streamed rendering (header, stable blocks, tail).
    streamed: bool = False
    # The tool records the header showed when it was rendered.
    tools: tuple[tuple[str, str, str, str], ...] = ()
    # The images (SHA-256) shown under the header of a streaming reply (made by the
    # model's image tool mid-reply; they take their place among the text at its end).
    images: tuple[str, ...] = ()
    # A streamed reply too long to lay out: only its first `limit` characters are shown.
    limit: int | None = None
    # How much of the (shown) text the last streaming update rendered.
    shown_chars: int = 0
    # Finished blocks are waiting to be rendered (shown as plain text meanwhile).
    backlog: bool = False
    # Characters of the text at the frame's end inserted as plain text (a backlog).
    plain_tail: int = 0
    # The plain backlog begins with a block separator of its own (it was inserted after
    # a block with text).
    plain_block: bool = False
    # The open tail as last rendered from Markdown ("" when it was not): words added
    # to it may be appended as text (see _append_words).
    tail_text: str = ""


class TranscriptView(QTextBrowser):
    """Signals:
    action_requested(str, str): (action, message id) for per-message actions:
        copy, copy_md, edit, delete, regenerate, continue, retry, usage. They come from
        the action bar under the hovered (or keyboard-chosen) message, its context
        menu, and the Retry / Continue links inside a failure or cut-off note.
    image_requested(str): the sha256 of a thumbnail the user clicked.
    version_requested(str, int): (message id, -1 or +1) from a message's version switch.
    """

    action_requested = Signal(str, str)
    version_requested = Signal(str, int)
    image_requested = Signal(str)
    code_copied = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, render_budget: RenderBudget | None = None) -> None:
        super().__init__(parent)
        self.render_budget = render_budget or RenderBudget()
        self.setObjectName("transcript")
        self.setAccessibleName("Conversation transcript")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self.document().setUndoRedoEnabled(False)
        self.document().setDocumentMargin(16)
        self.anchorClicked.connect(self._on_anchor_clicked)
        self._theme: Theme = theme_of(self.palette())
        self._copy_label = f"{glyph_html('copy')}&nbsp;Copy"
        self.action_bar = MessageActionBar(self.viewport())
        self.action_bar.triggered.connect(self.action_requested)
        self.action_bar.navigate.connect(self._step_message)
        self.action_bar.dismissed.connect(self._dismiss_bar)
        self._bar_message: str | None = None
        # Where the pointer rests over the messages: after a rebuild (a regenerate, an
        # edit) the bar comes back under it without waiting for the pointer to move.
        self._pointer: QPoint | None = None
        self._keyboard_message: str | None = None
        self.viewport().setMouseTracking(True)
        self.viewport().installEventFilter(self)
        self._messages: list[Message] = []
        self._rendered: dict[str, _Rendered] = {}
        self._first_shown = 0
        # Where the rendered window ends (exclusive); None: at the end of the conversation.
        self._end: int | None = None
        self._expanded_reasoning: set[str] = set()
        self._expanded_tools: set[str] = set()
        # Long messages the user asked to see whole ("Show all"), laid out a slice per turn.
        self._expanded_long: set[str] = set()
        self.expander = Expander(self)
        self._usage_shown: set[str] = set()
        self._thumbs: dict[str, QImage] = {}
        self._follow = True
        self._updating = False
        self._shown_once = False
        self._flushing = False
        self._hidden_updates: dict[str, Message] = {}
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self._place_bar())
        # The document lays out lazily: the range grows after an insert returns, so
        # following the end means answering every range change.
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        # Only the user stops the following (wheel, keys, the scroll bar): Qt also moves
        # the bar itself, e.g. when focus changes, and that must not stop it.
        self.verticalScrollBar().actionTriggered.connect(
            lambda _action: QTimer.singleShot(0, self, self._after_user_scroll)
        )
        self.usage_text: dict[str, str] = {}
        self._cut_before: str | None = None
        self._catch_up: dict[str, Message] = {}
        self._catch_up_timer = QTimer(self)
        self._catch_up_timer.setSingleShot(True)
        self._catch_up_timer.setInterval(CATCH_UP_MS)
        self._catch_up_timer.timeout.connect(self._catch_up_now)
        # Finished Markdown rendered per streaming update (see _fit_slice).
        self._slice_chars = STABLE_BUDGET
        # A streaming update was rendered: its paint counts against the render budget.
        self._charge_paint = False
        self._deferred = False
        # Older messages still to be rendered above the shown ones (down to this index),
        # a slice per tick; and whether the next slice waits for the next paint.
        self._load_target: int | None = None
        self._later_target: int | None = None
        self._scroll_carry = 0.0
        self._load_after_paint = False
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.setInterval(0)
        self._load_timer.timeout.connect(self._load_step)
        # Extra markup after a message's actions (the version switch sets it).
        self.header_extra: Callable[[Message], str] = lambda _message: ""
        self.math = MathImages(self)  # typesets the `math:` images of rendered formulas
        # A streaming update repaints its changed lines, not the whole message.
        self._repaints = EditRepaints(self)

    # -- public API ----------------------------------------------------------

    def plain_text(self) -> str:
        """What the transcript shows, notices and errors included, as plain text (older
        messages still being rendered above the shown ones are rendered first)."""
        self._build_if_deferred()
        self._finish_loading()
        self.expander.finish()
        return self.expander.plain_text(self.document().toPlainText())

    def find_phrase(self, text: str) -> bool:
        """Select the next match of `text` after the cursor (Ctrl+F), case ignored; True
        if found. Unlike QTextEdit.find, it also finds a match that a "Show all" seam cuts
        in two (a long line is laid out as pieces: the text reads on across them)."""
        found = self.document().find(text, self.textCursor())
        after = self.textCursor().selectionEnd()
        across = self.expander.find_across_seams(text, after)
        if across is not None and (found.isNull() or across[0] < found.selectionStart()):
            found = QTextCursor(self.document())
            found.setPosition(across[0])
            found.setPosition(across[1], QTextCursor.MoveMode.KeepAnchor)
        if found.isNull():
            return False
        self.setTextCursor(found)
        self.ensureCursorVisible()
        return True

    def is_expanding(self) -> bool:
        """True while a "Show all" is still laying out the rest of a message."""
        return self.expander.active()

    def set_messages(self, messages: list[Message]) -> None:
        """Show `messages` (the list is shared with the controller, not copied).

        A transcript not on screen (a restored background tab) is rendered when it is
        first shown: start-up renders only the tab the user sees."""
        self._messages = messages
        self._first_shown = max(0, len(messages) - INITIAL_WINDOW)
        self._end = None
        if self.isVisible():
            self.rebuild()
        else:
            self._deferred = True

    def _build_if_deferred(self) -> None:
        if self._deferred:
            self.rebuild()
        self._update_hidden()

    def _update_hidden(self) -> None:
        """Show what streamed while this view was hidden (a background tab)."""
        pending = list(self._hidden_updates.values())
        self._hidden_updates.clear()
        self._flushing = True
        try:
            for message in pending:
                rendered = self._rendered.get(message.id)
                if (
                    rendered is not None
                    and message.state is not MessageState.STREAMING
                    and rendered.stable_chars < len(message.plain_text) - STABLE_BUDGET
                ):
                    # A reply that finished unseen: rendered a slice per tick, as if it were
                    # streaming, instead of all of it in one go when the tab is chosen.
                    self._update_streaming(message, rendered)
                    self._schedule_catch_up(message)
                else:
                    self.message_changed(message)
        finally:
            self._flushing = False

    def showEvent(self, event: QShowEvent) -> None:
        self._shown_once = True
        self._build_if_deferred()
        super().showEvent(event)

    def rebuild(self) -> None:
        """Render every shown message from scratch (after edits, deletes, inserts)."""
        self._deferred = False
        self._stop_loading()
        if self._end is not None and self._end >= len(self._messages):
            self._end = None
        at_end = self._follow and self._end is None
        newest = max(0, len(self._messages) - INITIAL_WINDOW)
        # Following the end, the window starts again from the newest ones (earlier loads
        # and scrolling are over); a reader keeps what was shown.
        if at_end:
            window_first = newest
        elif self._end is None:
            window_first = min(self._first_shown, newest)
        else:
            window_first = min(self._first_shown, self._end - 1)
        # At the end, the first paint needs one screenful; the rest of the window follows
        # right after it, rendered above.
        self._first_shown = self._first_screen(window_first) if at_end else window_first
        doc = self.document()
        # Forgotten before the frames go: clearing moves the scroll bar, which places the bar.
        self._rendered.clear()
        self._bar_message = None
        self.action_bar.hide()
        doc.clear()
        batch = QTextCursor(doc)
        batch.beginEditBlock()  # one layout pass for the whole rebuild
        self._set_earlier_line()
        for message in self._messages[self._first_shown : self._end]:
            self._append_frame(message)
        self._set_later_line()
        batch.endEditBlock()
        # The view's own cursor at the end: QTextEdit scrolls to it on show and focus.
        end = QTextCursor(doc)
        end.movePosition(QTextCursor.MoveOperation.End)
        self.setTextCursor(end)
        if at_end:
            # Lay the document out now, so the first paint already shows the end
            # (Qt otherwise lays out in idle slices and the end arrives later).
            doc.pageCount()
            self.scroll_to_end()
        if self._first_shown > window_first:
            self._load_target = window_first
            self._load_after_paint = True
            self.viewport().update()
        if self._pointer is not None:
            QTimer.singleShot(0, self, self._hover_again)

    def _first_screen(self, window_first: int) -> int:
        """The oldest message of the newest ones that fill the viewport (with room to
        spare), judged from their text: only these are rendered before the first paint."""
        doc = self.document()
        metrics = QFontMetrics(doc.defaultFont())
        line = max(1, metrics.lineSpacing())
        viewport = self.viewport()
        height = viewport.height()
        if height < 100:
            height = max(height, self.window().height())  # not laid out yet: the window's will do
        width = max(200, viewport.width() - 2 * round(doc.documentMargin()))
        per_line = max(20, width // max(1, metrics.averageCharWidth()))
        wanted = height * FIRST_SCREEN_SLACK
        first = len(self._messages)
        lowest = max(window_first, len(self._messages) - FIRST_SCREEN)
        while first > lowest and wanted > 0:
            first -= 1
            message = self._messages[first]
            text = message.plain_text
            lines = 3 + text.count("\n") + len(text) // per_line  # header, gap, wrapped text
            wanted -= lines * line + len(message.images) * (THUMB_SIZE + line)
        return first

    def _hover_again(self) -> None:
        message = self._message_at(self._pointer) if self._pointer is not None else None
        if message is not None and self._bar_message is None:
            self.show_actions(message.id)

    def show_earlier(self) -> None:
        """Render the next older batch above what is shown (the user asked for it)."""
        self._follow = False
        self._load_earlier(INITIAL_WINDOW)
        self._load_step()  # the first slice at once: the click shows that it did something

    def _load_earlier(self, count: int) -> None:
        """Render `count` more older messages above the shown ones, a slice per tick."""
        if self._deferred:
            return
        base = self._first_shown if self._load_target is None else self._load_target
        self._load_target = max(0, base - count)
        self._load_after_paint = False
        self._load_timer.start()

    def show_later(self) -> None:
        """Render the next newer batch below what is shown (a window around a search result)."""
        if self._end is None or self._deferred:
            return
        base = self._end if self._later_target is None else self._later_target
        self._later_target = min(len(self._messages), base + INITIAL_WINDOW)
        self._load_after_paint = False
        self._load_step()

    def _loading(self) -> bool:
        return self._load_target is not None or self._later_target is not None

    def _stop_loading(self) -> None:
        self._load_target = None
        self._later_target = None
        self._load_after_paint = False
        self._load_timer.stop()

    def _finish_loading(self) -> None:
        """Render at once what is still to be loaded (for the text, or a jump)."""
        if self._loading() and not self._deferred:
            self._load_step(everything=True)

    def _load_step(self, *, everything: bool = False) -> None:
        """Render the next slice of older messages above the shown ones, newest first,
        keeping what the user is looking at where it is. Only the slice is inserted (one
        edit block: the layout hears of it once) and only it is laid out: the cost of a
        step does not grow with what is shown."""
        if self._later_target is not None and (self._load_target is None or everything):
            self._load_later(everything=everything)
        target = self._load_target
        if target is None or self._first_shown <= target:
            self._load_target = None
            if not self._loading():
                self._stop_loading()
            return
        doc = self.document()
        shown = self._messages[self._first_shown] if self._first_shown < len(self._messages) else None
        anchor = self._rendered.get(shown.id) if shown is not None else None
        before = self._top_of(anchor.frame) if anchor is not None else 0.0
        started = time.monotonic()
        batch = QTextCursor(doc)
        batch.beginEditBlock()
        while self._first_shown > target:
            self._first_shown -= 1
            self._insert_above(self._messages[self._first_shown])
            if not everything and time.monotonic() - started >= LOAD_SLICE_S:
                break
        self._set_earlier_line()
        batch.endEditBlock()
        if anchor is not None and not self._follow:
            # What was shown moved down by the height of the slice: scroll with it (the
            # layout's heights are fractional; what rounding leaves is carried to the next).
            shift = self._top_of(anchor.frame) - before + self._scroll_carry
            self._scroll_carry = shift - round(shift)
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + round(shift))
        if self._first_shown <= target:
            self._load_target = None
        if self._loading():
            self._load_timer.start()
        else:
            self._stop_loading()

    def _load_later(self, *, everything: bool) -> None:
        """Render the next slice of newer messages below a window that stops short of the end."""
        target = self._later_target
        if target is None or self._end is None or self._end >= target:
            self._later_target = None
            return
        started = time.monotonic()
        batch = QTextCursor(self.document())
        batch.beginEditBlock()
        while self._end < target:
            self._append_frame(self._messages[self._end])
            self._end += 1
            if not everything and time.monotonic() - started >= LOAD_SLICE_S:
                break
        if self._end >= len(self._messages):
            self._end = None
        self._set_later_line()
        batch.endEditBlock()
        if self._end is None or self._end >= target:
            self._later_target = None
        if self._loading():
            self._load_timer.start()

    def _top_of(self, frame: QTextFrame) -> float:
        """Where a frame starts in the document (laid out up to there, no further)."""
        doc = self.document()
        return doc.documentLayout().blockBoundingRect(doc.findBlock(frame.firstPosition())).top()

    def _insert_above(self, message: Message) -> None:
        """Render `message` as the first one, under the "Show N earlier" line."""
        at = QTextCursor(self.document())
        at.movePosition(QTextCursor.MoveOperation.EndOfBlock)
        frame = at.insertFrame(self._frame_format(message))
        rendered = _Rendered(frame)
        self._rendered[message.id] = rendered
        self._render_into(rendered, message)

    def _set_earlier_line(self) -> None:
        """The first line of the document: "Show N earlier messages" while older ones are
        not rendered (a link for keyboard users; scrolling up loads them too), else empty."""
        line = QTextCursor(self.document())
        line.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        _set_link_line(
            line,
            f'<a href="more:">Show {self._first_shown} earlier messages</a>' if self._first_shown else None,
        )

    def _set_later_line(self) -> None:
        """The last line: "Show N later messages" while the window stops short of the end."""
        line = QTextCursor(self.document())
        line.movePosition(QTextCursor.MoveOperation.End)
        if line.block() == self.document().firstBlock():
            return  # nothing rendered
        line.movePosition(QTextCursor.MoveOperation.StartOfBlock, QTextCursor.MoveMode.KeepAnchor)
        later = None if self._end is None else len(self._messages) - self._end
        _set_link_line(line, None if later is None else f'<a href="later:">Show {later} later messages</a>')

    def _trim_top(self) -> None:
        """Following the end as messages arrive: drop the oldest rendered ones beyond
        FOLLOW_CAP from the document, so a long session does not keep every reply laid
        out. Never while the user reads above (not following), while older ones are
        being loaded, nor past a message that is streaming, catching up, or has the
        action bar or the keyboard's choice (the window stays one run of messages)."""
        if not self._follow or self._deferred or self._loading() or self._end is not None:
            return
        oldest_kept = len(self._messages) - FOLLOW_CAP
        if oldest_kept <= self._first_shown:
            return
        stop = self._first_shown
        keep = {self._bar_message, self._keyboard_message}
        for message in self._messages[self._first_shown : oldest_kept]:
            if (
                message.id in keep
                or message.id in self._catch_up
                or message.state is MessageState.STREAMING
                or message.id not in self._rendered
            ):
                break
            stop += 1
        if stop == self._first_shown:
            return
        dropped = self._messages[self._first_shown : stop]
        kept = self._rendered.get(self._messages[stop].id)
        if kept is None:
            return
        start = self._rendered[dropped[0].id].frame.firstPosition() - 1
        end = kept.frame.firstPosition() - 1
        # Forgotten before the frames go: the removal moves the scroll bar, which places the bar.
        for message in dropped:
            del self._rendered[message.id]
            self._hidden_updates.pop(message.id, None)
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self._first_shown = stop
        self._set_earlier_line()
        cursor.endEditBlock()

    def message_added(self, message: Message) -> None:
        if self._deferred:
            return  # rendered with the rest when first shown
        if self._end is not None:
            self._set_later_line()  # a window short of the end: one more later message
            return
        if message.id not in self._rendered:
            self._append_frame(message)
            if self._follow:
                self._trim_top()
                self.scroll_to_end()

    def message_changed(self, message: Message) -> None:
        """Re-render one message, incrementally while it streams."""
        rendered = self._rendered.get(message.id)
        if rendered is None:
            return
        if self._shown_once and not self._flushing and not self.isVisible():
            # A background tab: nobody sees its updates, and rendering three streams at
            # once took the time of three. It catches up when shown (or asked for its text).
            self._hidden_updates[message.id] = message
            return
        self._hidden_updates.pop(message.id, None)
        incremental = message.state is MessageState.STREAMING and message.id not in self._expanded_reasoning
        finishing = (
            not incremental
            and rendered.streamed
            and not message.reasoning
            and not message.images  # images made mid-reply: the streamed text shows none of them
            and rendered.tools == toolrecords.tools_signature(message)
        )
        # A streaming update waits while rendering has had its share of the time (see
        # RenderBudget). The end of a reply, and its backlog after it, are not held back:
        # no stream of its own is read any more, and held to that share, a long reply's
        # backlog took 25-40 s to be formatted instead of ~3 s.
        if incremental and not self.render_budget.allows():
            self._schedule_catch_up(message, self.render_budget.wait_ms())
            return
        started = time.monotonic()
        stable_before = rendered.stable_chars
        # The end is followed once, after the edit (see _on_range_changed).
        self._updating = incremental or finishing
        try:
            if incremental:
                with self._repaints.only_changed():
                    self._update_streaming(message, rendered)
            elif finishing:
                with self._repaints.only_changed():
                    self._finish_streamed(message, rendered)
            else:
                self._render_into(rendered, message)
        finally:
            self._updating = False
        if self._follow:
            self.scroll_to_end()
        elapsed = time.monotonic() - started
        self.render_budget.spend(elapsed)
        if incremental or finishing:
            self._charge_paint = True
        if incremental:
            self._fit_slice(rendered.stable_chars - stable_before, elapsed)

    def set_cut_before(self, message_id: str | None) -> None:
        """Mark where requests start when the oldest turns are left out to fit the window."""
        previous, self._cut_before = self._cut_before, message_id
        for mid in (previous, message_id):
            message = next((m for m in self._messages if m.id == mid), None)
            if message is not None and message.id in self._rendered:
                self._render_into(self._rendered[message.id], message)

    def showing_earlier(self) -> int:
        return self._first_shown

    def show_all(self) -> None:
        self._first_shown = 0
        self._end = None
        self._follow = False
        self.rebuild()

    def scroll_to_message(self, message_id: str) -> bool:
        """Bring a message into view (rendering older ones if needed) and select it briefly."""
        self._build_if_deferred()
        index = next((i for i, m in enumerate(self._messages) if m.id == message_id), None)
        if index is None:
            return False
        if index < self._first_shown or (self._end is not None and index >= self._end):
            # Outside the window: a window around it (everything from it to the end could
            # be thousands of messages).
            self._first_shown = max(0, index - AROUND)
            self._end = index + AROUND + 1 if index + AROUND + 1 < len(self._messages) else None
            self._follow = False
            self.rebuild()
        if message_id not in self._rendered:
            self._finish_loading()
        rendered = self._rendered[message_id]
        self._follow = False
        cursor = QTextCursor(self.document())
        cursor.setPosition(rendered.frame.lastPosition())
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        cursor.setPosition(rendered.frame.firstPosition())
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        return True

    def show_next_with(self, text: str) -> bool:
        """Find past the end of the rendered window: render the next message below it whose
        text holds `text` (any case), else the earliest above it (the wrap-around to the
        top), and put the cursor at its start; False when no message outside does."""
        needle = text.casefold()
        later = self._messages[self._end :] if self._end is not None else []
        for message in [*later, *self._messages[: self._first_shown]]:
            if needle in message.plain_text.casefold():
                return self.scroll_to_message(message.id)
        return False

    def scroll_to_end(self) -> None:
        if self._end is not None:
            # A window short of the end (after a jump): the newest messages instead.
            self._end = None
            self._follow = True
            self.rebuild()
            return
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
        self._follow = True

    def is_following(self) -> bool:
        return self._follow

    def set_thumbnail(self, sha256: str, image: QImage) -> None:
        self._thumbs[sha256] = image
        self.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"thumb:{sha256}"), image)

    def code_block(self, message_id: str, index: int) -> str | None:
        rendered = self._rendered.get(message_id)
        if rendered is None or not 0 <= index < len(rendered.code_blocks):
            return None
        return rendered.code_blocks[index]

    # -- Qt overrides --------------------------------------------------------

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        """Serve only our own thumbnails and typeset formulas: nothing remote, nothing from disk."""
        url = QUrl(name)
        if url.scheme() == "thumb":
            return self._thumbs.get(url.path())
        if url.scheme() == "math":
            return self.math.resource(url)
        return None

    def createMimeDataFromSelection(self) -> QMimeData:
        """A copied selection gives each formula as its LaTeX source, and a long line or
        code block shown in pieces (see ui/chat/expand.py) as the one text it is."""
        cursor = self.textCursor()
        mime = self.math.mime_data(cursor)
        if mime is None and (joined := self.expander.selection_text(cursor)) is not None:
            mime = QMimeData()
            mime.setText(joined)
        return mime or super().createMimeDataFromSelection()

    # -- rendering -----------------------------------------------------------

    def _frame_format(self, message: Message) -> QTextFrameFormat:
        # No background here: the rounded boxes behind messages are painted in
        # paintEvent (a text frame can only have square corners).
        fmt = QTextFrameFormat()
        fmt.setTopMargin(2)
        fmt.setBottomMargin(MESSAGE_GAP)
        fmt.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        if message.role is Role.USER:
            # A bubble at the right, as wide as its text up to most of the line: the
            # left margin takes the rest (a floating frame let the reply below flow
            # beside a short bubble).
            fmt.setLeftMargin(self._bubble_margin(message))
            fmt.setPadding(12)
        elif _boxed(message):
            fmt.setPadding(12)
        else:
            fmt.setPadding(4)
        return fmt

    def _bubble_margin(self, message: Message) -> float:
        document = self.document()
        width = document.textWidth() if document.textWidth() > 0 else self.viewport().width()
        room = max(0.0, width - 2 * document.documentMargin())
        widest = room * BUBBLE_MAX_PERCENT / 100
        text = message.plain_text
        if "```" in text or "|" in text or len(text) > 400:
            natural = widest  # code, tables and long text take the room they can get
        else:
            metrics = QFontMetrics(document.defaultFont())
            natural = max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)
            if message.images:
                natural = max(natural, THUMB_SIZE + 8)
            natural += 2 * 12 + 10  # frame padding, slack for rounding
        return max(0.0, room - min(natural, widest))

    def _reflow_bubbles(self) -> None:
        """The width changed: the user's bubbles keep to the right edge."""
        for message in self._shown():
            if message.role is Role.USER:
                frame = self._rendered[message.id].frame
                fmt = frame.frameFormat().toFrameFormat()
                margin = self._bubble_margin(message)
                if abs(fmt.leftMargin() - margin) >= 1:
                    fmt.setLeftMargin(margin)
                    frame.setFrameFormat(fmt)
        self._place_bar()

    def _box_colour(self, message: Message) -> QColor | None:
        """The fill of the rounded box behind a message, if it has one."""
        theme = self._theme
        if message.role is Role.USER:
            return QColor(theme.user_bubble)
        if message.role in (Role.SYSTEM, Role.NOTICE) or message.state is MessageState.INTERRUPTED:
            return QColor(theme.notice_bg)
        if message.state is MessageState.FAILED:
            return QColor(theme.error_bg)
        return None

    def _append_frame(self, message: Message) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if cursor.block() != self.document().firstBlock():
            cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)  # above "Show N later"
        frame = cursor.insertFrame(self._frame_format(message))
        rendered = _Rendered(frame)
        self._rendered[message.id] = rendered
        self._render_into(rendered, message)

    def _frame_cursor(self, frame: QTextFrame) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.setPosition(frame.firstPosition())
        cursor.setPosition(frame.lastPosition(), QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def _render_into(self, rendered: _Rendered, message: Message) -> None:
        if message.id in self._expanded_long and self.expander.start(rendered, message):
            return  # too long to lay out at once: a slice per turn
        rendered.frame.setFrameFormat(self._frame_format(message))
        cursor = self._frame_cursor(rendered.frame)
        cursor.removeSelectedText()
        _reset_formats(cursor)
        body, code_blocks = self._body_html(message)
        rendered.code_blocks = code_blocks
        # Without its trailing new line, which would end the last block with a space
        # (not there when the same reply streamed in).
        cursor.insertHtml((self._header_html(message) + body + self._footer_html(message)).rstrip())
        rendered.tools = toolrecords.tools_signature(message)
        rendered.stable_chars = len(message.plain_text) if message.state is not MessageState.STREAMING else 0
        rendered.tail_chars = 0
        rendered.plain_tail = 0
        rendered.tail_text = ""
        rendered.streamed = False
        rendered.limit = None

    def _update_streaming(self, message: Message, rendered: _Rendered) -> None:
        text = self._streamed_text(message, rendered)
        if (
            rendered.streamed
            and rendered.limit is not None
            and rendered.shown_chars == len(text)
            and not rendered.backlog
            and rendered.tools == toolrecords.tools_signature(message)
            and rendered.images == _image_shas(message)
        ):
            return  # collapsed and all of its start shown: what arrives now is not laid out
        frame = rendered.frame
        if rendered.tools != toolrecords.tools_signature(message) or rendered.images != _image_shas(message):
            rendered.streamed = False  # a tool call started or ended, an image came: the header changes
        if not rendered.streamed:
            # First update: start from the header alone (a continued reply keeps its
            # text: it is rendered again as the stream's stable part).
            cursor = self._frame_cursor(frame)
            cursor.removeSelectedText()
            _reset_formats(cursor)
            images = "".join(self._image_html(part) for part in message.images)
            cursor.insertHtml(self._header_html(message) + images)
            rendered.tools = toolrecords.tools_signature(message)
            rendered.images = _image_shas(message)
            rendered.tail_chars = 0
            rendered.plain_tail = 0
            rendered.tail_text = ""
            rendered.stable_chars = 0
            rendered.code_blocks = []
            rendered.streamed = True
        # At most STABLE_BUDGET characters of finished blocks are rendered per update, so
        # one update stays short however fast the text arrives; a backlog catches up
        # over the next updates and meanwhile shows as plain text.
        # While the reply streams, a slice sized to its time; once it ended, the largest.
        budget = self._slice_chars if message.state is MessageState.STREAMING else STABLE_BUDGET
        stable = next_stable_prefix(text, rendered.stable_chars, budget)
        tail = text[stable:]
        backlog = len(tail) > TAIL_BUDGET
        if stable == rendered.stable_chars:
            if rendered.plain_tail and backlog:
                # The backlog shown as plain text only grows: add what is new to it instead
                # of inserting all of it again (a long open code block made that quadratic).
                self._grow_plain(rendered, tail)
                self._after_update(message, rendered, text, stable)
                return
            if self._append_words(rendered, tail):
                self._after_update(message, rendered, text, stable)
                return
        elif rendered.plain_tail and backlog and self._format_plain_head(message, rendered, text, stable):
            self._grow_plain(rendered, tail)
            self._after_update(message, rendered, text, stable)
            return
        cursor = QTextCursor(self.document())
        # One edit, so the layout hears of the removed tail and the new blocks once; not
        # around a plain backlog coming or going (thousands of characters), which the
        # layout then took in one synchronous pass instead of in its idle slices.
        small = not rendered.plain_tail and not backlog
        if small:
            cursor.beginEditBlock()
        try:
            end = frame.lastPosition()
            cursor.setPosition(end - rendered.tail_chars)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            rendered.plain_tail = 0
            rendered.tail_text = ""
            if stable > rendered.stable_chars:
                finished = self._markdown(text[rendered.stable_chars : stable])
                self._insert_html(
                    cursor, _renumber_copy_links(finished.html, message.id, len(rendered.code_blocks))
                )
                rendered.code_blocks.extend(finished.code_blocks)
                rendered.stable_chars = stable
            tail_start = frame.lastPosition()
            tail = text[rendered.stable_chars :]
            if tail.strip():
                cursor.setPosition(tail_start)
                if len(tail) > TAIL_BUDGET:
                    # A backlog: formatted once it is rendered for good.
                    rendered.plain_tail = min(len(tail), PLAIN_STEP)
                    rendered.plain_block = _open_block(cursor)
                    with self.math.no_formulas():
                        cursor.insertText(tail[: rendered.plain_tail])
                else:
                    # The open tail is re-rendered on every update: no highlighting there,
                    # so a long unfinished code block does not cost more with each token.
                    self._insert_html(cursor, self._markdown(tail, highlight=False).html)
                    rendered.tail_text = tail
            rendered.tail_chars = frame.lastPosition() - tail_start
        finally:
            if small:
                cursor.endEditBlock()
        self._after_update(message, rendered, text, stable)

    def _grow_plain(self, rendered: _Rendered, tail: str) -> None:
        """Show up to PLAIN_STEP more characters of the backlog, as plain text."""
        frame = rendered.frame
        shown = min(len(tail), rendered.plain_tail + PLAIN_STEP)
        if shown <= rendered.plain_tail:
            return
        before = frame.lastPosition()
        cursor = QTextCursor(self.document())
        cursor.setPosition(before)
        with self.math.no_formulas():
            cursor.insertText(tail[rendered.plain_tail : shown])
        rendered.tail_chars += frame.lastPosition() - before
        rendered.plain_tail = shown

    def _format_plain_head(self, message: Message, rendered: _Rendered, text: str, stable: int) -> bool:
        """Format the finished blocks at the start of the plain backlog in place: their
        plain text is replaced by their rendering and the rest of the backlog stays.
        (Removing and inserting the whole backlog again at every update, up to 16,000
        characters laid out each time, made a fast stream's updates ~30 ms.)"""
        head = text[rendered.stable_chars : stable]
        if len(head) > rendered.plain_tail or "\r" in head:
            return False
        document = self.document()
        frame = rendered.frame
        tail_start = frame.lastPosition() - rendered.tail_chars
        plain_start = tail_start + (1 if rendered.plain_block else 0)
        # Document positions count UTF-16 units, a new line is one block separator.
        size = len(head.encode("utf-16-le")) // 2
        check = QTextCursor(document)
        check.setPosition(plain_start)
        check.setPosition(min(plain_start + size, frame.lastPosition()), QTextCursor.MoveMode.KeepAnchor)
        if check.selectedText() != head.replace("\n", "\u2029"):
            return False  # not the text expected there: render the tail afresh instead
        finished = self._markdown(head)
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        try:
            # The head's last new line stays: it starts the rest of the backlog's block.
            cursor.setPosition(tail_start)
            cursor.setPosition(plain_start + size - 1, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self._insert_html(
                cursor, _renumber_copy_links(finished.html, message.id, len(rendered.code_blocks))
            )
        finally:
            cursor.endEditBlock()
        rendered.code_blocks.extend(finished.code_blocks)
        rendered.tail_chars = frame.lastPosition() - cursor.position()
        rendered.plain_tail -= len(head)
        rendered.plain_block = True
        rendered.stable_chars = stable
        return True

    def _append_words(self, rendered: _Rendered, tail: str) -> bool:
        """Add what arrived to the open block as text when it cannot change the block's
        Markdown: plain words after a plain word (no markup character, no new line, no
        address: see _ADDED and _WORD) look the same appended in the format of the word
        before them as rendered again. Most updates of a paragraph are such words, and
        rendering it again cost a Markdown pass, an HTML parse and a second layout."""
        shown = rendered.tail_text
        if not shown or rendered.plain_tail or not tail.startswith(shown):
            return False
        before = shown.rstrip()
        added = tail.rstrip()[len(before) :]
        if not added:
            rendered.tail_text = tail  # only white space arrived: nothing more shows
            return True
        start = len(before)
        while start and not before[start - 1].isspace():
            start -= 1
        word = before[start:]
        if not word or "  " in added or not all(c.isalnum() or c in _ADDED for c in added):
            return False
        if not all(c.isalnum() or c in _WORD for c in word):
            return False
        frame = rendered.frame
        end = frame.lastPosition()
        cursor = QTextCursor(self.document())
        cursor.setPosition(end)
        # The word must end the last block: not so after a code block or a table, where
        # the frame ends in an empty block below them.
        if not cursor.block().text().endswith(word):
            return False
        with self.math.no_formulas():
            cursor.insertText(added)
        rendered.tail_chars += frame.lastPosition() - end
        rendered.tail_text = tail
        return True

    def _insert_html(self, cursor: QTextCursor, html_text: str) -> None:
        """Insert rendered HTML at the end of what is shown as it would be rendered at once
        with what is above it, telling the math hook whether to look for formulas in it."""
        # Inserted HTML joins its first paragraph to the block at the cursor, in that
        # block's format: the reply's header and its first heading ended on one line, and
        # a heading after a code block lost its own format. A throwaway first paragraph
        # takes the join and is removed: the rest starts a block of its own, in its own
        # format, as when rendered at once. (Its trailing new line would become a space.)
        position = cursor.position()
        html_text = "<p>x</p>" + html_text.rstrip()
        if f'src="{URL_SCHEME}:' in html_text:
            cursor.insertHtml(html_text)
        else:
            with self.math.no_formulas():
                cursor.insertHtml(html_text)
        throwaway = QTextCursor(self.document())
        throwaway.setPosition(position)
        throwaway.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
        throwaway.removeSelectedText()

    def _after_update(self, message: Message, rendered: _Rendered, text: str, stable: int) -> None:
        rendered.shown_chars = len(text)
        shown_all = not rendered.plain_tail or stable + rendered.plain_tail >= len(text)
        # Any finished block after `stable` (the first is enough: finding the last scanned
        # all of a fast reply's backlog, ~2,000 lines, at every update).
        finished_left = next_stable_prefix(text, stable, 0) > stable
        rendered.backlog = finished_left or not shown_all
        if rendered.backlog:
            self._schedule_catch_up(message)
        else:
            self._catch_up.pop(message.id, None)

    def _streamed_text(self, message: Message, rendered: _Rendered) -> str:
        """The part of a streaming reply to show: its start once it is too long to lay
        out (what was rendered beyond the cut is rendered again without it)."""
        text = message.plain_text
        if message.id in self._expanded_long:
            return text
        if rendered.limit is None:
            rendered.limit = collapse_at(text)
            if rendered.limit is not None and rendered.stable_chars > rendered.limit:
                rendered.streamed = False  # start again from the header
        return text if rendered.limit is None else text[: rendered.limit]

    def _schedule_catch_up(self, message: Message, delay_ms: int = CATCH_UP_MS) -> None:
        self._catch_up[message.id] = message
        if not self._catch_up_timer.isActive():
            self._catch_up_timer.start(max(1, delay_ms))

    def _catch_up_now(self) -> None:
        """Render the next slice of a backlog even when no new text arrives."""
        pending = list(self._catch_up.values())
        self._catch_up.clear()
        for message in pending:
            if message.id in self._rendered:
                self.message_changed(message)

    def _fit_slice(self, chars: int, seconds: float) -> None:
        """Size the finished Markdown rendered per update from what the last slice cost,
        so one update takes about SLICE_S (2,500 characters with code blocks and tables
        took 20-30 ms): the rest shows as plain text meanwhile and is formatted over the
        next updates."""
        if chars < MIN_SLICE or seconds <= 0:
            return
        fitted = chars * SLICE_S / seconds
        self._slice_chars = round(max(MIN_SLICE, min(STABLE_BUDGET, (self._slice_chars + fitted) / 2)))

    def _finish_streamed(self, message: Message, rendered: _Rendered) -> None:
        """The reply ended: render only the open tail for good (highlighted) and the
        footer; the finished blocks above stay as they are. Re-rendering the whole
        reply here took most of a second for a long one."""
        text = self._streamed_text(message, rendered)
        if not rendered.streamed:
            self._render_into(rendered, message)  # cut only now: render its start afresh
            return
        if (
            len(text) - rendered.stable_chars > STABLE_BUDGET
            and next_stable_prefix(text, rendered.stable_chars, STABLE_BUDGET) > rendered.stable_chars
        ):
            # Finished blocks are left over: render them a slice per tick, like while
            # streaming. The last block (never "finished" by a following one) and a
            # single huge block are rendered below, for good.
            self._update_streaming(message, rendered)
            self._schedule_catch_up(message)
            return
        rendered.frame.setFrameFormat(self._frame_format(message))
        frame = rendered.frame
        tail = text[rendered.stable_chars :]
        html_text = ""
        if tail.strip():
            finished = self._markdown(tail)
            html_text = _renumber_copy_links(finished.html, message.id, len(rendered.code_blocks))
            rendered.code_blocks.extend(
                _whole_blocks(finished.code_blocks, message.plain_text, rendered.limit)
            )
        if rendered.limit is not None:
            html_text += self._show_all_html(message, message.plain_text)
        html_text += self._footer_html(message)
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()  # one layout pass for the removed tail and its final form
        try:
            end = frame.lastPosition()
            cursor.setPosition(end - rendered.tail_chars)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            if html_text:
                self._insert_html(cursor, html_text)
        finally:
            cursor.endEditBlock()
        rendered.stable_chars = len(text)
        rendered.tail_chars = 0
        rendered.plain_tail = 0
        rendered.tail_text = ""
        rendered.streamed = False
        # An update put off to the catch-up timer is done: left there, it would render
        # the whole finished reply again.
        self._catch_up.pop(message.id, None)

    def _header_html(self, message: Message) -> str:
        theme = self._theme
        head = ""
        if message.id == self._cut_before:
            head = (
                f'<p align="center" style="color:{theme.notice_text}"><small>✂ Messages above this line '
                "are left out of requests to fit the model's context window.</small></p>"
            )
        # The version switch ("‹ 2/3 ›") of a message with versions.
        extra = self.header_extra(message)
        if message.role is not Role.USER:
            # A quiet header: who, which model, when. The user's bubble needs none.
            pieces = [f"<b>{ROLE_LABELS[message.role]}</b>"]
            if message.role is Role.ASSISTANT and message.model:
                pieces.append(html.escape(message.model))
            pieces.append(_clock(message.created_at))
            head += (
                f'<p style="margin-top:0; margin-bottom:4px; color:{theme.muted}">'
                f"<small>{' · '.join(pieces)}{extra}</small></p>"
            )
        elif extra:
            head += f'<p align="right" style="margin-top:0; color:{theme.muted}"><small>{extra}</small></p>'
        if message.reasoning:
            quiet = f'style="color:{theme.muted}; text-decoration:none"'
            words = len(message.reasoning.split())
            if message.id in self._expanded_reasoning:
                head += (
                    f'<p style="margin-top:2px; margin-bottom:4px"><small><a href="reasoning:{message.id}" '
                    f"{quiet}>▾ Hide reasoning</a></small></p>"
                    f'<table cellspacing="0" cellpadding="0" style="margin-bottom:8px"><tr>'
                    f'<td width="3" bgcolor="{theme.control_border}">&nbsp;</td><td width="10"></td>'
                    f'<td style="color:{theme.muted}">{_escape_lines(message.reasoning)}</td></tr></table>'
                )
            else:
                head += (
                    f'<p style="margin-top:2px; margin-bottom:6px"><small><a href="reasoning:{message.id}" '
                    f"{quiet}>▸ Show reasoning ({words} words)</a></small></p>"
                )
        return head + toolrecords.tools_html(message, expanded=message.id in self._expanded_tools)

    def _markdown(self, text: str, *, highlight: bool = True) -> Rendered:
        rendered = render_markdown(
            text, dark=self._theme.dark, highlight=highlight, copy_label=self._copy_label
        )
        return toolrecords.with_citation_links(rendered, text)

    def _body_html(self, message: Message) -> tuple[str, list[str]]:
        parts_html: list[str] = []
        code_blocks: list[str] = []
        for part in message.parts:
            if isinstance(part, ImagePart):
                parts_html.append(self._image_html(part))
                continue
            if message.role is Role.NOTICE:
                parts_html.append(f"<p>{_escape_lines(part.text)}</p>")
                continue
            cut = self._cut(message, part.text)
            rendered = self._markdown(part.text if cut is None else part.text[:cut])
            parts_html.append(_renumber_copy_links(rendered.html, message.id, len(code_blocks)))
            code_blocks.extend(_whole_blocks(rendered.code_blocks, part.text, cut))
            if cut is not None:
                parts_html.append(self._show_all_html(message, part.text))
        return "".join(parts_html), code_blocks

    def _cut(self, message: Message, text: str) -> int | None:
        """Where a finished text part is cut for showing (None: shown whole). The user's
        own long pastes are cut from the size at which the composer kept them aside."""
        if message.id in self._expanded_long:
            return None
        if message.role is Role.USER:
            return collapse_at(text, chars=PASTE_CHARS, lines=PASTE_LINES)
        return collapse_at(text)

    def _show_all_html(self, message: Message, text: str) -> str:
        """The link under the start of a collapsed text."""
        return (
            f'<p style="margin-top:4px"><a href="expand:{message.id}"><b>Show all</b></a>'
            f'<small style="color:{self._theme.muted}"> ({size_text(text)}; Copy and export take '
            "all of it)</small></p>"
        )

    def _image_html(self, part: ImagePart) -> str:
        width, height = _fit(part.width, part.height, THUMB_SIZE)
        note = ""
        if part.rejected:
            note = f'<br/><small style="color:{self._theme.error_text}">Not sent: {html.escape(part.rejected)}</small>'
        return (
            f'<p><a href="image:{part.sha256}"><img src="thumb:{part.sha256}" width="{width}" '
            f'height="{height}"/></a><br/><small>{html.escape(part.name)}</small>{note}</p>'
        )

    def _footer_html(self, message: Message) -> str:
        theme = self._theme
        notes: list[tuple[str, str]] = []
        mid = message.id
        retry = f'<a href="act:retry:{mid}"><b>Retry</b></a>'
        if message.state is MessageState.STOPPED:
            notes.append((theme.muted, "■ Stopped by you. What arrived is kept."))
        elif message.state is MessageState.INTERRUPTED:
            notes.append(
                (
                    theme.notice_text,
                    f"⚠ GrokDesk closed while this reply was arriving; it is incomplete. {retry}",
                )
            )
        elif message.state is MessageState.FAILED:
            error = html.escape(message.error or "The reply failed.")
            return f'<p style="color:{theme.error_text}; margin-top:4px">⚠ {error}&nbsp;&nbsp;{retry}</p>'
        if message.finish_reason == "length" and message.state is MessageState.COMPLETE:
            notes.append(
                (
                    theme.notice_text,
                    "The reply reached its length limit and was cut off. "
                    f'<a href="act:continue:{mid}"><b>Continue</b></a>',
                )
            )
        if message.usage is not None and mid in self.usage_text and mid in self._usage_shown:
            notes.append((theme.muted, "Usage: " + html.escape(self.usage_text[mid])))
        return toolrecords.sources_html(message) + "".join(
            f'<p style="color:{colour}; margin-top:6px"><small>{note}</small></p>' for colour, note in notes
        )

    # -- painting: rounded boxes behind messages -----------------------------------

    def _frame_rect(self, message: Message) -> QRectF | None:
        """The message's box (margins left out) in document coordinates."""
        rendered = self._rendered.get(message.id)
        if rendered is None:
            return None
        rect = self.document().documentLayout().frameBoundingRect(rendered.frame)
        fmt = rendered.frame.frameFormat()
        return rect.adjusted(fmt.leftMargin(), fmt.topMargin(), -fmt.rightMargin(), -fmt.bottomMargin())

    def message_rect(self, message_id: str) -> QRect | None:
        """Where a rendered message is, in viewport coordinates (the document is laid out
        first: Qt otherwise lays it out lazily and the rectangles are provisional)."""
        self.document().pageCount()
        message = self._message(message_id)
        rect = self._frame_rect(message) if message is not None else None
        if rect is None:
            return None
        return rect.translated(-self._scroll_offset()).toRect()

    def _bottom_of(self, message: Message) -> float:
        rect = self._frame_rect(message)
        return rect.bottom() if rect is not None else 0.0

    def _scroll_offset(self) -> QPoint:
        return QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())

    def _shown(self) -> list[Message]:
        return [m for m in self._messages[self._first_shown : self._end] if m.id in self._rendered]

    def paintEvent(self, event: QPaintEvent) -> None:
        offset = self._scroll_offset()
        visible = QRectF(event.rect()).translated(offset)
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(-offset)
        painter.setPen(Qt.PenStyle.NoPen)
        shown = self._shown()
        # Messages are laid out top to bottom: skip those above the exposed area by
        # bisection, so a paint costs the same with 60 or 2,000 messages rendered.
        first = bisect.bisect_left(shown, visible.top(), key=self._bottom_of)
        for message in shown[first:]:
            rect = self._frame_rect(message)
            if rect is None or rect.bottom() < visible.top():
                continue
            if rect.top() > visible.bottom():
                break
            colour = self._box_colour(message)
            radius = BUBBLE_RADIUS if message.role is Role.USER else BOX_RADIUS
            if colour is not None:
                painter.setBrush(colour)
                painter.drawRoundedRect(rect, radius, radius)
            if message.id == self._keyboard_message:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(QColor(self._theme.accent), 2))
                painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), radius + 2, radius + 2)
                painter.setPen(Qt.PenStyle.NoPen)
        painter.end()
        if self._charge_paint:
            # Painting a streaming update costs about as much as rendering it: it counts.
            self._charge_paint = False
            started = time.monotonic()
            super().paintEvent(event)
            self.render_budget.spend(time.monotonic() - started)
        else:
            super().paintEvent(event)
        if self._load_after_paint:
            # The first screenful is on screen: the rest of the window is rendered above it.
            self._load_after_paint = False
            self._load_timer.start()

    # -- the action bar --------------------------------------------------------------

    def _message(self, message_id: str | None) -> Message | None:
        return next((m for m in self._messages if m.id == message_id), None) if message_id else None

    def _message_at(self, point: QPoint) -> Message | None:
        """The message whose box or the gap below it holds `point` (viewport coordinates)."""
        y = point.y() + self.verticalScrollBar().value()
        shown = self._shown()
        first = bisect.bisect_left(shown, float(y - HOVER_REACH), key=self._bottom_of)
        for message in shown[first:]:
            rect = self._frame_rect(message)
            if rect is not None and rect.top() - 4 <= y <= rect.bottom() + HOVER_REACH:
                return message
        return None

    def show_actions(self, message_id: str) -> bool:
        """Show the action bar under a message (what hovering it does)."""
        message = self._message(message_id)
        if message is None or message.id not in self._rendered:
            return False
        self._bar_message = message.id
        self.action_bar.set_message(
            message, usage=self.usage_text.get(message.id, ""), usage_shown=message.id in self._usage_shown
        )
        self._place_bar()
        return True

    def _place_bar(self) -> None:
        message = self._message(self._bar_message)
        rect = self._frame_rect(message) if message is not None else None
        if message is None or rect is None:
            self.action_bar.hide()
            return
        rect = rect.translated(-self._scroll_offset())
        bar = self.action_bar
        bar.adjustSize()
        x = rect.right() - bar.width() if message.role is Role.USER else rect.left()
        bar.move(round(x), round(rect.bottom() + 2))
        bar.show()
        bar.raise_()

    def _hide_bar(self) -> None:
        if self.action_bar.has_focus_inside():
            return
        self._bar_message = None
        self.action_bar.hide()

    def _step_message(self, step: int) -> None:
        """Alt+Up / Alt+Down: choose the previous or next message for keyboard actions."""
        shown = self._shown()
        if not shown:
            return
        ids = [m.id for m in shown]
        current = self._keyboard_message or self._bar_message
        index = max(0, min(len(ids) - 1, ids.index(current) + step)) if current in ids else len(ids) - 1
        message = shown[index]
        self._keyboard_message = message.id
        rect = self._frame_rect(message)
        if rect is not None:
            self._follow = False
            bar = self.verticalScrollBar()
            height = self.viewport().height()
            if rect.top() < bar.value() or rect.bottom() + HOVER_REACH > bar.value() + height:
                bar.setValue(round(min(rect.top() - 8, rect.bottom() + HOVER_REACH - height)))
        self.show_actions(message.id)
        self.action_bar.focus_first()
        self.viewport().update()

    def _dismiss_bar(self) -> None:
        self._keyboard_message = None
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self._bar_message = None
        self.action_bar.hide()
        self.viewport().update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport():
            kind = event.type()
            if kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
                self._pointer = event.position().toPoint()
                message = self._message_at(self._pointer)
                if message is None:
                    self._hide_bar()
                elif message.id != self._bar_message:
                    if self._keyboard_message and self._keyboard_message != message.id:
                        self._keyboard_message = None
                        self.viewport().update()
                    self.show_actions(message.id)
            elif kind == QEvent.Type.Leave and not self.action_bar.underMouse():
                self._pointer = None
                self._hide_bar()
            elif kind == QEvent.Type.Resize:
                QTimer.singleShot(0, self, self._reflow_bubbles)
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if alt and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._step_message(-1 if event.key() == Qt.Key.Key_Up else 1)
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        QTimer.singleShot(0, self, self._drop_keyboard_choice)

    def _drop_keyboard_choice(self) -> None:
        """Focus left the transcript and its bar: the keyboard choice ends."""
        if self._keyboard_message and not self.hasFocus() and not self.action_bar.has_focus_inside():
            self._keyboard_message = None
            self._hide_bar()
            self.viewport().update()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """The standard menu plus the actions of the message under the pointer (or the
        keyboard-chosen one, for the Menu key)."""
        menu = self.createStandardContextMenu(event.pos())
        if event.reason() == QContextMenuEvent.Reason.Keyboard and self._keyboard_message:
            message = self._message(self._keyboard_message)
        else:
            message = self._message_at(event.pos())  # viewport coordinates, as the menu's
        if message is not None:
            menu.addSeparator()
            entries = [("copy", "Copy message"), ("copy_md", "Copy as Markdown"), ("edit", "Edit…")]
            if message.role is Role.NOTICE:
                entries = []
            if message.role is Role.ASSISTANT:
                entries.append(("regenerate", "Regenerate"))
            entries.append(("delete", "Dismiss" if message.role is Role.NOTICE else "Delete"))
            for name, text in entries:
                action = menu.addAction(text)
                action.triggered.connect(
                    lambda _checked=False, n=name, mid=message.id: self.action_requested.emit(n, mid)
                )
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    # -- theme -----------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            theme = theme_of(self.palette())
            if theme is not self._theme:
                # Colours are baked into the rendered HTML: render again in the new ones.
                self._theme = theme
                if self._messages and not self._deferred:
                    self.rebuild()
                self.viewport().update()

    # -- interaction -----------------------------------------------------------

    def toggle_usage(self, message_id: str) -> None:
        if message_id in self._usage_shown:
            self._usage_shown.discard(message_id)
        else:
            self._usage_shown.add(message_id)
        message = next((m for m in self._messages if m.id == message_id), None)
        if message is not None:
            self.message_changed(message)
            if self._bar_message == message_id:
                self.show_actions(message_id)

    def _on_anchor_clicked(self, url: QUrl) -> None:
        scheme = url.scheme()
        target = url.toString()
        if scheme == "act":
            _, action, message_id = target.split(":", 2)
            self.action_requested.emit(action, message_id)
        elif scheme == "reasoning":
            message_id = url.path()
            if message_id in self._expanded_reasoning:
                self._expanded_reasoning.discard(message_id)
            else:
                self._expanded_reasoning.add(message_id)
            message = next((m for m in self._messages if m.id == message_id), None)
            if message is not None and message.id in self._rendered:
                self._render_into(self._rendered[message.id], message)
        elif scheme == "expand":
            message_id = url.path()
            self._expanded_long.add(message_id)
            # The user reads where the link was: the rest appears below it, the view stays.
            self._follow = False
            message = next((m for m in self._messages if m.id == message_id), None)
            if message is not None and message.id in self._rendered:
                self._render_into(self._rendered[message.id], message)
        elif scheme == "tools":
            message_id = url.path()
            self._expanded_tools.symmetric_difference_update({message_id})
            message = next((m for m in self._messages if m.id == message_id), None)
            if message is not None and message.id in self._rendered:
                self._render_into(self._rendered[message.id], message)
        elif scheme == "copy":
            message_id, _, index = url.path().rpartition(":")
            code = self.code_block(message_id, int(index))
            if code is not None:
                self.code_copied.emit(code)
        elif scheme == "image":
            self.image_requested.emit(url.path())
        elif scheme == "version":
            message_id, _, step = url.path().rpartition(":")
            self.version_requested.emit(message_id, -1 if step == "prev" else 1)
        elif scheme == "more":
            self.show_earlier()
        elif scheme == "later":
            self.show_later()
        elif scheme in {"http", "https", "mailto"}:
            QDesktopServices.openUrl(url)

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        # During a streaming update the range changes several times while the edit is laid
        # out, and each move of the bar scrolls and lays out again: the update follows the
        # end once, when it is done.
        if self._follow and not self._updating:
            self.verticalScrollBar().setValue(maximum)

    def _on_scrolled(self, value: int) -> None:
        if value >= self.verticalScrollBar().maximum() - 4 and self._end is None:
            self._follow = True

    def _after_user_scroll(self) -> None:
        """The user scrolled (wheel, keys, the scroll bar): follow the end when there, and
        load earlier messages when near the top (Qt also moves the bar itself, e.g. when
        focus changes: that must neither stop the following nor load anything)."""
        bar = self.verticalScrollBar()
        self._follow = bar.value() >= bar.maximum() - 4 and self._end is None
        ahead = self.viewport().height() * LOAD_AHEAD_SCREENS
        if self._loading() or self._follow:
            return
        if bar.value() <= ahead and self._first_shown > 0:
            self._load_earlier(INITIAL_WINDOW)
        elif self._end is not None and bar.value() >= bar.maximum() - ahead:
            self.show_later()


def _set_link_line(line: QTextCursor, link_html: str | None) -> None:
    """Replace the selected line with a centred link, or empty it (None)."""
    if link_html is not None:
        line.insertHtml(link_html)
        centred = line.blockFormat()
        centred.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        line.setBlockFormat(centred)
    elif line.hasSelection():
        line.removeSelectedText()


def _renumber_copy_links(html_text: str, message_id: str, offset: int) -> str:
    """The renderer numbers code blocks from 0 per call; make the copy links unique
    per message (`copy:<message id>:<index>`)."""
    if "copy:" not in html_text:
        return html_text
    out = []
    rest = html_text
    while True:
        start = rest.find('href="copy:')
        if start < 0:
            out.append(rest)
            break
        end = rest.find('"', start + 11)
        number = int(rest[start + 11 : end])
        out.append(rest[:start] + f'href="copy:{message_id}:{number + offset}')
        rest = rest[end:]
    return "".join(out)


def _whole_blocks(blocks: list[str], text: str, cut: int | None) -> list[str]:
    """The code blocks of a shown start of `text`: the last one whole when the cut
    falls inside it, so its Copy link copies all of it."""
    if cut is None or not blocks:
        return blocks
    whole = open_code_block(text, cut)
    return blocks if whole is None else [*blocks[:-1], whole]


def _escape_lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>")


def _fit(width: int, height: int, box: int) -> tuple[int, int]:
    if width <= 0 or height <= 0:
        return box, box
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _open_block(cursor: QTextCursor) -> bool:
    """Put the cursor in an empty block of default formats (for plain text of its own);
    True if a block was inserted for it."""
    if cursor.block().length() > 1:
        cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        return True
    _reset_formats(cursor)
    return False


def _image_shas(message: Message) -> tuple[str, ...]:
    return tuple(part.sha256 for part in message.images)


def _reset_formats(cursor: QTextCursor) -> None:
    """The empty block left after clearing a frame keeps the format of the last block that
    was there (a quote's indent, say); the new HTML must not inherit it."""
    cursor.setBlockFormat(QTextBlockFormat())
    cursor.setCharFormat(QTextCharFormat())


def _boxed(message: Message) -> bool:
    """Notices, system messages and failures sit in a tinted box."""
    return message.role in (Role.SYSTEM, Role.NOTICE) or message.state in (
        MessageState.FAILED,
        MessageState.INTERRUPTED,
    )


def _clock(timestamp: float) -> str:
    """ "14:02" today, "3 Dec 14:02" before."""
    moment = datetime.fromtimestamp(timestamp)
    if moment.date() == datetime.now().date():
        return moment.strftime("%H:%M")
    return f"{moment.day} {moment.strftime('%b %H:%M')}"
