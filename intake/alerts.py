"""Supervisor alerts: what is recorded when a ticket needs a supervisor now.

An urgent complaint or safety hazard (a ticket opened or raised to urgent for one), an SLA
warning and an SLA breach each record a :class:`~intake.tables.SupervisorAlert` in the same
transaction as the change itself (called from :func:`intake.lifecycle.audit`), so an alert
is never lost and never blocks the message path: the alert dispatcher (handoff/alerts.py)
routes it to the team's supervisors (email, WeCom group robots) through its own durable
outbox, and the console lists it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Ticket
from intake.tables import SupervisorAlert

KINDS = ("urgent", "sla_warning", "sla_breach")
ALARMS = ("hazard", "complaint")  # what makes an urgent ticket a supervisor's business now


def kind_of(ticket: Ticket, action: str, detail: dict[str, Any]) -> tuple[str, str] | None:
    """(alert kind, dedupe key) for a ticket change, or None when it alerts nobody."""
    if action == "sla_warning" or action == "sla_breach":
        target = str(detail.get("kind", ""))
        return action, f"{action}:{ticket.id}:{target}"
    kinds = [str(k) for k in detail.get("kinds") or ()]
    alarm = [k for k in ALARMS if k in kinds]
    if not alarm:
        return None
    if action == "created" and detail.get("priority") == "urgent":
        return "urgent", f"urgent:{ticket.id}"
    if action == "priority" and detail.get("new") == "urgent":
        return "urgent", f"urgent:{ticket.id}"
    return None


def record(session: AsyncSession, ticket: Ticket, action: str, detail: dict[str, Any]) -> None:
    """Record the alert a ticket change calls for, if any (in the change's transaction)."""
    found = kind_of(ticket, action, detail)
    if found is None or ticket.id is None:
        return
    kind, key = found
    keep = {k: detail[k] for k in ("kind", "kinds", "terms", "reason") if k in detail}
    session.add(SupervisorAlert(key=key, kind=kind, ticket_id=ticket.id, detail=keep))


async def any_unrouted(session: AsyncSession) -> bool:
    """Whether some alert waits for the dispatcher to route it."""
    found = await session.execute(
        select(SupervisorAlert.id).where(SupervisorAlert.routed_at.is_(None)).limit(1)
    )
    return found.first() is not None


async def claim_unrouted(session: AsyncSession, limit: int) -> list[SupervisorAlert]:
    """Up to ``limit`` alerts not routed yet, oldest first, locked for this transaction (other
    workers skip them); the caller sets ``routed_at`` and ``team_id``."""
    rows = await session.execute(
        select(SupervisorAlert)
        .where(SupervisorAlert.routed_at.is_(None))
        .order_by(SupervisorAlert.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.scalars())


async def routed_before(session: AsyncSession, alert: SupervisorAlert) -> bool:
    """Whether an alert with the same key (the same ticket and reason) was routed already:
    that one told the supervisors."""
    found = await session.execute(
        select(SupervisorAlert.id).where(
            SupervisorAlert.key == alert.key,
            SupervisorAlert.id != alert.id,
            SupervisorAlert.routed_at.is_not(None),
        )
    )
    return found.first() is not None
