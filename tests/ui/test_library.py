"""The library panel against a real store on a real database, run on the store's own thread."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from grokdesk.core.conversation import Conversation, Message, Role, TextPart
from grokdesk.storage.records import MATCH_END, MATCH_START
from grokdesk.storage.store import Store
from grokdesk.storage.worker import StoreWorker
from grokdesk.ui.library.model import LibraryModel, RowKind, day_label, snippet_html, snippet_plain
from grokdesk.ui.library.panel import LibraryPanel
from tests.data.builders import image_part

CHATGPT_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "chatgpt" / "conversations.json"
TODAY = date.today()


def at_noon(days_ago: int) -> float:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(12)).timestamp()


def conversation(title: str, days_ago: int, *texts: str, pinned: bool = False) -> Conversation:
    stamp = at_noon(days_ago)
    messages = [
        Message(Role.USER if i % 2 == 0 else Role.ASSISTANT, [TextPart(text)], created_at=stamp)
        for i, text in enumerate(texts)
    ]
    return Conversation(
        title=title, model="grok-4", messages=messages, created_at=stamp, updated_at=stamp, pinned=pinned
    )


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[StoreWorker]:
    worker = StoreWorker(tmp_path / "data")
    worker.ready.result()
    yield worker
    worker.close()


@pytest.fixture
def convs(worker: StoreWorker) -> dict[str, Conversation]:
    made = {
        "old": conversation("Tax return questions", 40, "How do I file?", "Use the online form."),
        "week": conversation("Sourdough", 3, "My starter smells of acetone", "Feed it more often."),
        "yesterday": conversation(
            "Cats and towers", 1, "Where was the photo taken?", "A tabby cat near the Eiffel tower."
        ),
        "today": conversation("Rust lifetimes", 0, "Explain borrowing <b>please</b> & thanks"),
        "pinned": conversation("Packing list", 10, "What to pack for Norway?", pinned=True),
    }
    for conv in made.values():
        worker.call(Store.replace_conversation, conv).result()
    return made


def make_panel(
    qtbot: QtBot, worker: StoreWorker, run: Callable[..., Any] | None = None, **kwargs: Any
) -> LibraryPanel:
    def store_run(fn: Callable[..., Any], *args: object) -> Any:
        return asyncio.wrap_future(worker.call(fn, *args))

    panel = LibraryPanel(run or store_run, today=lambda: TODAY, **kwargs)
    qtbot.addWidget(panel)
    panel.resize(360, 600)
    panel.show()
    with qtbot.waitSignal(panel.list_refreshed):
        panel.refresh()
    return panel


@pytest.fixture
def panel(qtbot: QtBot, qloop: object, worker: StoreWorker, convs: dict[str, Conversation]) -> LibraryPanel:
    return make_panel(qtbot, worker)


def shown(panel: LibraryPanel) -> list[tuple[str, str]]:
    return [("header" if r.kind == RowKind.HEADER else "item", r.text) for r in panel.model.rows]


def stored_titles(worker: StoreWorker) -> dict[str, str]:
    return {s.id: s.title for s in worker.call(Store.list_conversations).result()}


def search(qtbot: QtBot, panel: LibraryPanel, text: str) -> None:
    panel.searchBox.clear()
    with qtbot.waitSignal(panel.search_results_shown, check_params_cb=lambda q: q == text.strip()):
        qtbot.keyClicks(panel.searchBox, text)


# -- list ------------------------------------------------------------------------------------


def test_list_is_pinned_first_then_newest_first_under_day_headers(panel: LibraryPanel) -> None:
    old_day = TODAY - timedelta(days=40)
    assert shown(panel) == [
        ("header", "Pinned"),
        ("item", "Packing list"),
        ("header", "Today"),
        ("item", "Rust lifetimes"),
        ("header", "Yesterday"),
        ("item", "Cats and towers"),
        ("header", (TODAY - timedelta(days=3)).strftime("%A")),
        ("item", "Sourdough"),
        ("header", day_label(old_day, TODAY)),
        ("item", "Tax return questions"),
    ]
    assert panel.conversationList.objectName() == "conversationList"
    assert panel.searchBox.objectName() == "searchBox"
    assert panel.searchBox.accessibleName()
    # Headers cannot be selected or opened.
    assert not panel.model.flags(panel.model.index(0)) & Qt.ItemFlag.ItemIsSelectable


def test_day_labels() -> None:
    today = date(2026, 11, 26)  # a Thursday
    assert day_label(today, today) == "Today"
    assert day_label(date(2026, 11, 25), today) == "Yesterday"
    assert day_label(date(2026, 11, 23), today) == "Monday"
    assert day_label(date(2026, 11, 2), today) == "Monday, 2 November"
    assert day_label(date(2025, 3, 9), today) == "9 March 2025"


def test_open_with_enter_emits_the_conversation(
    qtbot: QtBot, panel: LibraryPanel, convs: dict[str, Conversation]
) -> None:
    assert panel.select_conversation(convs["week"].id)
    panel.conversationList.setFocus()
    with qtbot.waitSignal(panel.open_requested) as blocker:
        qtbot.keyClick(panel.conversationList, Qt.Key.Key_Return)
    assert blocker.args == [convs["week"].id, None]


def test_double_click_opens(qtbot: QtBot, panel: LibraryPanel, convs: dict[str, Conversation]) -> None:
    rect = panel.conversationList.visualRect(panel.model.index_of(convs["pinned"].id))
    viewport = panel.conversationList.viewport()
    with qtbot.waitSignal(panel.open_requested) as blocker:
        # QTest's double click is only the second click's event: the first comes before it.
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [convs["pinned"].id, None]


def test_arrow_keys_step_over_day_headers(
    qtbot: QtBot, panel: LibraryPanel, convs: dict[str, Conversation]
) -> None:
    panel.select_conversation(convs["today"].id)
    panel.conversationList.setFocus()
    qtbot.keyClick(panel.conversationList, Qt.Key.Key_Down)
    assert panel.current_conversation_id() == convs["yesterday"].id


def test_refresh_shows_conversations_saved_since(
    qtbot: QtBot, panel: LibraryPanel, worker: StoreWorker
) -> None:
    fresh = conversation("Brand new", 0, "hello")
    fresh.updated_at += 60
    worker.call(Store.replace_conversation, fresh).result()
    with qtbot.waitSignal(panel.list_refreshed):
        panel.schedule_refresh()
        panel.schedule_refresh()
    assert shown(panel)[2:4] == [("header", "Today"), ("item", "Brand new")]


# -- search ----------------------------------------------------------------------------------


def test_search_as_you_type_highlights_the_hit_and_opens_at_the_message(
    qtbot: QtBot, panel: LibraryPanel, convs: dict[str, Conversation]
) -> None:
    search(qtbot, panel, "tabby")
    rows = panel.model.rows
    assert [r.kind for r in rows] == [RowKind.HIT]
    hit = rows[0]
    target = convs["yesterday"]
    assert (hit.conversation_id, hit.message_id, hit.text) == (
        target.id,
        target.messages[1].id,
        "Cats and towers",
    )
    html = panel.model.index(0).data(LibraryModel.SnippetHtmlRole)
    assert '">tabby</span>' in html and "A " in html
    # The highlight is really painted.
    image = panel.conversationList.viewport().grab().toImage()
    colors = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, 60)}
    assert QColor("#ffe066").name() in colors

    panel.conversationList.setFocus()
    with qtbot.waitSignal(panel.open_requested) as blocker:
        qtbot.keyClick(panel.conversationList, Qt.Key.Key_Return)
    assert blocker.args == [target.id, target.messages[1].id]

    # Emptying the box shows the whole list again.
    panel.searchBox.clear()
    assert shown(panel)[0] == ("header", "Pinned")
    assert len(shown(panel)) == 10


def test_title_hits_have_no_message_and_enter_in_the_box_opens_the_first(
    qtbot: QtBot, panel: LibraryPanel, convs: dict[str, Conversation]
) -> None:
    search(qtbot, panel, "sourdo")  # a prefix while still typing
    first = panel.model.rows[0]
    assert (first.conversation_id, first.message_id) == (convs["week"].id, None)
    with qtbot.waitSignal(panel.open_requested) as blocker:
        qtbot.keyClick(panel.searchBox, Qt.Key.Key_Return)
    assert blocker.args == [convs["week"].id, None]


def test_keyboard_from_the_search_box(
    qtbot: QtBot, panel: LibraryPanel, convs: dict[str, Conversation]
) -> None:
    panel.focus_search()
    search(qtbot, panel, "tabby")
    qtbot.keyClick(panel.searchBox, Qt.Key.Key_Down)
    assert panel.conversationList.hasFocus()
    assert panel.current_conversation_id() == convs["yesterday"].id
    qtbot.keyClick(panel.searchBox, Qt.Key.Key_Escape)
    assert panel.searchBox.text() == ""
    assert shown(panel)[0] == ("header", "Pinned")


def test_snippets_are_escaped(qtbot: QtBot, panel: LibraryPanel) -> None:
    search(qtbot, panel, "borrowing")
    html = panel.model.index(0).data(LibraryModel.SnippetHtmlRole)
    assert "&lt;b&gt;please&lt;/b&gt; &amp; thanks" in html
    assert "<b>" not in html


def test_snippet_html_unit() -> None:
    raw = f"x <i>{MATCH_START}cat{MATCH_END}</i>\n& {MATCH_START}dog"
    html = snippet_html(raw)
    assert html.count("<span") == 2 and html.count("</span>") == 2
    assert "&lt;i&gt;" in html and "&amp;" in html and "\n" not in html
    assert snippet_plain(raw) == "x <i>cat</i> & dog"


def test_no_match_says_so(qtbot: QtBot, panel: LibraryPanel) -> None:
    search(qtbot, panel, "zeppelin")
    assert shown(panel) == [("header", "No conversation matches “zeppelin”")]


@pytest.mark.parametrize(
    "query", ['"', "*", "AND", "tabby AND", 'a"b', "NEAR(", "-x", "title:cat", "(((", "^"]
)
def test_odd_queries_do_not_fail(qtbot: QtBot, panel: LibraryPanel, query: str) -> None:
    search(qtbot, panel, query)
    assert panel.model.rowCount() >= 1


def test_a_newer_keystroke_wins_over_a_slower_older_search(
    qtbot: QtBot, qloop: object, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    gate = asyncio.Event()
    started: list[str] = []
    ended: list[str] = []

    async def slow_first_search(fn: Callable[..., Any], *args: Any) -> Any:
        if fn is not Store.search:
            return await asyncio.wrap_future(worker.call(fn, *args))
        started.append(args[0])
        try:
            if args[0] == "tabby":
                await gate.wait()  # the older query would answer last
            return await asyncio.wrap_future(worker.call(fn, *args))
        finally:
            ended.append(args[0])

    panel = make_panel(qtbot, worker, slow_first_search)
    shown_queries: list[str] = []
    panel.search_results_shown.connect(shown_queries.append)
    panel.searchBox.setText("tabby")
    qtbot.waitUntil(lambda: started == ["tabby"])
    search(qtbot, panel, "acetone")
    gate.set()
    qtbot.waitUntil(lambda: "tabby" in ended)
    assert shown_queries == ["acetone"]
    assert [r.text for r in panel.model.rows] == ["Sourdough"]


# -- rename, delete, pin ---------------------------------------------------------------------


def test_rename_in_place_with_f2(
    qtbot: QtBot, panel: LibraryPanel, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    target = convs["week"].id
    panel.select_conversation(target)
    panel.conversationList.setFocus()
    qtbot.keyClick(panel.conversationList, Qt.Key.Key_F2)
    editor = panel.conversationList.findChild(QLineEdit)
    assert editor is not None and editor.text() == "Sourdough"
    editor.selectAll()
    qtbot.keyClicks(editor, "Bread starter")
    with qtbot.waitSignal(panel.conversation_renamed) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert blocker.args == [target, "Bread starter"]
    assert stored_titles(worker)[target] == "Bread starter"
    assert ("item", "Bread starter") in shown(panel)


def test_rename_a_search_result(
    qtbot: QtBot, panel: LibraryPanel, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    search(qtbot, panel, "acetone")
    panel.conversationList.setFocus()
    qtbot.keyClick(panel.conversationList, Qt.Key.Key_F2)
    editor = panel.conversationList.findChild(QLineEdit)
    assert editor is not None and editor.text() == "Sourdough"
    editor.selectAll()
    qtbot.keyClicks(editor, "Starter trouble")
    with qtbot.waitSignal(panel.conversation_renamed):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert stored_titles(worker)[convs["week"].id] == "Starter trouble"
    assert [r.text for r in panel.model.rows] == ["Starter trouble"]


def test_delete_key_then_undo(
    qtbot: QtBot, panel: LibraryPanel, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    target = convs["old"].id
    panel.select_conversation(target)
    panel.conversationList.setFocus()
    with qtbot.waitSignal(panel.conversation_deleted):
        qtbot.keyClick(panel.conversationList, Qt.Key.Key_Delete)
    assert target not in stored_titles(worker)
    assert ("item", "Tax return questions") not in shown(panel)
    # Its day header went with it.
    assert shown(panel)[-1] == ("item", "Sourdough")
    assert panel.undoBar.isVisible()
    assert "Tax return questions" in panel.undoBar.findChild(type(panel.statusLabel), "undoLabel").text()

    with qtbot.waitSignal(panel.conversation_restored), qtbot.waitSignal(panel.list_refreshed):
        qtbot.mouseClick(panel.undoButton, Qt.MouseButton.LeftButton)
    assert stored_titles(worker)[target] == "Tax return questions"
    assert ("item", "Tax return questions") in shown(panel)
    assert not panel.undoBar.isVisible()
    assert panel.current_conversation_id() == target


def test_the_undo_offer_ends_after_its_time(
    qtbot: QtBot, qloop: object, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    panel = make_panel(qtbot, worker, undo_seconds=0.05)
    with qtbot.waitSignal(panel.delete_finalized) as blocker:
        panel.delete_conversation(convs["old"].id)
    assert blocker.args == [convs["old"].id]
    assert not panel.undoBar.isVisible()
    assert panel.undo_delete() is None


def test_a_second_delete_ends_the_first_undo_offer(
    qtbot: QtBot, panel: LibraryPanel, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    finalized: list[str] = []
    panel.delete_finalized.connect(finalized.append)
    with qtbot.waitSignal(panel.conversation_deleted):
        panel.delete_conversation(convs["old"].id)
    with qtbot.waitSignal(panel.conversation_deleted):
        panel.delete_conversation(convs["week"].id)
    assert finalized == [convs["old"].id]
    with qtbot.waitSignal(panel.conversation_restored):
        panel.undo_delete()
    titles = stored_titles(worker)
    assert convs["week"].id in titles and convs["old"].id not in titles


def test_pin_and_unpin_from_the_context_menu(
    qtbot: QtBot, panel: LibraryPanel, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    target = convs["old"].id

    def trigger(text: str) -> None:
        menu = panel.context_menu(target)
        action = next(a for a in menu.actions() if a.text() == text)
        with qtbot.waitSignal(panel.list_refreshed):
            action.trigger()

    trigger("Pin to top")
    # Pinned ones are newest first too.
    assert shown(panel)[:3] == [
        ("header", "Pinned"),
        ("item", "Packing list"),
        ("item", "Tax return questions"),
    ]
    assert {s.id for s in worker.call(Store.list_conversations).result() if s.pinned} == {
        target,
        convs["pinned"].id,
    }
    trigger("Unpin")
    assert shown(panel)[:2] == [("header", "Pinned"), ("item", "Packing list")]
    assert shown(panel)[-1] == ("item", "Tax return questions")


def test_a_store_problem_is_told_and_the_list_reloaded(
    qtbot: QtBot, panel: LibraryPanel, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    gone = convs["week"].id
    worker.call(Store.delete_conversation, gone).result()
    worker.call(Store.purge_deleted).result()  # removed behind the panel's back
    with qtbot.waitSignal(panel.status_message) as blocker, qtbot.waitSignal(panel.list_refreshed):
        panel.rename_conversation(gone, "New name")
    assert blocker.args == [f"There is no conversation {gone}."]
    assert panel.statusLabel.isVisible()
    assert ("item", "Sourdough") not in shown(panel) and ("item", "New name") not in shown(panel)


def test_search_results_follow_a_delete(
    qtbot: QtBot, panel: LibraryPanel, convs: dict[str, Conversation]
) -> None:
    search(qtbot, panel, "tabby")
    panel.conversationList.setCurrentIndex(panel.model.index(0))
    with qtbot.waitSignal(panel.conversation_deleted):
        qtbot.keyClick(panel.conversationList, Qt.Key.Key_Delete)
    assert panel.model.rowCount() == 0 or all(r.kind == RowKind.HEADER for r in panel.model.rows)
    assert panel.model.index_of(convs["yesterday"].id) == QModelIndex()


def test_shutdown_waits_for_writes_and_drops_reads(
    qtbot: QtBot, panel: LibraryPanel, worker: StoreWorker, convs: dict[str, Conversation]
) -> None:
    panel.searchBox.setText("tabby")  # a search in flight
    refresh = panel.refresh()
    rename = panel.rename_conversation(convs["old"].id, "Taxes 2026")
    assert rename is not None
    closing = asyncio.ensure_future(panel.shutdown())
    qtbot.waitUntil(closing.done)
    closing.result()
    assert rename.done() and not rename.cancelled()
    assert refresh.done()
    assert stored_titles(worker)[convs["old"].id] == "Taxes 2026"
    assert panel._search_task is None or panel._search_task.done()


# -- export and import -----------------------------------------------------------------------


def test_export_one_conversation_as_markdown(
    qtbot: QtBot, qloop: object, worker: StoreWorker, tmp_path: Path
) -> None:
    conv = conversation("Photo talk", 0, "Look at this")
    conv.messages[0].parts.append(image_part(name="cat.png"))
    worker.call(Store.replace_conversation, conv).result()
    out = tmp_path / "out"
    asked: list[str] = []

    def choose_folder(_parent: object, caption: str) -> Path:
        asked.append(caption)
        return out

    panel = make_panel(qtbot, worker, choose_folder=choose_folder)
    with qtbot.waitSignal(panel.status_message) as blocker:
        next(a for a in panel.context_menu(conv.id).actions() if a.text() == "Export as Markdown…").trigger()
    assert asked and "Photo talk" in asked[0]
    [md] = list(out.glob("*.md"))
    assert "Look at this" in md.read_text(encoding="utf-8")
    assert len(list(out.glob("*_files/*.png"))) == 1
    assert str(md) in blocker.args[0]
    assert panel.statusLabel.text() == blocker.args[0]


def test_export_all_as_json_reports_the_count(qtbot: QtBot, panel: LibraryPanel, tmp_path: Path) -> None:
    out = tmp_path / "json-out"
    panel._choose_folder = lambda _parent, _caption: out
    with qtbot.waitSignal(panel.status_message) as blocker:
        panel.export_json_action.trigger()
    [file] = list(out.glob("*.json"))
    assert len(json.loads(file.read_text(encoding="utf-8"))["conversations"]) == 5
    assert blocker.args[0].startswith("Exported 5 conversations to ")


def test_cancelled_folder_choice_does_nothing(panel: LibraryPanel, convs: dict[str, Conversation]) -> None:
    panel._choose_folder = lambda _parent, _caption: None
    assert panel.export_all("md") is None
    assert panel.export_conversation(convs["old"].id, "json") is None


def test_import_chatgpt_export_and_refuse_a_malformed_file(
    qtbot: QtBot, qloop: object, worker: StoreWorker, convs: dict[str, Conversation], tmp_path: Path
) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('[{"title": "x", "mapping": ', encoding="utf-8")
    chosen = [[bad], [CHATGPT_SAMPLE]]
    panel = make_panel(qtbot, worker, choose_files=lambda _p, _c: chosen.pop(0))

    with qtbot.waitSignal(panel.status_message) as refused:
        panel.import_action.trigger()
    assert "broken.json is not valid JSON" in refused.args[0]
    assert len(stored_titles(worker)) == 5

    with (
        qtbot.waitSignal(panel.conversations_imported) as imported,
        qtbot.waitSignal(panel.status_message) as done,
    ):
        panel.import_action.trigger()
    count = imported.args[0]
    assert count >= 1
    assert done.args[0].startswith(f"Imported {count} conversation")
    assert ("item", "Sourdough starter help") in shown(panel)
    assert len(stored_titles(worker)) == 5 + count
