"""Engineers (who goes on site, where, how many visits a day) and the look-ups the console's
visit routes need; the rows are intake's (``intake.tables.Engineer``, ``Visit``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Agent
from intake import visits
from intake.tables import Engineer, Visit


def engineer_json(e: Engineer) -> dict[str, Any]:
    """An engineer as the API shows them."""
    return {
        "id": e.id,
        "name": e.name,
        "phone": e.phone,
        "skills": list(e.skills or []),
        "regions": list(e.regions or []),
        "daily_capacity": e.daily_capacity,
        "agent_id": e.agent_id,
        "active": e.active,
    }


async def add(
    session: AsyncSession,
    *,
    name: str,
    phone: str,
    skills: list[str],
    regions: list[str],
    daily_capacity: int,
    agent_email: str | None,
) -> dict[str, Any]:
    """A new active engineer (signing in as the agent ``agent_email``, if given)."""
    account = None
    if agent_email is not None:
        account = (
            await session.execute(select(Agent).where(Agent.email == agent_email.lower()))
        ).scalar()
        if account is None:
            raise NotFound(f"No agent signs in as {agent_email}.", code="no_agent")
    engineer = Engineer(
        name=name,
        phone=phone,
        skills=skills,
        regions=regions,
        daily_capacity=daily_capacity,
        agent_id=account.id if account else None,
        active=True,
    )
    session.add(engineer)
    await session.flush()
    return engineer_json(engineer)


async def edit(session: AsyncSession, engineer_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change an engineer's name, phone, skills, regions, daily capacity or whether they are
    active (an inactive one is never chosen; their past visits stay theirs)."""
    engineer = await session.get(Engineer, engineer_id, with_for_update=True)
    if engineer is None:
        raise NotFound("There is no such engineer.", code="no_engineer")
    for key in ("name", "phone", "skills", "regions", "daily_capacity", "active"):
        if key in changes:
            setattr(engineer, key, changes[key])
    await session.flush()
    return engineer_json(engineer)


async def every(session: AsyncSession) -> list[dict[str, Any]]:
    """All engineers, in the order they were added."""
    rows = (await session.execute(select(Engineer).order_by(Engineer.id))).scalars()
    return [engineer_json(e) for e in rows]


async def of_agent(session: AsyncSession, agent_id: int) -> Engineer | None:
    """The engineer who signs in as this agent, if any."""
    return (await session.execute(select(Engineer).where(Engineer.agent_id == agent_id))).scalar()


async def ticket_visits(
    session: AsyncSession, ticket_id: int, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """A ticket's visits, first dispatched first."""
    rows = await session.execute(
        select(Visit, Engineer)
        .join(Engineer, Engineer.id == Visit.engineer_id)
        .where(Visit.ticket_id == ticket_id)
        .order_by(Visit.id)
    )
    return [visits.visit_json(v, e, zone) for v, e in rows.all()]


async def visit_with_engineer(
    session: AsyncSession, visit_id: int
) -> tuple[Visit, Engineer | None]:
    """The visit and its engineer; NotFound if there is no such visit."""
    visit = await session.get(Visit, visit_id)
    if visit is None:
        raise NotFound("There is no such visit.", code="no_visit")
    return visit, await session.get(Engineer, visit.engineer_id)
