"""The access trail is kept ``[privacy] trail_days`` and searchable by filters (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from core.db import Database
from core.models import utcnow
from privacy import trail
from privacy.tables import PrivacyTrail

ACTOR = trail.Actor(None, "cli:ops", "local")


async def test_old_entries_are_purged_and_filters_combine(db: Database) -> None:
    await trail.record(db, ACTOR, "view", 1, {"masked": ["phone"]})
    await trail.record(db, ACTOR, "export", 1)
    await trail.record(db, ACTOR, "view", 2)
    now = utcnow()
    async with db.transaction() as session:  # the first entry is 31 days old
        await session.execute(
            update(PrivacyTrail)
            .where(PrivacyTrail.action == "view", PrivacyTrail.contact_id == 1)
            .values(created_at=now - timedelta(days=31))
        )
    views = await trail.search(db, action="view")
    assert [(e.contact_id, e.detail) for e in views] == [(2, {}), (1, {"masked": ["phone"]})]
    assert [e.action for e in await trail.search(db, contact_id=1)] == ["export", "view"]
    recent = await trail.search(db, contact_id=1, since=now - timedelta(days=1))
    assert [e.action for e in recent] == ["export"]

    assert await trail.purge(db, keep_days=30, now=now) == 1
    assert [(e.action, e.contact_id) for e in await trail.search(db)] == [
        ("view", 2),
        ("export", 1),
    ]
    assert await trail.purge(db, keep_days=30, now=now) == 0
