"""Writes responses-x-search-parallel.chunks.jsonl: an X search stream in the event order
of xAI's recorded December 2025 X search stream (X sub-tools as `custom_tool_call`
items with their JSON streamed in `input`, then web searches running in parallel with
an empty `action.query`), carrying the answer and the twenty X post citations of the
recorded non-streamed X search response (responses-x-search.json). Run it from the
repository root: `python -m tests.data.responses.make_x_search_stream`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def build() -> list[dict[str, Any]]:
    whole = json.loads((HERE / "responses-x-search.json").read_text(encoding="utf-8"))
    rid = "b7b4f2c1-6f0e-4f5b-9d36-2a1c0f5e8d11"
    start = {
        **{k: v for k, v in whole.items() if k != "usage"},
        "id": rid,
        "output": [],
        "status": "in_progress",
    }
    events: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        events.append({"sequence_number": len(events), "type": kind, **fields})

    add("response.created", response=start)
    add("response.in_progress", response=start)
    output: list[dict[str, Any]] = []
    customs = [
        (
            "xs_call_24148162",
            "x_keyword_search",
            {"query": "from:xai filter:media", "limit": 20, "mode": "Latest"},
        ),
        ("xs_call_31877520", "x_semantic_search", json.loads(whole["output"][0]["arguments"])),
    ]
    for index, (call_id, name, args) in enumerate(customs):
        item_id = f"ctc_{rid}_{call_id}"
        text = json.dumps(args, separators=(",", ":"))
        item = {"call_id": call_id, "input": "", "name": name, "type": "custom_tool_call", "id": item_id}
        add("response.output_item.added", item={**item, "status": "in_progress"}, output_index=index)
        add("response.custom_tool_call_input.delta", delta=text, item_id=item_id, output_index=index)
        add("response.custom_tool_call_input.done", input=text, item_id=item_id, output_index=index)
        done = {**item, "input": text, "status": "completed"}
        add("response.output_item.done", item=done, output_index=index)
        output.append(done)
    searches = [(2, f"ws_{rid}_call_55360208"), (3, f"ws_{rid}_call_09546004")]
    action = {"type": "search", "query": "", "sources": []}
    for index, item_id in searches:
        item = {"id": item_id, "type": "web_search_call", "status": "in_progress", "action": action}
        add("response.output_item.added", item=item, output_index=index)
        add("response.web_search_call.in_progress", item_id=item_id, output_index=index)
    for index, item_id in searches:
        add("response.web_search_call.searching", item_id=item_id, output_index=index)
    for index, item_id in searches:
        add("response.web_search_call.completed", item_id=item_id, output_index=index)
        done = {"id": item_id, "type": "web_search_call", "status": "completed", "action": action}
        add("response.output_item.done", item=done, output_index=index)
        output.append(done)
    message = whole["output"][1]
    part = message["content"][0]
    msg_id = f"msg_{rid}"
    where = {"content_index": 0, "item_id": msg_id, "output_index": 4}
    add(
        "response.output_item.added",
        item={"content": [], "id": msg_id, "role": "assistant", "type": "message", "status": "in_progress"},
        output_index=4,
    )
    add(
        "response.content_part.added",
        part={"type": "output_text", "text": "", "logprobs": [], "annotations": []},
        **where,
    )
    text = part["text"]
    for start_at in range(0, len(text), 12):
        add("response.output_text.delta", delta=text[start_at : start_at + 12], logprobs=[], **where)
    for n, annotation in enumerate(part["annotations"]):
        add("response.output_text.annotation.added", annotation=annotation, annotation_index=n, **where)
    add("response.output_text.done", text=text, **where)
    add("response.content_part.done", part=part, **where)
    finished = {**message, "id": msg_id}
    add("response.output_item.done", item=finished, output_index=4)
    output.append(finished)
    usage = {
        **whole["usage"],
        "num_server_side_tools_used": 4,
        "cost_in_usd_ticks": 437_713_500,
        "server_side_tool_usage_details": {
            "web_search_calls": 2,
            "x_search_calls": 2,
            "code_interpreter_calls": 0,
            "file_search_calls": 0,
            "mcp_calls": 0,
            "document_search_calls": 0,
        },
    }
    add("response.completed", response={**start, "output": output, "usage": usage, "status": "completed"})
    return events


if __name__ == "__main__":
    lines = [json.dumps(e, ensure_ascii=False) for e in build()]
    (HERE / "responses-x-search-parallel.chunks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
