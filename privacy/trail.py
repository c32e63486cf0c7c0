"""The access trail: who viewed, revealed, exported or erased a customer's data, and when.

Every entry names the agent (or the command-line user), the action, the contact, the client
address and a small detail (which field was revealed, why a contact was erased). The trail
never holds the personal data itself, only what was done to it, so it may outlive an erasure.
It is kept ``[privacy] trail_days`` and purged by :func:`purge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.models import Agent, utcnow
from privacy.tables import PrivacyTrail

ACTIONS = ("view", "reveal", "export", "erase")


@dataclass(frozen=True)
class Actor:
    """Who acts on personal data: an agent in the console, or an operator on the CLI."""

    agent_id: int | None
    name: str
    address: str = ""

    @classmethod
    def of(cls, agent: Agent, address: str) -> Actor:
        """The actor for a logged-in agent at a client address."""
        return cls(agent.id, agent.email, address)


def add(
    session: AsyncSession,
    actor: Actor,
    action: str,
    contact_id: int | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one access in the caller's transaction (it commits with what it records)."""
    session.add(
        PrivacyTrail(
            agent_id=actor.agent_id,
            actor=actor.name[:320],
            action=action,
            contact_id=contact_id,
            detail=detail or {},
            address=actor.address[:64],
            created_at=utcnow(),
        )
    )


async def record(
    db: Database,
    actor: Actor,
    action: str,
    contact_id: int | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one access in its own transaction."""
    async with db.transaction() as session:
        add(session, actor, action, contact_id, detail)


def entry_json(row: PrivacyTrail) -> dict[str, Any]:
    """One trail entry as the admin API shows it."""
    return {
        "id": row.id,
        "agent_id": row.agent_id,
        "actor": row.actor,
        "action": row.action,
        "contact_id": row.contact_id,
        "detail": row.detail,
        "address": row.address,
        "created_at": row.created_at.isoformat(),
    }


async def search(
    db: Database,
    *,
    contact_id: int | None = None,
    agent_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[PrivacyTrail]:
    """Trail entries matching every given filter, newest first."""
    stmt = select(PrivacyTrail).order_by(PrivacyTrail.id.desc()).limit(limit)
    if contact_id is not None:
        stmt = stmt.where(PrivacyTrail.contact_id == contact_id)
    if agent_id is not None:
        stmt = stmt.where(PrivacyTrail.agent_id == agent_id)
    if action is not None:
        stmt = stmt.where(PrivacyTrail.action == action)
    if since is not None:
        stmt = stmt.where(PrivacyTrail.created_at >= since)
    if until is not None:
        stmt = stmt.where(PrivacyTrail.created_at < until)
    async with db.reader() as session:
        return list((await session.execute(stmt)).scalars())


async def purge(db: Database, keep_days: int, now: datetime | None = None) -> int:
    """Delete entries older than ``keep_days``; how many went."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    async with db.transaction() as session:
        result = await session.execute(delete(PrivacyTrail).where(PrivacyTrail.created_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
