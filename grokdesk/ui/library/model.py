"""The library's rows: conversations grouped by day (pinned on top), or search hits.

One flat `QAbstractListModel` feeds the `conversationList` view, so thousands of
conversations cost one Python object each and no widgets. A delegate paints the
three kinds of row: day headers, conversations and search hits (title over a
snippet whose matches are highlighted).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAbstractTextDocumentLayout, QFont, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from grokdesk.storage.records import MATCH_END, MATCH_START, ConversationSummary, SearchHit

Index = QModelIndex | QPersistentModelIndex

PINNED_LABEL = "Pinned"
UNTITLED = "New conversation"
# Highlight for matches: works on light and dark palettes because the text colour is set with it.
HIGHLIGHT_STYLE = "background-color:#ffe066;color:#000000;font-weight:bold"


class RowKind(IntEnum):
    HEADER = 0
    CONVERSATION = 1
    HIT = 2


@dataclass(frozen=True, slots=True)
class LibraryRow:
    """One line of the list. `text` is a header's label or a conversation's title."""

    kind: RowKind
    text: str
    conversation_id: str = ""
    message_id: str | None = None
    # Raw FTS snippet with MATCH_START/MATCH_END markers (hits only).
    snippet: str = ""
    pinned: bool = False
    updated_at: float = 0.0


def day_label(day: date, today: date) -> str:
    """'Today', 'Yesterday', a weekday within the last week, else the date."""
    age = (today - day).days
    if age == 0:
        return "Today"
    if age == 1:
        return "Yesterday"
    if 1 < age < 7:
        return day.strftime("%A")
    if day.year == today.year:
        return f"{day.strftime('%A')}, {day.day} {day.strftime('%B')}"
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _short_time(timestamp: float, today: date, *, pinned: bool) -> str:
    """The time of day under a day header; pinned rows have none, so older ones show their date."""
    moment = datetime.fromtimestamp(timestamp)
    if not pinned or moment.date() == today:
        return moment.strftime("%H:%M")
    return (
        f"{moment.day} {moment.strftime('%b')}" if moment.year == today.year else moment.strftime("%Y-%m-%d")
    )


def grouped_rows(summaries: Sequence[ConversationSummary], today: date) -> list[LibraryRow]:
    """Pinned conversations under 'Pinned', then the rest newest first under day headers."""
    pinned = sorted((s for s in summaries if s.pinned), key=lambda s: s.updated_at, reverse=True)
    others = sorted((s for s in summaries if not s.pinned), key=lambda s: s.updated_at, reverse=True)
    rows: list[LibraryRow] = []
    if pinned:
        rows.append(LibraryRow(RowKind.HEADER, PINNED_LABEL))
        rows += [_conversation_row(s) for s in pinned]
    current: date | None = None
    for summary in others:
        day = datetime.fromtimestamp(summary.updated_at).date()
        if day != current:
            current = day
            rows.append(LibraryRow(RowKind.HEADER, day_label(day, today)))
        rows.append(_conversation_row(summary))
    return rows


def hit_rows(hits: Sequence[SearchHit]) -> list[LibraryRow]:
    return [
        LibraryRow(
            RowKind.HIT,
            h.title or UNTITLED,
            conversation_id=h.conversation_id,
            message_id=h.message_id,
            snippet=h.snippet,
            updated_at=h.updated_at,
        )
        for h in hits
    ]


def _conversation_row(summary: ConversationSummary) -> LibraryRow:
    return LibraryRow(
        RowKind.CONVERSATION,
        summary.title or UNTITLED,
        conversation_id=summary.id,
        pinned=summary.pinned,
        updated_at=summary.updated_at,
    )


def snippet_html(snippet: str) -> str:
    """The snippet as HTML: matches highlighted, everything else escaped (it is user or model text)."""
    out: list[str] = []
    inside = False
    for piece in _split_markers(snippet):
        if piece == MATCH_START:
            if not inside:
                out.append(f'<span style="{HIGHLIGHT_STYLE}">')
                inside = True
        elif piece == MATCH_END:
            if inside:
                out.append("</span>")
                inside = False
        else:
            out.append(html.escape(" ".join(piece.split()) if "\n" in piece else piece))
    if inside:
        out.append("</span>")
    return "".join(out)


def snippet_plain(snippet: str) -> str:
    """The snippet without markers, on one line (for accessibility and tooltips)."""
    return " ".join(snippet.replace(MATCH_START, "").replace(MATCH_END, "").split())


def _split_markers(snippet: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for i, ch in enumerate(snippet):
        if ch in (MATCH_START, MATCH_END):
            if i > start:
                pieces.append(snippet[start:i])
            pieces.append(ch)
            start = i + 1
    if start < len(snippet):
        pieces.append(snippet[start:])
    return pieces


class LibraryModel(QAbstractListModel):
    """Signals:
    rename_requested(str, str): a conversation's title was edited in place (id, new title).
    """

    KindRole = Qt.ItemDataRole.UserRole + 1
    ConversationIdRole = Qt.ItemDataRole.UserRole + 2
    MessageIdRole = Qt.ItemDataRole.UserRole + 3
    SnippetHtmlRole = Qt.ItemDataRole.UserRole + 4
    PinnedRole = Qt.ItemDataRole.UserRole + 5
    UpdatedRole = Qt.ItemDataRole.UserRole + 6

    rename_requested = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[LibraryRow] = []

    @property
    def rows(self) -> list[LibraryRow]:
        return list(self._rows)

    def set_rows(self, rows: list[LibraryRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, index: Index) -> LibraryRow | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    def index_of(self, conversation_id: str) -> QModelIndex:
        """The first row showing that conversation (invalid when none)."""
        for i, row in enumerate(self._rows):
            if row.kind != RowKind.HEADER and row.conversation_id == conversation_id:
                return self.index(i)
        return QModelIndex()

    def set_title(self, conversation_id: str, title: str) -> None:
        for i, row in enumerate(self._rows):
            if row.kind != RowKind.HEADER and row.conversation_id == conversation_id:
                self._rows[i] = replace(row, text=title or UNTITLED)
                index = self.index(i)
                self.dataChanged.emit(index, index)

    def remove_conversation(self, conversation_id: str) -> None:
        """Drop its rows, and a day header left with nothing under it."""
        keep = [r for r in self._rows if r.kind == RowKind.HEADER or r.conversation_id != conversation_id]
        pruned = [
            r
            for i, r in enumerate(keep)
            if r.kind != RowKind.HEADER or (i + 1 < len(keep) and keep[i + 1].kind != RowKind.HEADER)
        ]
        if len(pruned) != len(self._rows):
            self.set_rows(pruned)

    # -- QAbstractListModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt override)
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = self.row_at(index)
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return row.text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if row.kind == RowKind.HIT:
                return f"{row.text}: {snippet_plain(row.snippet)}"
            if row.kind == RowKind.HEADER:
                return f"{row.text} (heading)"
            return row.text + (" (pinned)" if row.pinned else "")
        if role == Qt.ItemDataRole.ToolTipRole and row.kind != RowKind.HEADER:
            when = datetime.fromtimestamp(row.updated_at).strftime("%Y-%m-%d %H:%M")
            extra = f"\n{snippet_plain(row.snippet)}" if row.kind == RowKind.HIT else ""
            return f"{row.text}\n{when}{extra}"
        if role == self.KindRole:
            return int(row.kind)
        if role == self.ConversationIdRole:
            return row.conversation_id
        if role == self.MessageIdRole:
            return row.message_id
        if role == self.SnippetHtmlRole:
            return snippet_html(row.snippet)
        if role == self.PinnedRole:
            return row.pinned
        if role == self.UpdatedRole:
            return row.updated_at
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        row = self.row_at(index)
        if row is None or row.kind == RowKind.HEADER:
            # Headers cannot be selected, so arrow keys step over them.
            return Qt.ItemFlag.NoItemFlags
        # Hits are editable too: F2 renames the conversation a result belongs to.
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        row = self.row_at(index)
        if row is None or role != Qt.ItemDataRole.EditRole or row.kind == RowKind.HEADER:
            return False
        title = str(value).strip()
        if not title or title == row.text:
            return False
        self.set_title(row.conversation_id, title)
        self.rename_requested.emit(row.conversation_id, title)
        return True


class LibraryDelegate(QStyledItemDelegate):
    """Paints headers small and bold, conversations as one line, hits as title over snippet.

    Every row kind has the same height within a mode so the view can use uniform sizes
    (fast with thousands of rows); hits are two lines tall, list rows one.
    """

    PADDING = 6

    def __init__(self, parent: QObject | None = None, *, today: Callable[[], date] = date.today) -> None:
        super().__init__(parent)
        self.today = today

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        line = option.fontMetrics.height()
        lines = 2 if index.data(LibraryModel.KindRole) == RowKind.HIT else 1
        return QSize(200, lines * line + 2 * self.PADDING + (lines - 1) * 2)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        super().updateEditorGeometry(editor, option, index)
        if index.data(LibraryModel.KindRole) == RowKind.HIT:
            # The title line only, not the snippet under it.
            rect = editor.geometry()
            rect.setHeight(option.fontMetrics.height() + self.PADDING + 2)
            editor.setGeometry(rect)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        kind = index.data(LibraryModel.KindRole)
        rect: QRect = option.rect
        palette: QPalette = option.palette
        painter.save()
        try:
            if kind == RowKind.HEADER:
                self._paint_header(painter, option, rect, palette, str(index.data()))
            elif kind == RowKind.CONVERSATION:
                self._paint_conversation(painter, option, rect, palette, index)
            else:
                self._paint_hit(painter, option, rect, palette, index)
        finally:
            painter.restore()

    def _paint_background(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> bool:
        """The style's selection and hover background; returns whether the row is selected."""
        widget = option.widget
        style = widget.style() if isinstance(widget, QWidget) else QApplication.style()
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, widget)
        return bool(option.state & QStyle.StateFlag.State_Selected)

    def _paint_conversation(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, palette: QPalette, index: Index
    ) -> None:
        selected = self._paint_background(painter, option, index)
        inner = rect.adjusted(self.PADDING, 0, -self.PADDING, 0)
        when = _short_time(
            float(index.data(LibraryModel.UpdatedRole)),
            self.today(),
            pinned=bool(index.data(LibraryModel.PinnedRole)),
        )
        metrics = option.fontMetrics
        when_width = metrics.horizontalAdvance(when) + self.PADDING
        painter.setPen(
            palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        )
        title = metrics.elidedText(str(index.data()), Qt.TextElideMode.ElideRight, inner.width() - when_width)
        painter.drawText(inner, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
        if not selected:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(inner, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), when)

    def _paint_header(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, palette: QPalette, text: str
    ) -> None:
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.9))
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        text_rect = rect.adjusted(self.PADDING, 0, -self.PADDING, -2)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
        painter.drawText(text_rect, int(flags), text)

    def _paint_hit(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, palette: QPalette, index: Index
    ) -> None:
        selected = self._paint_background(painter, option, index)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        inner = rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        line = option.fontMetrics.height()
        title_font = QFont(option.font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(palette.color(text_role))
        title = painter.fontMetrics().elidedText(
            str(index.data()), Qt.TextElideMode.ElideRight, inner.width()
        )
        painter.drawText(QRect(inner.left(), inner.top(), inner.width(), line), 0, title)
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(0)
        doc.setHtml(str(index.data(LibraryModel.SnippetHtmlRole)))
        doc.setTextWidth(10_000)  # one line; the view clips what does not fit
        painter.translate(inner.left(), inner.top() + line + 2)
        painter.setClipRect(QRect(0, 0, inner.width(), line + 2))
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, palette.color(text_role))
        doc.documentLayout().draw(painter, context)
