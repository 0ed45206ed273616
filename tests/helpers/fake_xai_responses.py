"""What the fake xAI server says on `/v1/responses`: the parameter rules of the real API
(400 for penalties, `stop`, unknown `include` values, refused web search fields, too
many domains or handles), the stream events in the order the recorded streams show,
whole responses, and the recorded streams in tests/data/responses/.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

from tests.helpers.fake_xai_scripts import INVALID, Reply, split_tokens

RECORDED = Path(__file__).resolve().parent.parent / "data" / "responses"
KNOWN_INCLUDES = frozenset(
    {
        "reasoning.encrypted_content",
        "no_inline_citations",
        "web_search_call.action.sources",
        "code_interpreter_call.outputs",
        "file_search_call.results",
    }
)
_REJECTED_WEB_FIELDS = ("search_context_size", "user_location", "external_web_access")
MAX_DOMAINS = 5
MAX_HANDLES = 20
STREAM_ERROR_EVENT = {
    "type": "error",
    "code": None,
    "message": "Service temporarily unavailable. The model did not respond to this request.",
    "param": None,
}


def recorded_events(name: str) -> list[dict[str, Any]]:
    """A recorded stream (one JSON event per line) from tests/data/responses/."""
    lines = (RECORDED / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def recorded_response(name: str) -> dict[str, Any]:
    data = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def invalid(message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"code": INVALID, "error": message}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def check_parameters(body: dict[str, Any], model: str) -> tuple[int, dict[str, Any]] | None:
    """The 400s the real server gives for parameters the Responses API refuses."""
    for name in ("presence_penalty", "frequency_penalty", "stop"):
        if body.get(name) is not None:
            return invalid(f"Model {model} does not support parameter {_camel(name)}")
    include = body.get("include")
    if include is not None and (
        not isinstance(include, list) or any(value not in KNOWN_INCLUDES for value in include)
    ):
        return invalid("Argument not supported: include")
    tools = body.get("tools", [])
    if not isinstance(tools, list) or len(tools) > 128:
        return invalid("Invalid tools: at most 128 tools are allowed.")
    for tool in tools:
        problem = _check_tool(tool if isinstance(tool, dict) else {})
        if problem is not None:
            return invalid(problem)
    return None


def _check_tool(tool: dict[str, Any]) -> str | None:
    kind = tool.get("type")
    filters = tool.get("filters") if isinstance(tool.get("filters"), dict) else {}
    if kind == "web_search":
        for name in _REJECTED_WEB_FIELDS:
            if name in tool:
                return f"Argument not supported: {name}"
        allowed = tool.get("allowed_domains") or filters.get("allowed_domains") or []
        excluded = tool.get("excluded_domains") or filters.get("excluded_domains") or []
        if allowed and excluded:
            return "allowed_domains and excluded_domains cannot be set at the same time."
        for label, domains in (("allowed", allowed), ("excluded", excluded)):
            if len(domains) > MAX_DOMAINS:
                return f"A maximum of {MAX_DOMAINS} domains can be {label}, but {len(domains)} were provided."
        return None
    if kind == "x_search":
        allowed = tool.get("allowed_x_handles") or []
        excluded = tool.get("excluded_x_handles") or []
        if allowed and excluded:
            return "allowed_x_handles and excluded_x_handles cannot be set at the same time."
        if max(len(allowed), len(excluded)) > MAX_HANDLES:
            return f"A maximum of {MAX_HANDLES} X handles can be provided."
        return None
    if kind in ("code_interpreter", "code_execution"):
        return "Argument not supported: container" if "container" in tool else None
    if kind in ("function", "mcp", "file_search", "image_generation", "view_image", "view_x_video"):
        return None
    return f"Unknown tool type: {kind}"


def chat_messages(items: object) -> list[dict[str, Any]]:
    """`input` items as chat-completion messages, so tests can read what was sent either way."""
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    messages: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or "role" not in item or item.get("type", "message") != "message":
            continue
        content = item.get("content")
        if isinstance(content, list):
            content = [_chat_part(p) for p in content if isinstance(p, dict)]
        messages.append({"role": item["role"], "content": content})
    return messages


def _chat_part(part: dict[str, Any]) -> dict[str, Any]:
    if part.get("type") in ("input_text", "output_text"):
        return {"type": "text", "text": part.get("text")}
    if part.get("type") == "input_image":
        image: dict[str, Any] = {"url": part.get("image_url")}
        if "detail" in part:
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    return part


# -- building streams --------------------------------------------------------------------


def response_object(model: str, body: dict[str, Any], status: str = "in_progress") -> dict[str, Any]:
    return {
        "created_at": int(time.time()),
        "id": f"{uuid.uuid4()}_us-east-1",
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "object": "response",
        "output": [],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": (body.get("reasoning") or {}).get("effort"), "summary": None},
        "temperature": body.get("temperature"),
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": body.get("tools", []),
        "top_p": None,
        "user": None,
        "incomplete_details": None,
        "status": status,
        "store": body.get("store", True),
        "metadata": {},
    }


def responses_usage(prompt: int, output: int, reasoning: int, tool_calls: dict[str, int]) -> dict[str, Any]:
    tools = sum(tool_calls.values())
    # A made-up but plausible price: 2 $/M in, 6 $/M out, 5 $ per 1,000 tool calls.
    ticks = prompt * 20_000 + (output + reasoning) * 60_000 + tools * 50_000_000
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output + reasoning,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": prompt + output + reasoning,
        "num_sources_used": 0,
        "num_server_side_tools_used": tools,
        "cost_in_usd_ticks": ticks,
        "server_side_tool_usage_details": {
            "web_search_calls": tool_calls.get("web_search_calls", 0),
            "x_search_calls": tool_calls.get("x_search_calls", 0),
            "code_interpreter_calls": tool_calls.get("code_interpreter_calls", 0),
            "file_search_calls": 0,
            "mcp_calls": 0,
            "document_search_calls": 0,
        },
    }


class _Events:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, **fields: Any) -> None:
        self.events.append({"sequence_number": len(self.events), "type": kind, **fields})


def reply_events(  # noqa: PLR0917
    reply: Reply,
    model: str,
    body: dict[str, Any],
    text: str,
    reasoning: str,
    prompt_tokens: int,
) -> list[dict[str, Any]]:
    """A plain reply (reasoning summary, then the answer) in the order of the recorded reasoning stream."""
    response = response_object(model, body)
    out = _Events()
    out.add("response.created", response=response)
    out.add("response.in_progress", response=response)
    output: list[dict[str, Any]] = []
    if reasoning:
        output.append(_reasoning_item(out, len(output), reasoning, body))
    output.append(_message_item(out, len(output), text, []))
    if reply.finish_reason is None:
        return out.events  # ends without a terminal event
    usage = responses_usage(prompt_tokens, len(split_tokens(text)), len(split_tokens(reasoning)), {})
    if reply.finish_reason == "length":
        final = {
            **response,
            "output": output,
            "usage": usage,
            "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
        }
        out.add("response.incomplete", response=final)
    else:
        out.add(
            "response.completed",
            response={**response, "output": output, "usage": usage, "status": "completed"},
        )
    return out.events


def _reasoning_item(out: _Events, index: int, reasoning: str, body: dict[str, Any]) -> dict[str, Any]:
    item_id = f"rs_{uuid.uuid4()}"
    out.add(
        "response.output_item.added",
        item={"id": item_id, "summary": [], "type": "reasoning", "status": "in_progress"},
        output_index=index,
    )
    where = {"item_id": item_id, "output_index": index, "summary_index": 0}
    out.add("response.reasoning_summary_part.added", part={"text": "", "type": "summary_text"}, **where)
    for token in split_tokens(reasoning):
        out.add("response.reasoning_summary_text.delta", delta=token, **where)
    out.add("response.reasoning_summary_text.done", text=reasoning, **where)
    out.add("response.reasoning_summary_part.done", part={"text": reasoning, "type": "summary_text"}, **where)
    item: dict[str, Any] = {
        "id": item_id,
        "summary": [{"text": reasoning, "type": "summary_text"}],
        "type": "reasoning",
        "status": "completed",
    }
    if "reasoning.encrypted_content" in (body.get("include") or []):
        item["encrypted_content"] = base64.b64encode(f"sealed:{reasoning}".encode()).decode()
    out.add("response.output_item.done", item=item, output_index=index)
    return item


def _message_item(
    out: _Events, index: int, text: str, annotations: list[dict[str, Any]], item_id: str = ""
) -> dict[str, Any]:
    item_id = item_id or f"msg_{uuid.uuid4()}"
    out.add(
        "response.output_item.added",
        item={"content": [], "id": item_id, "role": "assistant", "type": "message", "status": "in_progress"},
        output_index=index,
    )
    where = {"content_index": 0, "item_id": item_id, "output_index": index}
    out.add(
        "response.content_part.added",
        part={"type": "output_text", "text": "", "logprobs": [], "annotations": []},
        **where,
    )
    for token in split_tokens(text):
        out.add("response.output_text.delta", delta=token, logprobs=[], **where)
    for n, annotation in enumerate(annotations):
        out.add("response.output_text.annotation.added", annotation=annotation, annotation_index=n, **where)
    part = {"type": "output_text", "text": text, "logprobs": [], "annotations": annotations}
    out.add("response.output_text.done", text=text, **where)
    out.add("response.content_part.done", part=part, **where)
    item = {"content": [part], "id": item_id, "role": "assistant", "type": "message", "status": "completed"}
    out.add("response.output_item.done", item=item, output_index=index)
    return item


def stream_of(response: dict[str, Any]) -> list[dict[str, Any]]:
    """A recorded whole response played as a stream, in the event order of the recorded
    streams: each tool item added (custom tool input streamed, web searches with their
    progress events) and done, then the message text, its annotations, and the final usage."""
    start = {**response, "output": [], "status": "in_progress"}
    start.pop("usage", None)
    out = _Events()
    out.add("response.created", response=start)
    out.add("response.in_progress", response=start)
    for index, item in enumerate(response.get("output", [])):
        if item.get("type") == "message":
            part = item["content"][0]
            _message_item(out, index, part["text"], part.get("annotations", []), item["id"])
            continue
        running = {**item, "status": "in_progress"}
        if item.get("type") == "custom_tool_call":
            running["input"] = ""
        out.add("response.output_item.added", item=running, output_index=index)
        where = {"item_id": item["id"], "output_index": index}
        if item.get("type") == "custom_tool_call":
            out.add("response.custom_tool_call_input.delta", delta=item.get("input", ""), **where)
            out.add("response.custom_tool_call_input.done", input=item.get("input", ""), **where)
        elif item.get("type") in ("web_search_call", "x_search_call"):
            prefix = "response." + item["type"]
            out.add(prefix + ".in_progress", **where)
            out.add(prefix + ".searching", **where)
            out.add(prefix + ".completed", **where)
        out.add("response.output_item.done", item=item, output_index=index)
    out.add("response.completed", response=response)
    return out.events
