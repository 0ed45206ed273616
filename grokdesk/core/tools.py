"""Server-side tools (live web search, X search, code execution): settings, checks and records.

A conversation turns each tool on or off and may narrow the searches with filters.
The API refuses some filter values outright (more than five domains, allowed and
excluded lists together, a malformed date), so `filter_problems` finds them before
anything is sent and says why, and `tools_array` builds the request's `tools`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The API takes at most five web domains in one list.
MAX_DOMAINS = 5
# The published cap on X handles was 10, raised to 20 in 2026; 10 is safe on every server.
MAX_X_HANDLES = 10

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")


class ToolKind(StrEnum):
    WEB = "web"
    X = "x"
    CODE = "code"
    OTHER = "other"


class ToolStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One server-side tool call of a reply, as far as it is known."""

    id: str
    kind: ToolKind
    name: str = ""
    query: str = ""
    code: str = ""
    output: str = ""
    status: ToolStatus = ToolStatus.RUNNING

    def to_json(self) -> dict[str, str]:
        data = {"id": self.id, "kind": str(self.kind), "status": str(self.status)}
        for key in ("name", "query", "code", "output"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data

    @classmethod
    def from_json(cls, data: object) -> ToolCall | None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        kind = _text(data.get("kind"))
        status = _text(data.get("status"))
        return cls(
            id=data["id"],
            kind=ToolKind(kind) if kind in ToolKind.__members__.values() else ToolKind.OTHER,
            name=_text(data.get("name")),
            query=_text(data.get("query")),
            code=_text(data.get("code")),
            output=_text(data.get("output")),
            status=ToolStatus(status) if status in ToolStatus.__members__.values() else ToolStatus.COMPLETED,
        )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def describe_call(call: ToolCall) -> str:
    """What the call is doing, in words: "Searching the web: what is xAI"."""
    running = call.status is ToolStatus.RUNNING
    if call.kind is ToolKind.WEB:
        verb = "Searching the web" if running else "Searched the web"
    elif call.kind is ToolKind.X:
        verb = "Searching X" if running else "Searched X"
    elif call.kind is ToolKind.CODE:
        return "Running code" if running else "Ran code"
    else:
        verb = f"Using {call.name or 'a tool'}" if running else f"Used {call.name or 'a tool'}"
    if call.status is ToolStatus.FAILED:
        verb += " (failed)"
    return f"{verb}: {call.query}" if call.query else verb


@dataclass(slots=True)
class SearchFilters:
    """Narrowing of the live searches; empty lists and dates mean "no filter"."""

    allowed_domains: list[str] = field(default_factory=list)
    excluded_domains: list[str] = field(default_factory=list)
    allowed_x_handles: list[str] = field(default_factory=list)
    excluded_x_handles: list[str] = field(default_factory=list)
    from_date: str = ""  # YYYY-MM-DD, both ends included
    to_date: str = ""


def normalize_domain(text: str) -> str:
    """ "https://www.Example.com/path" -> "www.example.com"; the API wants bare host names."""
    value = text.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    return value.split("/", 1)[0].split(":", 1)[0].strip(".")


def normalize_handle(text: str) -> str:
    return text.strip().removeprefix("@")


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _list_problems(
    allowed: Sequence[str],
    excluded: Sequence[str],
    *,
    tool: str,
    things: str,
    limit: int,
    pattern: re.Pattern[str],
    not_a: str,
) -> list[str]:
    """The same rules for web domains and X handles: allow or exclude (not both), at most
    `limit` of each, every entry well formed."""
    problems: list[str] = []
    if allowed and excluded:
        problems.append(f"{tool} can either allow or exclude {things.rsplit(maxsplit=1)[-1]}, not both.")
    for label, entries in (("allowed", allowed), ("excluded", excluded)):
        if len(entries) > limit:
            problems.append(f"At most {limit} {label} {things}; {len(entries)} were given.")
        bad = [e for e in entries if not pattern.match(e)]
        if bad:
            problems.append(f"{not_a}: {', '.join(bad)}.")
    return problems


def filter_problems(filters: SearchFilters) -> list[str]:
    """Why the API would refuse these filters, one sentence each; empty when they are fine."""
    problems = [
        *_list_problems(
            filters.allowed_domains,
            filters.excluded_domains,
            tool="Web search",
            things="domains",
            limit=MAX_DOMAINS,
            pattern=_DOMAIN,
            not_a="Not a domain name",
        ),
        *_list_problems(
            filters.allowed_x_handles,
            filters.excluded_x_handles,
            tool="X search",
            things="X handles",
            limit=MAX_X_HANDLES,
            pattern=_HANDLE,
            not_a="Not an X handle",
        ),
    ]
    start = _date(filters.from_date) if filters.from_date else None
    end = _date(filters.to_date) if filters.to_date else None
    if filters.from_date and start is None:
        problems.append(f"“{filters.from_date}” is not a date like 2026-01-31.")
    if filters.to_date and end is None:
        problems.append(f"“{filters.to_date}” is not a date like 2026-01-31.")
    if start and end and start > end:
        problems.append("The X search start date is after its end date.")
    return problems


def tools_array(
    *, web: bool, x: bool, code: bool, filters: SearchFilters | None = None
) -> list[dict[str, Any]]:
    """The request's `tools`: only the filters that are set (the API refuses unknown fields)."""
    f = filters or SearchFilters()
    tools: list[dict[str, Any]] = []
    if web:
        tool: dict[str, Any] = {"type": "web_search"}
        if f.allowed_domains:
            tool["allowed_domains"] = list(f.allowed_domains)
        elif f.excluded_domains:
            tool["excluded_domains"] = list(f.excluded_domains)
        tools.append(tool)
    if x:
        tool = {"type": "x_search"}
        if f.allowed_x_handles:
            tool["allowed_x_handles"] = list(f.allowed_x_handles)
        elif f.excluded_x_handles:
            tool["excluded_x_handles"] = list(f.excluded_x_handles)
        if f.from_date:
            tool["from_date"] = f.from_date
        if f.to_date:
            tool["to_date"] = f.to_date
        tools.append(tool)
    if code:
        tools.append({"type": "code_interpreter"})
    return tools
