"""The ticket state machine and its audit trail.

    new ──> open ──> pending (waiting on the customer) ──> open
     │       │          │
     └───────┴──────────┴──> resolved ──> closed
                               │
                               └──> open (reopened: escalated again in the window, low CSAT)

``closed`` is final. An illegal move raises Conflict (HTTP 409) with the reason. While a
ticket is pending its SLA clock is paused: leaving ``pending`` moves the due times later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.acting import VIA
from core.errors import Conflict
from core.models import Ticket, utcnow
from intake import alerts, customer_notices
from intake.sla import SlaClock
from intake.tables import TicketEvent

STATUSES = ("new", "open", "pending", "resolved", "closed")
OPEN_STATUSES = ("new", "open", "pending")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "pending", "resolved"}),
    "open": frozenset({"pending", "resolved"}),
    "pending": frozenset({"open", "resolved"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}


def can_move(current: str, to: str) -> bool:
    """Whether a ticket may go from ``current`` to ``to``."""
    return to in TRANSITIONS.get(current, frozenset())


def why_not(current: str, to: str) -> str:
    """The reason a move is refused, in one sentence."""
    if to not in STATUSES:
        return f"{to!r} is not a ticket status; use one of {', '.join(STATUSES)}."
    if current == to:
        return f"The ticket is already {current}."
    if current == "closed":
        return "The ticket is closed; closed tickets cannot change."
    allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing"
    return f"A {current} ticket cannot become {to} (it can become: {allowed})."


def apply_move(ticket: Ticket, to: str, now: datetime, clock: SlaClock | None) -> None:
    """Move ``ticket`` to ``to`` (Conflict if illegal), keeping the SLA fields consistent."""
    current = ticket.status
    if not can_move(current, to):
        raise Conflict(why_not(current, to), code="illegal_transition")
    if current == "pending" and ticket.pending_since is not None:
        if clock is not None:
            by = clock.paused(ticket.priority, ticket.tier, ticket.pending_since, now)
            if ticket.first_response_due and ticket.first_response_at is None:
                ticket.first_response_due = clock.shift(
                    ticket.priority, ticket.tier, ticket.first_response_due, by
                )
            if ticket.resolution_due:
                ticket.resolution_due = clock.shift(
                    ticket.priority, ticket.tier, ticket.resolution_due, by
                )
        ticket.pending_since = None
    if to == "pending":
        ticket.pending_since = now
    if to == "resolved":
        ticket.resolved_at = now
    elif to == "closed":
        ticket.closed_at = now
    else:
        ticket.resolved_at = None
    ticket.status = to


@dataclass(frozen=True)
class PendingAudit:
    """An audit entry added in a session and not yet flushed (what webhooks announce)."""

    ticket_id: int
    action: str
    actor: str
    agent_id: int | None
    detail: dict[str, Any]


def pending_audits(session: Session) -> list[PendingAudit]:
    """The ticket audit entries ``session`` is about to write (for a ``before_flush`` hook)."""
    return [
        PendingAudit(o.ticket_id, o.action, o.actor, o.agent_id, dict(o.detail or {}))
        for o in session.new
        if isinstance(o, TicketEvent)
    ]


def audit(
    session: AsyncSession,
    ticket: Ticket,
    action: str,
    *,
    actor: str = "system",
    agent_id: int | None = None,
    **detail: Any,
) -> None:
    """Record one change on the ticket's audit trail (who, what, when), the notice the
    customer gets of it (intake/customer_notices.py) and the supervisors' alert
    (intake/alerts.py), if any."""
    via = VIA.get()
    if via is not None:
        detail.setdefault("via", via)
    session.add(
        TicketEvent(
            ticket_id=ticket.id, actor=actor, agent_id=agent_id, action=action, detail=detail
        )
    )
    customer_notices.record(session, ticket, action, detail)
    alerts.record(session, ticket, action, detail)


def move(
    session: AsyncSession,
    ticket: Ticket,
    to: str,
    *,
    clock: SlaClock | None,
    actor: str = "system",
    agent_id: int | None = None,
    note: str | None = None,
) -> None:
    """Move the ticket and record it on the audit trail."""
    before = ticket.status
    apply_move(ticket, to, utcnow(), clock)
    detail: dict[str, Any] = {"from": before, "to": to}
    if note:
        detail["note"] = note
    audit(session, ticket, "status", actor=actor, agent_id=agent_id, **detail)
