"""True presence: an agent is there while a console of theirs is connected.

The status an agent picks (``online``, ``away``, ``offline``) is only their wish; whether
they are really at the desk comes from their console sockets. Each open socket has a row in
``agent_consoles`` that its heartbeat refreshes every :data:`HEARTBEAT_SECONDS`; a row not
refreshed for :data:`STALE_SECONDS` belongs to a worker that died and counts for nothing.
New work only goes to an agent who chose ``online`` and has a live console right now. For
the status others see, a console that went away is forgiven for ``[assignment]
presence_grace_seconds`` (a reload, a train tunnel); after that the agent shows as away.

Rows live in SQL (not in one worker's memory) so every worker answers the same.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.models import Agent, utcnow
from handoff.tables import AgentConsole

HEARTBEAT_SECONDS = 20.0
STALE_SECONDS = 3 * HEARTBEAT_SECONDS
PRESENCES = ("online", "away", "offline")


async def console_opened(db: Database, agent_id: int) -> str:
    """Record a newly connected console of ``agent_id``; returns its id for the heartbeat."""
    console_id = secrets.token_hex(16)
    now = utcnow()
    async with db.transaction() as session:
        session.add(AgentConsole(id=console_id, agent_id=agent_id, seen_at=now))
        await session.execute(update(Agent).where(Agent.id == agent_id).values(last_seen_at=now))
    return console_id


async def heartbeat(db: Database, console_id: str, agent_id: int) -> None:
    """The console is still connected: refresh it (recreate it if swept) and sweep dead ones."""
    now = utcnow()
    async with db.transaction() as session:
        done = await session.execute(
            update(AgentConsole).where(AgentConsole.id == console_id).values(seen_at=now)
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            session.add(AgentConsole(id=console_id, agent_id=agent_id, seen_at=now))
        await session.execute(update(Agent).where(Agent.id == agent_id).values(last_seen_at=now))
        await session.execute(
            delete(AgentConsole).where(
                AgentConsole.seen_at < now - timedelta(seconds=STALE_SECONDS)
            )
        )


async def console_closed(db: Database, console_id: str, agent_id: int) -> None:
    """The console disconnected: the grace period starts now (unless another is open)."""
    now = utcnow()
    async with db.transaction() as session:
        gone = await session.execute(delete(AgentConsole).where(AgentConsole.id == console_id))
        # No row: the agent logged out (no grace) or the row went stale; keep what was said.
        if gone.rowcount:  # type: ignore[attr-defined]
            await session.execute(
                update(Agent).where(Agent.id == agent_id).values(last_seen_at=now)
            )


async def left(db: Database, agent_id: int) -> None:
    """The agent logged out: every console of theirs is gone and no grace applies."""
    async with db.transaction() as session:
        await session.execute(delete(AgentConsole).where(AgentConsole.agent_id == agent_id))
        await session.execute(update(Agent).where(Agent.id == agent_id).values(last_seen_at=None))


async def live_agent_ids(session: AsyncSession, now: datetime | None = None) -> set[int]:
    """Agents with at least one console whose heartbeat is fresh."""
    cutoff = (now or utcnow()) - timedelta(seconds=STALE_SECONDS)
    rows = await session.execute(
        select(AgentConsole.agent_id).where(AgentConsole.seen_at >= cutoff).distinct()
    )
    return {int(a) for a in rows.scalars()}


def presence(agent: Agent, live: bool, grace_seconds: float, now: datetime | None = None) -> str:
    """What others see: the chosen status while a console is (or just was) connected, else away."""
    if agent.status == "offline" or not agent.active:
        return "offline"
    if live:
        return agent.status
    seen = agent.last_seen_at
    if seen is not None and (now or utcnow()) - seen < timedelta(seconds=grace_seconds):
        return agent.status
    return "away"


async def presences(
    session: AsyncSession, agents: Iterable[Agent], grace_seconds: float
) -> dict[int, str]:
    """The presence of each of ``agents``, by id."""
    now = utcnow()
    live = await live_agent_ids(session, now)
    return {a.id: presence(a, a.id in live, grace_seconds, now) for a in agents}
