"""Domain types that cross package boundaries: normalized messages and turn contracts.

Channels turn platform payloads into :class:`InboundMessage`; the bot answers a
:class:`TurnInput` with a :class:`BotTurn`; the outbox hands channels an
:class:`OutboundDelivery`. All frozen: nothing is mutated after it leaves its maker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Owner = Literal["bot", "queued", "agent", "resolved"]
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
class InboundMessage:
    """One customer message as a channel normalized it."""

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

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form for the conversation row."""
        return {
            "misses": self.misses,
            "language": self.language,
            "choices": [{"n": c.n, "label": c.label, "entry_id": c.entry_id} for c in self.choices],
        }

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
                misses=int(data.get("misses") or 0), choices=choices, language=data.get("language")
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


@dataclass(frozen=True)
class BotReply:
    """One message the bot sends."""

    text: str
    choices: tuple[Choice, ...] = ()
    entry_id: str | None = None
    decision: Decision | None = None
    confidence: float | None = None


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
