"""The owner state machine: who answers a conversation, and every way that changes.

    bot ──escalate──> queued ──assign──> agent ──resolve──> resolved ──reopen──> bot
                        ^                 │
                        └────release──────┘
    resolve: also from bot or queued      handback: queued, agent or resolved -> bot
    take: any owner -> agent (from a colleague: supervisors only)
    transfer: queued or agent -> agent    requeue (a low satisfaction score): any -> queued

``TRANSITIONS`` is the whole table; :func:`apply` is the one place an owner changes: it
checks the move and who may make it, then writes the conversation's owner fields. It does
no I/O: the caller's transaction writes the messages and the ticket's trail around it, and
announces the change after commit. The column stays a string (``Conversation.owner``,
read by the hot path's plain SQL); :class:`Owner` holds its values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.errors import Conflict, Forbidden
from core.models import Agent, Conversation, Message, Ticket, utcnow

SUPERVISORS = ("supervisor", "admin")


class Owner(StrEnum):
    """Who answers the customer (the values of ``Conversation.owner``)."""

    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"
    RESOLVED = "resolved"


class Event(StrEnum):
    """What moves a conversation from one owner to the next."""

    ESCALATE = "escalate"  # the bot hands the customer to a person (a ticket is open)
    ASSIGN = "assign"  # the queue gives it to an agent who is there
    TAKE = "take"  # an agent takes it over (or replies in it)
    TRANSFER = "transfer"  # an agent passes it to a colleague (supervisors: assign)
    RELEASE = "release"  # its agent went offline or was deactivated
    RESOLVE = "resolve"  # an agent closes the case
    HANDBACK = "handback"  # an agent gives it back to the bot
    REOPEN = "reopen"  # the customer writes in a resolved conversation (no survey answer)
    REQUEUE = "requeue"  # a low satisfaction score: a supervisor follows up


B, Q, A, R = Owner.BOT, Owner.QUEUED, Owner.AGENT, Owner.RESOLVED

TRANSITIONS: dict[tuple[Owner, Event], Owner] = {
    (B, Event.ESCALATE): Q,
    (Q, Event.ASSIGN): A,
    **{(o, Event.TAKE): A for o in (B, Q, A, R)},
    (Q, Event.TRANSFER): A,
    (A, Event.TRANSFER): A,
    (A, Event.RELEASE): Q,
    **{(o, Event.RESOLVE): R for o in (B, Q, A)},
    **{(o, Event.HANDBACK): B for o in (Q, A, R)},
    (R, Event.REOPEN): B,
    **{(o, Event.REQUEUE): Q for o in (B, Q, A, R)},
}


def refused(owner: str, event: Event) -> Conflict:
    """The 409 for a move the table does not have, worded for the console."""
    if event is Event.RESOLVE:
        return Conflict("The conversation is already resolved.", code="already_resolved")
    if event is Event.HANDBACK:
        return Conflict("The bot already holds this conversation.", code="already_bot")
    if event is Event.TRANSFER:
        return Conflict(
            f"Only queued or handled conversations can be transferred (not {owner}).",
            code="not_transferable",
        )
    return Conflict(f"A conversation held by {owner} cannot {event}.")


def next_owner(owner: str, event: Event) -> Owner:
    """The owner after ``event``; the refusal (409) when the table has no such move."""
    try:
        return TRANSITIONS[(Owner(owner), event)]
    except (KeyError, ValueError):
        raise refused(owner, event) from None


def holds_other(conv: Conversation, agent: Agent) -> bool:
    """Another agent holds ``conv`` and ``agent`` is no supervisor to step in."""
    return (
        conv.owner == Owner.AGENT
        and conv.assignee_id not in (None, agent.id)
        and agent.role not in SUPERVISORS
    )


def check_holder(conv: Conversation, agent: Agent) -> None:
    """409 when another agent holds the conversation (supervisors and admins may act)."""
    if holds_other(conv, agent):
        raise Conflict("Another agent holds this conversation.", code="held_by_other")


def _check_transfer(conv: Conversation, agent: Agent, target: Agent) -> None:
    if conv.assignee_id not in (None, agent.id) and agent.role not in SUPERVISORS:
        raise Conflict("Another agent holds this conversation.", code="held_by_other")
    if conv.owner == Owner.QUEUED and agent.role not in SUPERVISORS and target.id != agent.id:
        raise Forbidden("Only supervisors assign queued conversations.", code="supervisor_only")
    if target.status == "offline":
        raise Conflict(f"{target.name} is offline.", code="agent_offline")
    if conv.assignee_id == target.id:
        raise Conflict(f"{target.name} already holds this conversation.", code="same_agent")


def apply(
    conv: Conversation,
    event: Event,
    *,
    agent: Agent | None = None,
    target: Agent | None = None,
    now: datetime | None = None,
) -> Owner:
    """Move ``conv`` by ``event``: check the move and who makes it, write the owner fields.

    ``agent`` is who acts (take, transfer, resolve, handback; the one assigned for assign);
    ``target`` the colleague a transfer goes to. Raises Conflict / Forbidden, changing
    nothing, when the move is refused.
    """
    new = next_owner(conv.owner, event)
    if event in (Event.TAKE, Event.RESOLVE, Event.HANDBACK):
        assert agent is not None
        check_holder(conv, agent)
    elif event is Event.TRANSFER:
        assert agent is not None and target is not None
        _check_transfer(conv, agent, target)
    conv.owner = new.value
    if event in (Event.ASSIGN, Event.TAKE):
        assert agent is not None
        conv.assignee_id = agent.id
        conv.resolved_at = None
    elif event is Event.TRANSFER:
        assert target is not None
        conv.assignee_id = target.id
    elif event is Event.RESOLVE:
        conv.resolved_at = now or utcnow()
    elif event in (Event.ESCALATE, Event.RELEASE):
        conv.assignee_id = None
    elif event is Event.REQUEUE:
        conv.assignee_id = None
        conv.resolved_at = None
    else:  # handback, reopen: the bot starts afresh
        conv.assignee_id = None
        conv.bot_state = {}
        if event is Event.REOPEN:
            conv.resolved_at = None
    return new


@dataclass(frozen=True)
class Changed:
    """The result of an owner change: the conversation and the messages it produced."""

    conversation: Conversation
    messages: tuple[Message, ...]
    ticket: Ticket | None = None


@dataclass
class Batch:
    """Conversations touched in one transaction, announced after it commits."""

    touched: dict[int, tuple[Conversation, list[Message]]] = field(default_factory=dict)

    def add(self, conv: Conversation, *msgs: Message) -> None:
        """Remember ``conv`` and the messages it got, to announce after commit."""
        entry = self.touched.setdefault(conv.id, (conv, []))
        entry[1].extend(msgs)
