"""Supervisor alerts as the console lists them, and acknowledging one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Conversation, Ticket, utcnow
from intake.tables import SupervisorAlert


@dataclass(frozen=True)
class ListedAlert:
    """One alert and its ticket."""

    id: int
    kind: str
    detail: dict[str, Any]
    created_at: datetime
    acknowledged: bool
    ticket: Ticket


async def listed(
    session: AsyncSession, visible: ColumnElement[bool], *, limit: int, open_only: bool
) -> list[ListedAlert]:
    """The newest alerts whose ticket's conversation matches ``visible`` (a condition on
    :class:`~core.models.Conversation`, the caller's team rules)."""
    query = (
        select(SupervisorAlert, Ticket)
        .join(Ticket, Ticket.id == SupervisorAlert.ticket_id)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(visible)
        .order_by(SupervisorAlert.id.desc())
        .limit(limit)
    )
    if open_only:
        query = query.where(SupervisorAlert.acknowledged_at.is_(None))
    rows = (await session.execute(query)).all()
    return [
        ListedAlert(
            a.id,
            a.kind,
            dict(a.detail or {}),
            a.created_at,
            a.acknowledged_at is not None,
            t,
        )
        for a, t in rows
    ]


async def acknowledge(session: AsyncSession, alert_id: int, agent_id: int) -> bool:
    """Mark the alert handled by ``agent_id`` (kept as first acknowledged); False if none."""
    alert = await session.get(SupervisorAlert, alert_id, with_for_update=True)
    if alert is None:
        return False
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = utcnow(), agent_id
    return True
