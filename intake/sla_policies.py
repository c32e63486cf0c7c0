"""The SLA policies an admin sets in the console, over the ones kefu.toml configures.

The console's routes call these; the rows are intake's (``intake.tables.SlaPolicy``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import utcnow
from intake.sla import POLICY_KEYS, Policy, SlaClock, check_policy, configured_policy, stored_policy
from intake.tables import SlaPolicy


async def policies(session: AsyncSession, clock: SlaClock) -> list[dict[str, Any]]:
    """Every policy in effect, with where it comes from (``admin`` or ``config``)."""
    rows = {r.key: r for r in (await session.execute(select(SlaPolicy))).scalars()}
    out = []
    for key in POLICY_KEYS:
        row = rows.get(key)
        p = stored_policy(row) if row is not None else configured_policy(clock.settings, key)
        out.append(
            {
                "key": key,
                "first_response_minutes": p.first_response_minutes,
                "resolution_minutes": p.resolution_minutes,
                "clock": p.clock,
                "source": "admin" if row is not None else "config",
                "updated_at": row.updated_at.isoformat() if row is not None else None,
                "updated_by": row.updated_by if row is not None else None,
            }
        )
    return out


async def set_policy(
    session: AsyncSession, clock: SlaClock, key: str, body: dict[str, Any], agent_id: int
) -> Policy:
    """Store the admin's policy for ``key`` (fields left out keep their current values) and
    refresh the clock. Raises ValueError, worded for the admin, when a value is not allowed."""
    row = await session.get(SlaPolicy, key)
    current = stored_policy(row) if row is not None else configured_policy(clock.settings, key)
    policy = check_policy(
        body.get("first_response_minutes", current.first_response_minutes),
        body.get("resolution_minutes", current.resolution_minutes),
        body.get("clock", current.clock),
    )
    if row is None:
        row = SlaPolicy(key=key)
        session.add(row)
    row.first_response_minutes = policy.first_response_minutes
    row.resolution_minutes = policy.resolution_minutes
    row.clock = policy.clock
    row.updated_by = agent_id
    row.updated_at = utcnow()
    await session.flush()
    await clock.refresh(session, force=True)
    return policy


async def reset_policy(session: AsyncSession, clock: SlaClock, key: str) -> None:
    """Drop the admin's policy for ``key``: kefu.toml's applies again."""
    row = await session.get(SlaPolicy, key)
    if row is not None:
        await session.delete(row)
        await session.flush()
    await clock.refresh(session, force=True)
