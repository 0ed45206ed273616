"""Context window, token usage and cost in the real window against the fake server."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from grokdesk.core.budget import MESSAGE_OVERHEAD_TOKENS, cost_usd, format_cost
from grokdesk.core.conversation import Usage
from grokdesk.ui.chat.tab import ConversationTab
from tests.helpers.fake_xai import CHAT, RESPONSES, TURNS, FakeXai
from tests.helpers.fake_xai_scripts import Reply, count_tokens
from tests.ui.conftest import MakeWindow
from tests.ui.test_conversation import click_action, current, send

TOKENIZE = "/v1/tokenize-text"
LONG_TEXT = " ".join(f"word{i}" for i in range(60))


def meter_settles(qtbot: QtBot, tab: ConversationTab) -> str:
    assert tab.context is not None
    tab.context.update_meter()
    qtbot.waitUntil(lambda: tab.context is not None and tab.context.last is not None, timeout=3000)
    return tab.meter.text()


def test_meter_counts_with_the_servers_tokenizer(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    tab = current(make_window())
    tab.controller.conversation.settings.add_datetime = False
    send(qtbot, tab, "Please count these words for me, all eight of them")
    guard = tab.context
    assert guard is not None
    guard.update_meter()
    qtbot.waitUntil(lambda: fake_xai.count(TOKENIZE) >= 2, timeout=3000)
    counter = guard.counter

    def settled() -> bool:
        idle = not counter._queue and (counter._task is None or counter._task.done())
        return idle and guard.update_meter().exact

    qtbot.waitUntil(settled, timeout=3000)
    question, answer = tab.controller.conversation.messages
    expected = sum(MESSAGE_OVERHEAD_TOKENS + count_tokens(m.plain_text) for m in (question, answer))
    assert guard.last is not None and guard.last.tokens == expected
    assert tab.meter.text() == f"{expected:,} / 131,072 tokens"
    # Counted once per text: asking again sends nothing more.
    before = fake_xai.count(TOKENIZE)
    guard.update_meter()
    qtbot.wait(20)
    assert fake_xai.count(TOKENIZE) == before


def test_meter_falls_back_to_a_marked_estimate(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    fake_xai.disabled_paths.add(TOKENIZE)
    tab = current(make_window())
    send(qtbot, tab, "An OpenAI-compatible server without a tokenizer endpoint")
    guard = tab.context
    assert guard is not None
    qtbot.waitUntil(lambda: fake_xai.any_request_to(TOKENIZE), timeout=3000)
    qtbot.waitUntil(lambda: guard.counter._offline, timeout=3000)
    guard.update_meter()
    assert "estimate" in tab.meter.text()
    tab.composer.setPlainText("a draft counts too")
    with_draft = guard.update_meter().tokens
    tab.composer.clear()
    assert with_draft > guard.update_meter().tokens


def _over_window_dialog(qtbot: QtBot, tab: ConversationTab) -> QMessageBox:
    qtbot.waitUntil(lambda: tab.findChild(QMessageBox, "contextDialog") is not None, timeout=3000)
    box = tab.findChild(QMessageBox, "contextDialog")
    assert box is not None
    return box


def _button(box: QMessageBox, name: str) -> QPushButton:
    button = box.findChild(QPushButton, name)
    assert button is not None, name
    return button


def _fill(qtbot: QtBot, fake_xai: FakeXai, tab: ConversationTab, turns: int) -> None:
    """`turns` questions and answers of about 60 words each."""
    tab.controller.conversation.settings.add_datetime = False
    for i in range(turns):
        fake_xai.script_next(Reply(text=f"answer {i} " + LONG_TEXT))
        send(qtbot, tab, f"question {i} " + LONG_TEXT)


def test_leaving_out_the_oldest_turns(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = current(window)
    _fill(qtbot, fake_xai, tab, 3)
    window.catalog.learn_limit("grok-3", 400)
    tab.composer.setPlainText("final question " + LONG_TEXT)
    sent_before = fake_xai.count(TURNS)
    tab.send()
    box = _over_window_dialog(qtbot, tab)
    assert "400" in box.text()
    assert fake_xai.count(TURNS) == sent_before  # never cut silently: nothing sent yet
    _button(box, "dropOldestButton").click()
    qtbot.waitUntil(lambda: fake_xai.count(TURNS) == sent_before + 1, timeout=3000)
    qtbot.waitUntil(lambda: not tab.controller.is_streaming)
    sent = fake_xai.requests_to(TURNS)[-1].messages
    assert sent[-1]["content"].startswith("final question")
    assert all(not m["content"].startswith("question 0") for m in sent)
    assert "left out of requests" in tab.transcript.plain_text()


def test_switching_to_a_larger_model(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = current(window)
    _fill(qtbot, fake_xai, tab, 1)
    window.catalog.learn_limit("grok-3", 100)
    tab.composer.setPlainText("next " + LONG_TEXT)
    tab.send()
    box = _over_window_dialog(qtbot, tab)
    switch = _button(box, "switchModelButton")
    assert "grok-" in switch.text()
    switch.click()
    qtbot.waitUntil(lambda: not tab.controller.is_streaming and fake_xai.count(TURNS) == 2, timeout=3000)
    last = fake_xai.requests_to(TURNS)[-1]
    assert last.json["model"] != "grok-3"
    assert len(last.messages) == 3  # nothing left out


def test_new_conversation_from_a_summary(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = current(window)
    _fill(qtbot, fake_xai, tab, 2)
    window.catalog.learn_limit("grok-3", 100)
    tab.composer.setPlainText("more " + LONG_TEXT)
    tab.send()
    box = _over_window_dialog(qtbot, tab)
    fake_xai.script_next(Reply(text="We talked about words and answers."))
    _button(box, "summaryButton").click()
    qtbot.waitUntil(lambda: window.tabs.count() == 2, timeout=5000)
    # Over the API the turns use: one whole answer, stored nowhere on the server.
    summary_request = fake_xai.requests_to(RESPONSES)[-1]
    assert (summary_request.json["stream"], summary_request.json["store"]) == (False, False)
    assert "question 1" in summary_request.messages[-1]["content"]
    assert not fake_xai.requests_to(CHAT)
    fresh = current(window)
    assert fresh is not tab
    first = fresh.controller.conversation.messages[0]
    assert first.role.value == "system" and "We talked about words and answers." in first.plain_text
    assert "We talked about words and answers." in fresh.transcript.plain_text()


def test_a_summary_from_a_server_without_the_responses_api(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window()
    tab = current(window)
    _fill(qtbot, fake_xai, tab, 2)
    fake_xai.disabled_paths.add(RESPONSES)
    fake_xai.script_next(Reply(text="A short summary."))
    assert tab.context is not None
    tab.context.start_summary()
    qtbot.waitUntil(lambda: window.tabs.count() == 2, timeout=5000)
    assert fake_xai.requests_to(CHAT)[-1].json["stream"] is False
    assert "A short summary." in current(window).transcript.plain_text()
    # Found out once, remembered: the next turn goes straight to Chat Completions.
    assert not window.connection.uses_responses()


def test_the_servers_limit_is_learned(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = current(window)
    fake_xai.prompt_limits["grok-3"] = 30
    send(qtbot, tab, LONG_TEXT)
    assert "maximum prompt length" in tab.transcript.plain_text() or "too long" in tab.transcript.plain_text()
    assert window.catalog.context_window("grok-3") == 30
    box = _over_window_dialog(qtbot, tab)
    assert "30" in box.text()


def test_usage_and_cost_of_a_reasoning_reply(
    qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai
) -> None:
    window = make_window(model="grok-3-mini")
    tab = current(window)
    fake_xai.script_next(Reply(text="The answer is four.", reasoning="Two plus two makes four, so."))
    send(qtbot, tab, "What is two plus two?")
    reply = tab.controller.conversation.messages[-1]
    usage = reply.usage
    assert usage is not None
    assert usage.reasoning_tokens == count_tokens("Two plus two makes four, so.")
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens + usage.reasoning_tokens
    click_action(tab, "usage", reply.id)
    info = window.catalog.info("grok-3-mini")
    assert info is not None
    cost = cost_usd(usage, info)
    assert cost is not None and cost > 0
    shown = tab.transcript.plain_text()
    assert f"{usage.reasoning_tokens:,} reasoning" in shown
    assert format_cost(cost) in shown
    assert tab.conversation_cost() == format_cost(cost)


def test_usage_view_totals(qtbot: QtBot, make_window: MakeWindow, fake_xai: FakeXai) -> None:
    window = make_window()
    tab = current(window)
    send(qtbot, tab, "one two three")
    send(qtbot, tab, "four five")
    usages = [m.usage for m in tab.controller.conversation.messages if m.usage is not None]
    assert len(usages) == 2
    dialog = window.open_usage()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=3000)
    total = sum(u.total_tokens for u in usages)
    assert f"Today: {total:,} tokens in 2 replies" in dialog.summary.text()
    assert dialog.table.item(0, 0).text() == "grok-3"
    info = window.catalog.info("grok-3")
    assert info is not None
    cost = sum(cost_usd(u, info) or 0 for u in usages)
    assert dialog.table.item(0, 6).text() == format_cost(cost)
    assert isinstance(usages[0], Usage)
    dialog.close()
    asyncio.get_event_loop()  # the dialog's load task finished before close


def test_a_new_count_moves_nothing_else_on_screen(qtbot: QtBot, make_window: MakeWindow) -> None:
    """The meter's text changes with every count; the library beside the tab and the
    transcript keep their widths (a wider count used to take room from the library and
    lay the whole transcript out again)."""
    window = make_window()
    window.resize(720, 560)  # a window with no room to spare
    qtbot.waitUntil(lambda: window.width() == 720)
    tab = current(window)
    library = window.library_dock.width()
    transcript = tab.transcript.viewport().width()
    meter_width = tab.meter.width()
    tab._show_meter("~1,234,567 / 2,000,000 tokens (estimate)", "tip")
    # Laid out again through posted layout requests, from the label up to the window.
    qtbot.waitUntil(lambda: tab.meter.width() > meter_width)
    for _ in range(5):
        QApplication.processEvents()
    assert (window.library_dock.width(), tab.transcript.viewport().width()) == (library, transcript)
    assert window.width() == 720
    # Too long for the room it has here: shown cut short (the label keeps the whole text).
    assert tab.meter.width() < tab.meter.sizeHint().width()
    assert tab.meter.shown_text().endswith("…")
    assert tab.meter.text() == "~1,234,567 / 2,000,000 tokens (estimate)"
