"""Domain types that cross package boundaries: normalized messages and turn contracts.

Channels turn platform payloads into :class:`InboundMessage`; the bot answers a
:class:`TurnInput` with a :class:`BotTurn`; the outbox hands channels an
:class:`OutboundDelivery`. All frozen: nothing is mutated after it leaves its maker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from core.message_meta import MessageMeta
from core.message_meta import empty as empty_meta

Owner = Literal["bot", "queued", "agent", "resolved"]
# Why an inbound message may never be answered: a channel's word for it, at most 32
# characters ("rate_limited", "event", "no_sender", an email's auto-reply reason...).
NoReply = str
Sender = Literal["customer", "bot", "agent", "system"]
Decision = Literal["answer", "clarify", "escalate"]


@dataclass(frozen=True)
class Attachment:
    """A file that came with (or goes out with) a message, kept in the attachment store."""

    key: str  # storage key (see core/attachments.py)
    kind: str  # image | voice | video | file
    mime: str
    size: int
    name: str = ""


@dataclass(frozen=True)
class ThreadHint:
    """Which earlier conversation a message continues, as its channel sees it (email).

    Candidates are tried in order: ``conversation_ids`` (named by the message itself, e.g. a
    signed reply address), then the conversation holding one of ``references`` (platform
    message ids the message answers), then the conversation of ``ticket_number``. A match
    counts only when the sender is that conversation's customer. ``new_conversation``: when
    nothing matches, start a new conversation instead of continuing the customer's latest.
    """

    conversation_ids: tuple[int, ...] = ()
    references: tuple[str, ...] = ()
    ticket_number: int | None = None
    new_conversation: bool = False


@dataclass(frozen=True)
class InboundMessage:
    """One customer message as a channel normalized it, with the channel's hints.

    Hints the core acts on (``core/inbound.py``), the same way for every channel:

    - ``no_reply``: why nobody may answer this message (an auto-reply, a bounce, a mailing
      list, a rate-limited sender, a platform event). It is stored and shown to agents, but
      no bot turn, recovery, fixed reply or owner change (reopening) ever follows from it.
    - ``fixed_reply``: content the bot cannot read (an image, a follow event): when the bot
      holds the conversation, this text answers it instead of a bot turn.
    - ``reply_inline``: the channel delivers replies in its own response (WeChat's passive
      reply): a fixed reply is stored as sent and returned in the result.
    - ``thread``: which conversation the message continues (email threading).
    - ``meta``: channel facts kept with the message (an email's subject, its HTML...).
    """

    channel: str
    inbox: str
    external_id: str  # the customer's id on this inbox (visitor id, openid, address)
    source_id: str  # the platform's message id: the idempotency key
    text: str
    contact_name: str = ""
    kind: str = "text"  # one of core.models.MESSAGE_KINDS
    attachments: tuple[Attachment, ...] = ()
    contact_email: str | None = None
    conversation_id: int | None = None  # set when the channel already knows it (web chat)
    received_at: datetime | None = None
    raw: bytes | None = field(default=None, repr=False)  # kept for audit only
    no_reply: NoReply | None = None
    fixed_reply: str | None = None
    reply_inline: bool = False
    thread: ThreadHint | None = None
    meta: MessageMeta = field(default_factory=empty_meta)

    @property
    def answerable(self) -> bool:
        """Whether anybody (the bot, a fixed reply, a reopening) may answer this message."""
        return self.no_reply is None


@dataclass(frozen=True)
class Choice:
    """One option offered to the customer when the bot is unsure."""

    n: int
    label: str
    entry_id: str


@dataclass(frozen=True)
class BotState:
    """What the bot remembers between turns of one conversation."""

    misses: int = 0
    choices: tuple[Choice, ...] = ()
    language: str | None = None
    topic: str = ""  # the question last answered, for follow-ups ("那运费谁出？")
    answered: str = ""  # the entry last answered, for feedback replies ("没用")
    form: str = ""  # the ticket type of a form being filled (the form itself is stored apart)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form for the conversation row."""
        out: dict[str, Any] = {
            "misses": self.misses,
            "language": self.language,
            "choices": [{"n": c.n, "label": c.label, "entry_id": c.entry_id} for c in self.choices],
        }
        if self.topic:
            out["topic"] = self.topic
        if self.answered:
            out["answered"] = self.answered
        if self.form:
            out["form"] = self.form
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> BotState:
        """Read the stored form back; anything unexpected yields a fresh state."""
        if not isinstance(data, dict):
            return cls()
        try:
            choices = tuple(
                Choice(int(c["n"]), str(c["label"]), str(c["entry_id"]))
                for c in data.get("choices") or ()
            )
            return cls(
                misses=int(data.get("misses") or 0),
                choices=choices,
                language=data.get("language"),
                topic=str(data.get("topic") or ""),
                answered=str(data.get("answered") or ""),
                form=str(data.get("form") or ""),
            )
        except (KeyError, TypeError, ValueError):
            return cls()


@dataclass(frozen=True)
class TurnInput:
    """A customer message the bot must answer."""

    conversation_id: int
    channel: str
    text: str
    state: BotState
    default_language: str = "zh"
    # time.monotonic() when the message reached kefu (the inbound path's start): a channel's
    # reply deadline (WeChat's passive reply) runs from then. None: a rerun (recovery).
    arrived: float | None = None


@dataclass(frozen=True)
class BotReply:
    """One message the bot sends."""

    text: str
    choices: tuple[Choice, ...] = ()
    entry_id: str | None = None
    category: str | None = None  # the entry's category (what a ticket opened later is about)
    decision: Decision | None = None
    confidence: float | None = None
    generated: bool = False  # worded by the chat model from the entry (kb/generation.py)


@dataclass(frozen=True)
class EscalationRequest:
    """The bot asks for a person. ``notice`` is told to the customer; ``{ticket}`` is filled."""

    reason: str  # customer_request | low_confidence | repeated_failure | ...
    notice: str
    category: str | None = None


@dataclass(frozen=True)
class BotTurn:
    """The bot's answer to one turn: replies, its new memory, maybe an escalation."""

    replies: tuple[BotReply, ...]
    state: BotState
    language: str
    escalate: EscalationRequest | None = None
    handler: str = ""


@dataclass(frozen=True)
class OutboundDelivery:
    """A stored reply the outbox asks a channel to deliver."""

    outbox_id: int
    message_id: int
    conversation_id: int
    seq: int
    channel: str
    inbox: str
    external_id: str
    sender: str
    text: str
    idempotency_key: str
    attempt: int
    kind: str = "text"
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class ChannelCapabilities:
    """What a channel declares about delivering replies (``channels/base.py``); the core and
    the console read these instead of asking a channel by name.

    - ``live_socket``: replies reach the customer on an open socket that the core wakes right
      after commit (web chat); no outbox row, nothing for the dispatcher to send.
    - ``passive_reply_seconds``: the platform waits this long for replies in the response to
      its own webhook call (WeChat Official Account: 5 s); None when it does not.
    - ``push_api``: replies can be sent at any time through the platform's API (the outbox).
    - ``reply_window_hours``: the platform accepts pushes only this long after the customer's
      last message (WeChat: 48 h); None for no window.
    - ``media_kinds``: attachment kinds ``send`` can deliver (image, voice, video, file).
    - ``choice_buttons``: a reply's choices show as buttons the customer taps (web chat); else
      the bot writes them as a numbered list in its text, never both.
    - ``max_choices``: how many choices one reply shows well on this channel.
    """

    live_socket: bool = False
    passive_reply_seconds: float | None = None
    push_api: bool = True
    reply_window_hours: float | None = None
    media_kinds: frozenset[str] = frozenset()
    choice_buttons: bool = False
    max_choices: int = 3


@dataclass(frozen=True)
class StoredMessage:
    """One stored message, as a channel sees it."""

    id: int
    seq: int
    direction: str  # in | out
    sender: str
    kind: str
    text: str
    source_id: str | None
    external_id: str | None
    private: bool
    created_at: datetime
    meta: MessageMeta
    attachments: tuple[dict[str, Any], ...] = ()  # as stored: key, kind, mime, size, name


@dataclass(frozen=True)
class TicketView:
    """One of a customer's tickets, as the customer may see it (issue 16: "where is my
    repair?"). Times are in the configured zone; ``need`` is what the desk last asked of
    the customer when it waits for them."""

    number: int
    status: str  # new | open | pending | resolved | closed
    subject: str
    assignee: str  # first name, "" when unassigned
    due: datetime | None
    updated_at: datetime
    update: str  # the last public reply of the desk, shortened
    need: str = ""
