"""``kefu export customers|tickets FILE``: UTF-8 CSV with a BOM, so Excel opens it right.

The columns are the field names ``kefu import`` recognises, so an export imports back as is
(a customer's id on a channel that declares one, e.g. ``wechat``, is a column named after it).
Times are written in the configured time zone ([sla] timezone), the way people read them.
Rows are read page by page (by id), never all at once.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.models import Agent, Contact, ContactIdentity, Conversation, Ticket

PAGE = 1000


def customer_columns(id_channels: Sequence[str]) -> tuple[str, ...]:
    """The customers file's columns: a column per channel whose customer ids it carries."""
    return ("id", "name", "phone", "email", *id_channels, "company", "tier", "note", "created_at")


TICKET_COLUMNS = (
    "number",
    "subject",
    "status",
    "priority",
    "category",
    "channel",
    "customer_name",
    "customer_phone",
    "customer_email",
    "assignee",
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "csat",
    "description",
)


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""


async def _pages(session: AsyncSession, model: Any) -> AsyncIterator[list[Any]]:
    last = 0
    while True:
        rows = list(
            (
                await session.execute(
                    select(model).where(model.id > last).order_by(model.id).limit(PAGE)
                )
            ).scalars()
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id


async def export_customers(
    db: Database, path: Path, tz: str, id_channels: Sequence[str] = ()
) -> int:
    """Every contact with its id on each of ``id_channels``; the number of rows written."""
    zone, count = ZoneInfo(tz), 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(customer_columns(id_channels))
        async with db.reader() as session:
            async for page in _pages(session, Contact):
                ids: dict[tuple[int, str], str] = {}
                if id_channels:
                    for cid, channel, ext in await session.execute(
                        select(
                            ContactIdentity.contact_id,
                            ContactIdentity.channel,
                            ContactIdentity.external_id,
                        )
                        .where(
                            ContactIdentity.contact_id.in_([c.id for c in page]),
                            ContactIdentity.channel.in_(id_channels),
                        )
                        .order_by(ContactIdentity.id)
                    ):
                        ids.setdefault((cid, channel), ext)
                for c in page:
                    out.writerow(
                        [
                            c.id,
                            c.name,
                            c.phone or "",
                            c.email or "",
                            *(ids.get((c.id, ch), "") for ch in id_channels),
                            c.company or "",
                            c.tier,
                            c.note or "",
                            _when(c.created_at, zone),
                        ]
                    )
                    count += 1
    return count


async def export_tickets(db: Database, path: Path, tz: str) -> int:
    """Every ticket with its customer and assignee; the number of rows written."""
    zone, count = ZoneInfo(tz), 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(TICKET_COLUMNS)
        async with db.reader() as session:
            agents = dict((await session.execute(select(Agent.id, Agent.email))).all())
            async for page in _pages(session, Ticket):
                people = {
                    conv_id: contact
                    for conv_id, contact in await session.execute(
                        select(Conversation.id, Contact)
                        .join(Contact, Contact.id == Conversation.contact_id)
                        .where(Conversation.id.in_({t.conversation_id for t in page}))
                    )
                }
                for t in page:
                    who = people.get(t.conversation_id)
                    out.writerow(
                        [
                            t.number,
                            t.subject,
                            t.status,
                            t.priority,
                            t.category or "",
                            t.channel,
                            who.name if who else "",
                            (who.phone or "") if who else "",
                            (who.email or "") if who else "",
                            agents.get(t.assignee_id, ""),
                            _when(t.created_at, zone),
                            _when(t.first_response_at, zone),
                            _when(t.resolved_at, zone),
                            _when(t.closed_at, zone),
                            t.csat if t.csat is not None else "",
                            t.transcript,
                        ]
                    )
                    count += 1
    return count
