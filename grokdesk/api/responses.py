"""Reading `/v1/responses` streams and whole answers into the typed stream events.

Shapes as the real API sends them: a tool call may arrive complete in
`output_item.added`; X searches may come as `custom_tool_call` items named after
the sub-tool with JSON in `input`; web searches may carry an empty `action.query`;
the query may be in `arguments`, `input` or `action.query`; citations arrive as
`url_citation` annotations carrying only `url`, in a burst after the text and again
in the `.done` events; the final usage is in `response.completed`; a stream may or
may not end with `data: [DONE]`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from grokdesk.api.errors import StreamBroken, stream_error_from_event
from grokdesk.api.events import (
    ContentDelta,
    ImageMade,
    ProviderItem,
    ReasoningDelta,
    SourceCited,
    StreamEvent,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdate,
)
from grokdesk.core.conversation import Usage
from grokdesk.core.imagetool import image_from_item
from grokdesk.core.sources import Source as CitedSource
from grokdesk.core.sources import is_web_url
from grokdesk.core.tools import ToolCall, ToolKind, ToolStatus

_TOOL_TYPES = frozenset(
    {
        "web_search_call",
        "x_search_call",
        "custom_tool_call",
        "code_interpreter_call",
        "code_execution_call",
        "file_search_call",
        "mcp_call",
        "image_generation_call",
        "view_image_call",
        "view_x_video_call",
    }
)
_WEB_NAMES = frozenset({"web_search", "web_search_with_snippets", "browse_page"})
_CODE_NAMES = frozenset({"code_execution", "code_interpreter"})
_TERMINAL = frozenset({"response.completed", "response.done", "response.incomplete"})
_INCOMPLETE_REASONS = {"max_output_tokens": "length", "max_prompt_tokens": "length"}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _json_object(text: object) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        return _mapping(json.loads(text))
    except ValueError:
        return {}


def tool_kind(item_type: str, name: str) -> ToolKind:
    if item_type == "web_search_call" or name in _WEB_NAMES:
        return ToolKind.WEB
    if item_type in ("x_search_call", "view_x_video_call") or name.startswith("x_") or name == "view_x_video":
        return ToolKind.X
    if item_type in ("code_interpreter_call", "code_execution_call") or name in _CODE_NAMES:
        return ToolKind.CODE
    return ToolKind.OTHER


def _query(args: Mapping[str, Any], action: Mapping[str, Any]) -> str:
    for value in (args.get("query"), action.get("query"), args.get("url"), action.get("url")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    queries = args.get("queries") or action.get("queries")
    if isinstance(queries, list):
        return "; ".join(q for q in queries if isinstance(q, str) and q.strip())
    video = args.get("video_url")
    return video if isinstance(video, str) else ""


def _outputs(item: Mapping[str, Any]) -> str:
    outputs = item.get("outputs")
    if isinstance(outputs, list):
        logs = [_str(_mapping(o).get("logs")) for o in outputs]
        return "\n".join(log for log in logs if log)
    output = item.get("output")
    return output if isinstance(output, str) else ""


def call_from_item(item: Mapping[str, Any], previous: ToolCall | None = None) -> ToolCall:
    """A ToolCall from an output item, keeping what an earlier event already said."""
    item_type = _str(item.get("type"))
    name = _str(item.get("name")) or (previous.name if previous else "")
    args = {**_json_object(item.get("arguments")), **_json_object(item.get("input"))}
    action = _mapping(item.get("action"))
    code = _str(args.get("code")) or _str(item.get("code"))
    status = _str(item.get("status"))
    return ToolCall(
        id=_str(item.get("id")) or _str(item.get("call_id")),
        kind=tool_kind(item_type, name),
        name=name,
        query=_query(args, action) or (previous.query if previous else ""),
        code=code or (previous.code if previous else ""),
        output=_outputs(item) or (previous.output if previous else ""),
        status=ToolStatus.FAILED if status in ("failed", "incomplete") else ToolStatus.RUNNING,
    )


def parse_responses_usage(value: object, calls: list[ToolCall] | None = None) -> Usage | None:
    """A Usage from a Responses `usage` object; tool counts from the calls seen when not reported.

    `output_tokens` includes reasoning there; Usage keeps them apart as Chat Completions does.
    """
    if not isinstance(value, Mapping):
        return None
    input_details = _mapping(value.get("input_tokens_details"))
    output_details = _mapping(value.get("output_tokens_details"))
    tools = _mapping(value.get("server_side_tool_usage_details"))
    output = _int(value.get("output_tokens"))
    reasoning = _int(output_details.get("reasoning_tokens"))
    seen = calls or []

    def count(kind: ToolKind, *names: str) -> int:
        if any(n in tools for n in names):
            return sum(_int(tools.get(n)) for n in names)
        return sum(1 for c in seen if c.kind is kind and c.status is not ToolStatus.FAILED)

    return Usage(
        prompt_tokens=_int(value.get("input_tokens")),
        completion_tokens=max(0, output - reasoning),
        reasoning_tokens=reasoning,
        cached_tokens=_int(input_details.get("cached_tokens")),
        image_tokens=_int(input_details.get("image_tokens")),
        total_tokens=_int(value.get("total_tokens")),
        cost_in_usd_ticks=_int(value.get("cost_in_usd_ticks")),
        web_search_calls=count(ToolKind.WEB, "web_search_calls"),
        x_search_calls=count(ToolKind.X, "x_search_calls"),
        code_calls=count(ToolKind.CODE, "code_interpreter_calls", "code_execution_calls"),
    )


class ResponsesReader:
    """Turns Responses stream events (or a whole response) into stream events."""

    def __init__(self, api_key: str | None = None) -> None:
        self._api_key = api_key
        self._calls: dict[str, ToolCall] = {}
        self._finished_calls: set[str] = set()
        self._cited: set[str] = set()
        self._texted: set[str] = set()  # message items whose text came as deltas
        self._reasoned: set[str] = set()  # reasoning items whose text came as deltas
        self._kept: set[str] = set()  # provider items already handed out
        self._images: set[str] = set()  # image_generation_call items whose image went out
        self._usage: Usage | None = None
        self._reasoning_parts = 0
        self.finish_reason: str | None = None
        self.complete = False

    @property
    def calls(self) -> list[ToolCall]:
        return list(self._calls.values())

    # -- events -------------------------------------------------------------------------

    def read(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            # Nearly every event of a reply: answered before any other check.
            delta = event.get("delta")
            item_id = event.get("item_id")
            self._texted.add(item_id if isinstance(item_id, str) else "")
            return [ContentDelta(delta)] if isinstance(delta, str) and delta else []
        kind = _str(kind)
        # An `error` event, or a bare error object as Chat Completions streams send them.
        if kind == "error" or (not kind and "error" in event):
            raise stream_error_from_event(event, api_key=self._api_key)
        if kind == "response.failed":
            error = _mapping(_mapping(event.get("response")).get("error"))
            raise stream_error_from_event(error or {"error": "The response failed."}, api_key=self._api_key)
        if kind in _TERMINAL:
            return self._terminal(kind, _mapping(event.get("response")))
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            delta = _str(event.get("delta"))
            self._reasoned.add(_str(event.get("item_id")))
            return [ReasoningDelta(delta)] if delta else []
        if kind == "response.reasoning_summary_part.added":
            # Summary parts are paragraphs of one text.
            self._reasoning_parts += 1
            return [ReasoningDelta("\n\n")] if self._reasoning_parts > 1 else []
        if kind == "response.output_text.annotation.added":
            return self._cite(event.get("annotation"))
        if kind in ("response.output_text.done", "response.content_part.done"):
            part = _mapping(event.get("part")) if kind == "response.content_part.done" else event
            return self._cite_all(part.get("annotations"))
        if kind in ("response.output_item.added", "response.output_item.done"):
            return self._item(_mapping(event.get("item")), done=kind.endswith(".done"))
        if kind in ("response.custom_tool_call_input.done", "response.code_interpreter_call_code.done"):
            return self._call_detail(event)
        return []

    def _terminal(self, kind: str, response: Mapping[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        # Whatever the stream left out (a server that sends only the final event);
        # text already streamed under another item id is not repeated.
        output = response.get("output")
        for entry in output if isinstance(output, list) else []:
            item = _mapping(entry)
            if item.get("type") == "message" and self._texted:
                self._texted.add(_str(item.get("id")))
            events += self._item(item, done=True)
        usage = parse_responses_usage(response.get("usage"), self.calls)
        if usage is not None and usage != self._usage:
            self._usage = usage
            events.append(UsageUpdate(usage))
        self.complete = True
        if kind == "response.incomplete" or response.get("status") == "incomplete":
            reason = _str(_mapping(response.get("incomplete_details")).get("reason"))
            self.finish_reason = _INCOMPLETE_REASONS.get(reason, reason or "incomplete")
        else:
            self.finish_reason = "stop"
        return events

    def _item(self, item: Mapping[str, Any], *, done: bool) -> list[StreamEvent]:
        item_type = _str(item.get("type"))
        item_id = _str(item.get("id"))
        if item_type in _TOOL_TYPES:
            found = self._tool_item(item, done=done)
            image = image_from_item(item) if done and item_id not in self._images else None
            if image is not None:
                # The item is repeated in response.completed: the image goes out once.
                self._images.add(item_id)
                found.append(ImageMade(image))
            return found
        if item_type == "message" and done:
            events: list[StreamEvent] = []
            content = item.get("content")
            for entry in content if isinstance(content, list) else []:
                part = _mapping(entry)
                if item_id not in self._texted and _str(part.get("text")):
                    events.append(ContentDelta(part["text"]))
                events += self._cite_all(part.get("annotations"))
            self._texted.add(item_id)
            return events
        if item_type == "reasoning" and done:
            return self._reasoning_item(item, item_id)
        return []

    def _reasoning_item(self, item: Mapping[str, Any], item_id: str) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if item_id not in self._reasoned:
            self._reasoned.add(item_id)
            texts = [_str(_mapping(p).get("text")) for p in _list(item.get("summary"))]
            texts = [t for t in texts if t] or [
                _str(_mapping(p).get("text")) for p in _list(item.get("content"))
            ]
            text = "\n\n".join(t for t in texts if t)
            if text:
                events.append(ReasoningDelta(text))
        if _str(item.get("encrypted_content")) and item_id not in self._kept:
            self._kept.add(item_id)
            # Sent back as it came, minus the status the API does not take in input.
            kept = {k: v for k, v in item.items() if k != "status"}
            events.append(ProviderItem(kept))
        return events

    def _tool_item(self, item: Mapping[str, Any], *, done: bool) -> list[StreamEvent]:
        call = call_from_item(item, self._calls.get(_str(item.get("id"))))
        if not call.id or call.id in self._finished_calls:
            return []
        known = call.id in self._calls
        events: list[StreamEvent] = []
        if not done:
            self._calls[call.id] = call
            return [ToolCallStarted(call)]
        if not known:
            events.append(ToolCallStarted(call))
        if call.status is ToolStatus.RUNNING:
            call = _with_status(call, ToolStatus.COMPLETED)
        self._calls[call.id] = call
        self._finished_calls.add(call.id)
        events.append(ToolCallFinished(call))
        return events

    def _call_detail(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        item_id = _str(event.get("item_id"))
        previous = self._calls.get(item_id)
        if previous is None or item_id in self._finished_calls:
            return []
        if _str(event.get("type")) == "response.code_interpreter_call_code.done":
            call = _replace(previous, code=_str(event.get("code")) or previous.code)
        else:
            args = _json_object(event.get("input"))
            call = _replace(previous, query=_query(args, {}) or previous.query)
        if call == previous:
            return []
        self._calls[item_id] = call
        return [ToolCallStarted(call)]

    def _cite(self, annotation: object) -> list[StreamEvent]:
        data = _mapping(annotation)
        url = _str(data.get("url"))
        if data.get("type") != "url_citation" or not is_web_url(url) or url in self._cited:
            return []
        self._cited.add(url)
        # `title` is the citation's number label, not a page title: not kept as one.
        return [SourceCited(CitedSource(url))]

    def _cite_all(self, annotations: object) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for annotation in _list(annotations):
            events += self._cite(annotation)
        return events

    # -- a whole (non-streamed) answer --------------------------------------------------

    def read_whole(self, body: Mapping[str, Any]) -> list[StreamEvent]:
        """The events of a complete response object (a server that ignored `stream`)."""
        if body.get("error") and not body.get("output"):
            raise stream_error_from_event(body, api_key=self._api_key)
        status = _str(body.get("status"))
        if status == "failed":
            error = _mapping(body.get("error"))
            raise stream_error_from_event(error or {"error": "The response failed."}, api_key=self._api_key)
        if not isinstance(body.get("output"), list):
            raise StreamBroken("The server's answer could not be read. Check the server address in Settings.")
        kind = "response.incomplete" if status == "incomplete" else "response.completed"
        return self._terminal(kind, body)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _with_status(call: ToolCall, status: ToolStatus) -> ToolCall:
    return _replace(call, status=status)


def _replace(call: ToolCall, **changes: Any) -> ToolCall:
    return dataclasses.replace(call, **changes)
