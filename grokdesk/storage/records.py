"""Plain records the store returns besides the domain types: list rows, search hits, the session, usage."""

from __future__ import annotations

from dataclasses import dataclass, field

from grokdesk.core.conversation import ConversationSettings, ImagePart, Role, Usage

# FTS5 snippet() wraps each match in these; the UI turns them into highlighting.
MATCH_START = "\x02"
MATCH_END = "\x03"


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One row of the library list."""

    id: str
    title: str
    model: str
    created_at: float
    updated_at: float
    pinned: bool
    message_count: int
    deleted_at: float | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A match in a title (`message_id` None) or in one message's text.

    `snippet` is a short excerpt with every match wrapped in MATCH_START/MATCH_END.
    """

    conversation_id: str
    message_id: str | None
    title: str
    snippet: str
    updated_at: float


@dataclass(frozen=True, slots=True)
class DraftPaste:
    """A long paste kept aside as a "Pasted text" chip of a draft. `key` stays the same
    while the chip exists, so the text is written once, not at every save of the session."""

    key: str
    text: str = field(repr=False)


@dataclass(slots=True)
class TabState:
    """One open tab: what it shows and what the user had typed but not sent."""

    conversation_id: str | None
    model: str = ""
    draft_text: str = ""
    # Stored with their bytes; their `detail` choice is kept.
    draft_attachments: list[ImagePart] = field(default_factory=list)
    # For a tab whose conversation has no stored row yet; otherwise the conversation's own settings rule.
    settings: ConversationSettings | None = None
    # Long pastes shown as chips, in the order they were pasted.
    draft_pastes: list[DraftPaste] = field(default_factory=list)
    # The role the draft will be sent as (a System note written but not sent stays one).
    draft_role: Role = Role.USER


@dataclass(slots=True)
class SessionState:
    """The open tabs in order and which one is active, restored at the next start."""

    tabs: list[TabState] = field(default_factory=list)
    active_index: int = 0


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """Tokens spent with one model (summed over replies that reported usage)."""

    model: str
    replies: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    image_tokens: int = 0
    total_tokens: int = 0
    # The API's own cost of the replies that reported one, their tool calls, the images made.
    cost_in_usd_ticks: int = 0
    web_search_calls: int = 0
    x_search_calls: int = 0
    code_calls: int = 0
    images: int = 0
    # Tokens of the replies without the API's cost, to be priced from the model's prices;
    # None: not told apart, so all the tokens above are priced that way.
    unpriced: Usage | None = None

    def tokens_to_price(self) -> Usage:
        if self.unpriced is not None:
            return self.unpriced
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            reasoning_tokens=self.reasoning_tokens,
            cached_tokens=self.cached_tokens,
            image_tokens=self.image_tokens,
            total_tokens=self.total_tokens,
        )
