"""The console's SLA list: open tickets whose first response or resolution is due soon
(at risk) or already missed (breached), with due times in the configured time zone.

``GET /api/agent/sla`` answers what an agent may see (team rules), most urgent first.
"at risk" means due within ``[sla] warn_before_minutes`` (at least 30 minutes, so the list
is useful even when warnings are configured late).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import and_, or_, select

from core.context import SERVICES
from core.models import Agent, Contact, Conversation, Ticket, utcnow
from core.web import json_response
from handoff import teams
from handoff.http import current_agent

MIN_WINDOW = timedelta(minutes=30)


def local(when: datetime, zone: ZoneInfo) -> str:
    """``2026-12-03 17:30`` in the zone (what the console and notes show)."""
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _targets(t: Ticket) -> list[tuple[str, datetime]]:
    out = []
    if t.first_response_at is None and t.first_response_due is not None:
        out.append(("first_response", t.first_response_due))
    if t.resolution_due is not None:
        out.append(("resolution", t.resolution_due))
    return out


async def sla_list(request: web.Request) -> web.Response:
    """GET /api/agent/sla: at-risk and breached targets of open tickets."""
    agent = await current_agent(request)
    settings = request.app[SERVICES].settings
    zone = ZoneInfo(settings.sla.timezone)
    now = utcnow()
    soon = now + max(timedelta(minutes=settings.sla.warn_before_minutes), MIN_WINDOW)
    due = or_(
        and_(Ticket.first_response_at.is_(None), Ticket.first_response_due <= soon),
        Ticket.resolution_due <= soon,
    )
    async with request.app[SERVICES].db.reader() as session:
        rows = (
            await session.execute(
                select(Ticket, Contact.name, Agent.name)
                .join(Conversation, Conversation.id == Ticket.conversation_id)
                .join(Contact, Contact.id == Conversation.contact_id)
                .outerjoin(Agent, Agent.id == Ticket.assignee_id)
                .where(Ticket.status.in_(("new", "open")), due, teams.visible(agent))
                .limit(500)
            )
        ).all()
    items: list[dict[str, Any]] = []
    for t, contact_name, assignee in rows:
        for kind, at in _targets(t):
            if at > soon:
                continue
            items.append(
                {
                    "number": t.number,
                    "conversation_id": t.conversation_id,
                    "kind": kind,
                    "state": "breached" if at <= now else "at_risk",
                    "due_at": at.isoformat(),
                    "due_local": local(at, zone),
                    "priority": t.priority,
                    "subject": t.subject,
                    "contact": contact_name or "",
                    "assignee": assignee,
                }
            )
    items.sort(key=lambda i: i["due_at"])
    return json_response({"tz": settings.sla.timezone, "items": items})
