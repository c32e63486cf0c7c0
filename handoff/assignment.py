"""Assignment: online agents with the ticket's skills first, then least load, then round robin.

When nobody fits, the conversation waits in the queue and the customer is told their place
and the expected wait. Supervisors and admins count as having the ``supervisor`` skill
(low satisfaction scores are routed to them).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Agent, Conversation
from handoff.presence import live_agent_ids

AGENT_STATUSES = ("online", "away", "offline")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

QUEUE_NOTICE = {
    "zh": "您前面还有 {ahead} 位客户，预计等待约 {minutes} 分钟，请稍候。",
    "en": "There are {ahead} customers ahead of you; the expected wait is about {minutes} minutes.",
}
NOBODY_NOTICE = {
    "zh": "目前没有客服在线，我们会在上班后尽快回复您，请留言描述您的问题。",
    "en": "No one is online right now; we'll reply as soon as we're back. Please describe it.",
}


def agent_skills(agent: Agent) -> set[str]:
    """The agent's skills, with ``supervisor`` for supervisors and admins."""
    skills = {str(s) for s in (agent.skills or [])}
    if agent.role in ("supervisor", "admin"):
        skills.add("supervisor")
    return skills


async def loads(session: AsyncSession) -> dict[int, int]:
    """Conversations each agent holds now."""
    rows = await session.execute(
        select(Conversation.assignee_id, func.count())
        .where(Conversation.owner == "agent", Conversation.assignee_id.is_not(None))
        .group_by(Conversation.assignee_id)
    )
    return {int(a): int(n) for a, n in rows if a is not None}


async def online_agents(session: AsyncSession) -> list[Agent]:
    """Active agents who chose online and are really there (a console connected now).

    An agent who closed the browser without logging out still says ``online``; giving them
    a customer would leave that customer talking to nobody.
    """
    live = await live_agent_ids(session)
    if not live:
        return []
    return list(
        (
            await session.execute(
                select(Agent).where(
                    Agent.active.is_(True), Agent.status == "online", Agent.id.in_(live)
                )
            )
        ).scalars()
    )


def choose(
    agents: list[Agent],
    load: dict[int, int],
    skills: set[str],
    exclude: set[int] = frozenset(),  # type: ignore[assignment]
) -> Agent | None:
    """Pick an agent: with every skill if anyone has them, then least load, then longest idle."""
    free = [a for a in agents if a.id not in exclude and load.get(a.id, 0) < a.max_concurrent]
    if not free:
        return None
    if skills:
        skilled = [a for a in free if skills <= agent_skills(a)]
        if skilled:
            free = skilled
        elif "supervisor" in skills:
            return None  # supervisor work waits for a supervisor
    free.sort(key=lambda a: (load.get(a.id, 0), a.last_assigned_at or _EPOCH, a.id))
    return free[0]


async def queue_position(session: AsyncSession, conv: Conversation) -> int:
    """How many queued conversations are ahead of ``conv``."""
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(Conversation)
                .where(
                    Conversation.owner == "queued",
                    Conversation.id != conv.id,
                    Conversation.last_activity_at <= conv.last_activity_at,
                )
            )
        ).scalar()
        or 0
    )


def expected_wait_minutes(ahead: int, online: int, handle_minutes: float) -> int:
    """Expected wait: the queue ahead shared by the online agents, times the handling time."""
    return max(1, math.ceil((ahead + 1) / max(online, 1) * handle_minutes))
