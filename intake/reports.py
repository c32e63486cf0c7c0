"""Service reports: first response, resolution, FCR, bot deflection, CSAT, SLA breaches, backlog.

Per day (in the SLA time zone), channel, category and agent, over tickets and conversations
created in ``[start, end)``. Computed in Python over the period's rows: fine for the volumes
of one company's after-sales desk; a warehouse would aggregate in SQL.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Agent, Conversation, Ticket
from intake.tables import SlaBreach, TicketEvent

DIMENSIONS = ("day", "channel", "category", "agent")


@dataclass(frozen=True)
class Metrics:
    """One row of the report."""

    key: str
    conversations: int
    tickets: int
    first_response_avg_seconds: float | None
    resolution_avg_seconds: float | None
    fcr_rate: float | None
    bot_deflection_rate: float | None
    csat_average: float | None
    csat_response_rate: float | None
    sla_breach_rate: float | None
    backlog: int


@dataclass
class _Bucket:
    conversations: int = 0
    deflected: int = 0
    tickets: int = 0
    first: list[float] | None = None
    resolution: list[float] | None = None
    resolved: int = 0
    reopened_resolved: int = 0
    surveyed: int = 0
    csat: list[int] | None = None
    breached: int = 0
    backlog: int = 0

    def metrics(self, key: str) -> Metrics:
        first, res, csat = self.first or [], self.resolution or [], self.csat or []
        return Metrics(
            key=key,
            conversations=self.conversations,
            tickets=self.tickets,
            first_response_avg_seconds=round(statistics.fmean(first), 1) if first else None,
            resolution_avg_seconds=round(statistics.fmean(res), 1) if res else None,
            fcr_rate=_rate(self.resolved - self.reopened_resolved, self.resolved),
            bot_deflection_rate=_rate(self.deflected, self.conversations),
            csat_average=round(statistics.fmean(csat), 2) if csat else None,
            csat_response_rate=_rate(len(csat), self.surveyed),
            sla_breach_rate=_rate(self.breached, self.tickets),
            backlog=self.backlog,
        )


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


@dataclass(frozen=True)
class Summary:
    """The report for a period: totals and one list of rows per dimension."""

    start: datetime
    end: datetime
    totals: Metrics
    by: dict[str, list[Metrics]]

    def to_json(self) -> dict[str, object]:
        """The summary as JSON-ready data."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "totals": asdict(self.totals),
            **{f"by_{d}": [asdict(m) for m in rows] for d, rows in self.by.items()},
        }

    def to_csv(self) -> str:
        """The summary as CSV: one line per dimension and key, totals first."""
        out = io.StringIO()
        fields = list(asdict(self.totals))
        writer = csv.writer(out)
        writer.writerow(["dimension", *fields])
        writer.writerow(["total", *asdict(self.totals).values()])
        for d, rows in self.by.items():
            for m in rows:
                writer.writerow([d, *asdict(m).values()])
        return out.getvalue()


async def summary(session: AsyncSession, start: datetime, end: datetime, tz: str) -> Summary:
    """The report over conversations and tickets created in ``[start, end)``."""
    zone = ZoneInfo(tz)
    convs = list(
        (
            await session.execute(
                select(Conversation).where(
                    Conversation.created_at >= start,
                    Conversation.created_at < end,
                    Conversation.first_customer_message_at.is_not(None),
                )
            )
        ).scalars()
    )
    # Merged duplicates are part of the ticket they were merged into, not cases of their own.
    tickets = list(
        (
            await session.execute(
                select(Ticket).where(
                    Ticket.created_at >= start,
                    Ticket.created_at < end,
                    Ticket.merged_into.is_(None),
                )
            )
        ).scalars()
    )
    with_ticket = set(
        (
            await session.execute(
                select(Ticket.conversation_id).where(
                    Ticket.conversation_id.in_([c.id for c in convs] or [0])
                )
            )
        ).scalars()
    )
    ids = [t.id for t in tickets] or [0]
    breached = set(
        (await session.execute(select(SlaBreach.ticket_id).where(SlaBreach.ticket_id.in_(ids))))
        .scalars()
        .all()
    )
    reopened: set[int] = set()
    for tid, detail in await session.execute(
        select(TicketEvent.ticket_id, TicketEvent.detail).where(
            TicketEvent.ticket_id.in_(ids), TicketEvent.action == "status"
        )
    ):
        if (detail or {}).get("from") == "resolved" and (detail or {}).get("to") == "open":
            reopened.add(tid)
    names = {a.id: a.name for a in (await session.execute(select(Agent))).scalars()}

    totals = _Bucket()
    buckets: dict[str, dict[str, _Bucket]] = {d: defaultdict(_Bucket) for d in DIMENSIONS}
    for c in convs:
        keys = {"day": c.created_at.astimezone(zone).date().isoformat(), "channel": c.channel}
        for b in [totals, *(buckets[d][k] for d, k in keys.items())]:
            b.conversations += 1
            b.deflected += c.id not in with_ticket
    for t in tickets:
        keys = {
            "day": t.created_at.astimezone(zone).date().isoformat(),
            "channel": t.channel or "",
            "category": t.category or "",
            "agent": names.get(t.assignee_id, "") if t.assignee_id else "",
        }
        for b in [totals, *(buckets[d][k] for d, k in keys.items())]:
            b.tickets += 1
            if t.first_response_at is not None:
                b.first = [*(b.first or []), (t.first_response_at - t.created_at).total_seconds()]
            if t.resolved_at is not None:
                b.resolution = [
                    *(b.resolution or []),
                    (t.resolved_at - t.created_at).total_seconds(),
                ]
            if t.status in ("resolved", "closed"):
                b.resolved += 1
                b.reopened_resolved += t.id in reopened
            if t.survey_state:
                b.surveyed += 1
            if t.csat is not None:
                b.csat = [*(b.csat or []), t.csat]
            b.breached += t.id in breached
            b.backlog += t.status in ("new", "open", "pending")
    return Summary(
        start,
        end,
        totals.metrics("total"),
        {d: [b.metrics(k) for k, b in sorted(buckets[d].items())] for d in DIMENSIONS},
    )


async def backlog_now(session: AsyncSession) -> int:
    """Tickets open right now, whenever they were created."""
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.status.in_(("new", "open", "pending")))
            )
        ).scalar()
        or 0
    )
