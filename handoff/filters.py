"""Filters shared by the console's conversation list and its tickets screen.

Query parameters (all optional, combined with AND): ``status`` and ``priority`` of the
ticket, ``assignee`` (``me``, ``none`` or an agent id), ``team`` (a team id: the team's
inboxes and the conversations its members hold), ``channel``, ``label`` (a label id or
name), ``since`` / ``until`` (dates, in ``[sla] timezone``). Each becomes a SQL condition on
Conversation (the list) or on Ticket joined to its Conversation (the tickets screen).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from core.context import SERVICES
from core.errors import BadRequest
from core.models import Agent, Conversation, Inbox, Ticket
from core.web import row_id
from handoff.tables import ConversationLabel, Label
from intake.lifecycle import STATUSES
from intake.priority import PRIORITIES

KEYS = ("status", "priority", "assignee", "team", "channel", "label", "since", "until")


def _label(raw: str) -> Any:
    """Conversation has label ``raw`` (an id, or a name)."""
    label_id = row_id(raw) if raw.isdigit() else None
    which = (
        ConversationLabel.label_id == label_id
        if label_id is not None
        else ConversationLabel.label_id.in_(select(Label.id).where(Label.name == raw.strip()))
    )
    return exists().where(ConversationLabel.conversation_id == Conversation.id, which)


def _team(raw: str) -> Any:
    team = row_id(raw)
    if team is None:
        raise BadRequest("team must be a team id.", code="bad_team")
    return or_(
        Conversation.inbox_id.in_(select(Inbox.id).where(Inbox.team_id == team)),
        Conversation.assignee_id.in_(select(Agent.id).where(Agent.team_id == team)),
    )


def _edges(request: web.Request, column: Any) -> list[Any]:
    zone = ZoneInfo(request.app[SERVICES].settings.sla.timezone)
    out = []
    for key, late in (("since", False), ("until", True)):
        value = request.query.get(key)
        if not value:
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"{key} must be a date like 2026-12-03.", code="bad_date") from None
        edge = datetime.combine(day + timedelta(days=1 if late else 0), time(), tzinfo=zone)
        out.append(column < edge if late else column >= edge)
    return out


def _checked(request: web.Request) -> tuple[str, str]:
    status, priority = request.query.get("status", ""), request.query.get("priority", "")
    if status and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}.", code="bad_status")
    if priority and priority not in PRIORITIES:
        raise BadRequest(f"priority must be one of {', '.join(PRIORITIES)}.", code="bad_priority")
    return status, priority


def _assignee(request: web.Request, agent: Agent, column: Any) -> list[Any]:
    raw = request.query.get("assignee", "")
    if not raw:
        return []
    if raw == "none":
        return [column.is_(None)]
    who = agent.id if raw == "me" else row_id(raw)
    if who is None:
        raise BadRequest("assignee must be me, none or an agent id.", code="bad_assignee")
    return [column == who]


def _text(raw: str) -> str:
    """A query value without control characters (PostgreSQL refuses NUL in text)."""
    return "".join(ch for ch in raw if ch >= " ").strip()


def conversation_filters(request: web.Request, agent: Agent) -> list[Any]:
    """The filters as conditions on Conversation (status/priority: of its latest ticket)."""
    q = request.query
    status, priority = _checked(request)
    out: list[Any] = []
    if status or priority:
        other = aliased(Ticket)
        latest = (
            select(func.max(other.id))
            .where(other.conversation_id == Conversation.id)
            .correlate(Conversation)
            .scalar_subquery()
        )
        conds = [Ticket.conversation_id == Conversation.id, Ticket.id == latest]
        if status:
            conds.append(Ticket.status == status)
        if priority:
            conds.append(Ticket.priority == priority)
        out.append(exists().where(*conds))
    out += _assignee(request, agent, Conversation.assignee_id)
    if q.get("team"):
        out.append(_team(q["team"]))
    if q.get("channel"):
        out.append(Conversation.channel == _text(q["channel"]))
    if q.get("label"):
        out.append(_label(_text(q["label"])))
    out += _edges(request, Conversation.last_activity_at)
    return out


def ticket_filters(request: web.Request, agent: Agent) -> list[Any]:
    """The filters as conditions on Ticket joined to its Conversation (dates: created)."""
    q = request.query
    status, priority = _checked(request)
    out: list[Any] = []
    if status:
        out.append(Ticket.status == status)
    if priority:
        out.append(Ticket.priority == priority)
    out += _assignee(request, agent, Ticket.assignee_id)
    if q.get("team"):
        out.append(_team(q["team"]))
    if q.get("channel"):
        out.append(Conversation.channel == _text(q["channel"]))
    if q.get("label"):
        out.append(_label(_text(q["label"])))
    out += _edges(request, Ticket.created_at)
    return out
