"""A ticket's trail and SLA breaches as plain rows, for the console and the API to show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.tables import SlaBreach, TicketEvent


async def events_of(session: AsyncSession, ticket_id: int) -> list[dict[str, Any]]:
    """Who changed what on the ticket, oldest first (``agent_id`` for the caller to name)."""
    rows = await session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    )
    return [
        {
            "action": e.action,
            "actor": e.actor,
            "agent_id": e.agent_id,
            "detail": e.detail,
            "created_at": e.created_at.isoformat(),
        }
        for e in rows.scalars()
    ]


async def breaches_of(session: AsyncSession, ticket_id: int) -> list[dict[str, str]]:
    """The ticket's SLA breaches: which target, when it was due, when it was breached."""
    rows = await session.execute(select(SlaBreach).where(SlaBreach.ticket_id == ticket_id))
    return [
        {
            "kind": b.kind,
            "due_at": b.due_at.isoformat(),
            "breached_at": b.breached_at.isoformat(),
        }
        for b in rows.scalars()
    ]
