"""The repair report: what came in and how the visits went, for tickets created since a day.

Tickets by type and by product model, the first-time-fix rate (a ticket's first finished
visit was ``done``), visits per engineer by state, parts cost and warranty against paid.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Ticket, utcnow
from intake import ticket_types
from intake.tables import Engineer, Product, TicketType, Visit


async def report(session: AsyncSession, since: datetime) -> dict[str, Any]:
    """Tickets by type and product model, first-time-fix rate, visits per engineer, parts
    cost, warranty vs paid — for tickets created since ``since``."""
    rows = (
        await session.execute(
            select(Ticket.id, TicketType.key, TicketType.name_zh, TicketType.name_en)
            .join(TicketType, TicketType.id == Ticket.type_id)
            .where(Ticket.created_at >= since)
        )
    ).all()
    ids = [r[0] for r in rows]
    values = await ticket_types.values_of(session, ids)
    pids = {int(v["product"]) for v in values.values() if v.get("product", "").isdigit()}
    models = (
        dict(
            (
                await session.execute(select(Product.id, Product.model).where(Product.id.in_(pids)))
            ).all()
        )
        if pids
        else {}
    )
    by_type: Counter[str] = Counter(r[1] for r in rows)
    by_model: Counter[tuple[str, str]] = Counter()
    for tid, key, _, _ in rows:
        pid = values[tid].get("product", "")
        if pid.isdigit():
            by_model[(key, models.get(int(pid), ""))] += 1
    visits = (
        list(
            (
                await session.execute(
                    select(Visit)
                    .where(Visit.ticket_id.in_(ids))
                    .order_by(Visit.ticket_id, Visit.id)
                )
            ).scalars()
        )
        if ids
        else []
    )
    names = dict((await session.execute(select(Engineer.id, Engineer.name))).all())
    per_engineer: dict[str, Counter[str]] = {}
    first: dict[int, Visit] = {}
    finished: set[int] = set()
    cost = 0
    warranty: Counter[str] = Counter()
    for v in visits:
        per_engineer.setdefault(names.get(v.engineer_id, str(v.engineer_id)), Counter())[
            v.status
        ] += 1
        if v.status in ("done", "failed", "rescheduled"):
            first.setdefault(v.ticket_id, v)
        if v.status == "done":
            finished.add(v.ticket_id)
            cost += v.parts_cost_cents
            warranty[
                "warranty" if v.in_warranty else ("paid" if v.in_warranty is False else "unknown")
            ] += 1
    fixed_first = sum(1 for t, v in first.items() if v.status == "done")
    return {
        "tickets_by_type": dict(sorted(by_type.items())),
        "tickets_by_model": [
            {"type": k, "model": m, "count": n} for (k, m), n in sorted(by_model.items())
        ],
        "first_time_fix_rate": round(fixed_first / len(first), 3) if first else None,
        "tickets_with_visits": len(first),
        "visits_per_engineer": {k: dict(c) for k, c in sorted(per_engineer.items())},
        "parts_cost": cost / 100,
        "warranty_vs_paid": dict(warranty),
        "since": since.isoformat(),
        "generated_at": utcnow().isoformat(),
    }
