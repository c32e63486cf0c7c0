"""The console's tickets: the list with its filters, one ticket with its trail and SLA
breaches, and the agent's changes (status, priority and category, merge)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from core.context import SERVICES
from core.errors import BadRequest
from core.models import Conversation, Ticket
from core.web import json_response, read_json
from handoff import filters, teams
from handoff.http import current_agent, read_status, ticket_number
from handoff.keys import DESK
from handoff.labels import labels_of
from handoff.views import agent_names, contact_names, ticket_json
from intake.ticket_trail import breaches_of, events_of
from intake.tickets import ticket_by_number


async def list_tickets(request: web.Request) -> web.Response:
    """GET /api/agent/tickets?status=&priority=&assignee=&team=&channel=&label=&since=&until=."""
    agent = await current_agent(request)
    q = (
        select(Ticket)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(teams.visible(agent))
        .order_by(Ticket.id.desc())
        .limit(500)
    )
    q = q.where(*filters.ticket_filters(request, agent))
    async with request.app[SERVICES].db.reader() as session:
        rows = list((await session.execute(q)).scalars())
        names = await agent_names(session)
        tags = await labels_of(session, [t.conversation_id for t in rows])
        who = await contact_names(session, [t.conversation_id for t in rows])
    data = [
        {
            **ticket_json(t, names),
            **who[t.conversation_id],
            "labels": tags.get(t.conversation_id, []),
        }
        for t in rows
    ]
    return json_response({"tickets": data, "tz": request.app[SERVICES].settings.sla.timezone})


async def get_ticket(request: web.Request) -> web.Response:
    """GET /api/agent/tickets/{number}: fields, SLA, CSAT, breaches and the audit trail."""
    agent = await current_agent(request)
    async with request.app[SERVICES].db.reader() as session:
        t = await ticket_by_number(session, ticket_number(request))
        await teams.ensure_visible(session, agent, t.conversation_id)
        names = await agent_names(session)
        data = ticket_json(t, names)
        data["transcript"] = t.transcript
        data["reason"] = t.reason
        events = await events_of(session, t.id)
        data["events"] = [
            {**{k: v for k, v in e.items() if k != "agent_id"}, "agent": names.get(e["agent_id"])}
            for e in events
        ]
        data["breaches"] = await breaches_of(session, t.id)
    return json_response({"ticket": data})


async def ticket_status(request: web.Request) -> web.Response:
    """POST /api/agent/tickets/{number}/status {"status"}: 409 with the reason when illegal."""
    agent = await current_agent(request)
    await teams.check_ticket(request.app[SERVICES].db, agent, ticket_number(request))
    status = await read_status(request)
    await request.app[DESK].set_ticket_status(agent, ticket_number(request), status)
    return await get_ticket(request)


async def patch_ticket(request: web.Request) -> web.Response:
    """PATCH /api/agent/tickets/{number} {"priority","category"}."""
    agent = await current_agent(request)
    await teams.check_ticket(request.app[SERVICES].db, agent, ticket_number(request))
    body = await read_json(request)
    priority, category = body.get("priority"), body.get("category")
    if priority is not None and not isinstance(priority, str):
        raise BadRequest("priority must be a string.", code="bad_priority")
    if category is not None and not isinstance(category, str):
        raise BadRequest("category must be a string.", code="bad_category")
    await request.app[DESK].update_ticket(
        agent, ticket_number(request), priority=priority, category=category
    )
    return await get_ticket(request)


async def merge_ticket(request: web.Request) -> web.Response:
    """POST /api/agent/tickets/{number}/merge {"into": other number}."""
    agent = await current_agent(request)
    await teams.check_ticket(request.app[SERVICES].db, agent, ticket_number(request))
    body = await read_json(request)
    into = body.get("into")
    if not isinstance(into, int) or isinstance(into, bool):
        raise BadRequest("into must be a ticket number.", code="bad_into")
    await request.app[DESK].merge(agent, ticket_number(request), into)
    return await get_ticket(request)
