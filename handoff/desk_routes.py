"""Service-desk API: tickets, agent status and transfer, customer 360, canned replies and
knowledge-base suggestions for the console."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from core.context import SERVICES
from core.errors import BadRequest, Conflict, NotFound
from core.models import (
    Agent,
    CannedReply,
    Contact,
    ContactIdentity,
    Conversation,
    Inbox,
    Message,
    SlaBreach,
    Ticket,
    TicketEvent,
)
from core.web import json_response, read_json, row_id
from handoff import admin_routes, canned, filters, presence, teams
from handoff.assignment import loads
from handoff.contacts_routes import readable_identity
from handoff.desk import DeskActions
from handoff.labels import labels_of
from handoff.routes import (
    HANDOFF,
    _agent,
    _conversation_id,
    agent_json,
    conversations_json,
    ticket_brief,
)
from intake.tickets import latest_ticket, ticket_by_number
from kb.service import KnowledgeBase
from privacy.view import customer_view

KB_KEY = web.AppKey("desk_kb", KnowledgeBase)
DESK = web.AppKey("desk", DeskActions)


def _number(request: web.Request) -> int:
    number = row_id(request.match_info["number"].lstrip("#"))
    if number is None:
        raise NotFound("There is no such ticket.", code="no_such_ticket")
    return number


# -- tickets ---------------------------------------------------------------------------


async def list_tickets(request: web.Request) -> web.Response:
    """GET /api/agent/tickets?status=&priority=&assignee=&team=&channel=&label=&since=&until=."""
    agent = await _agent(request)
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
        names = await _agent_names(session)
        tags = await labels_of(session, [t.conversation_id for t in rows])
        who = await contact_names(session, [t.conversation_id for t in rows])
    data = [
        {
            **_ticket_json(t, names),
            **who[t.conversation_id],
            "labels": tags.get(t.conversation_id, []),
        }
        for t in rows
    ]
    return json_response({"tickets": data, "tz": request.app[SERVICES].settings.sla.timezone})


async def contact_names(session: Any, conv_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The contact (id and name) of each conversation, for lists of tickets."""
    rows = await session.execute(
        select(Conversation.id, Contact.id, Contact.name)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.id.in_(conv_ids))
    )
    return {cid: {"contact": {"id": k, "name": name or ""}} for cid, k, name in rows.all()}


async def _agent_names(session: Any) -> dict[int, str]:
    return {a.id: a.name for a in (await session.execute(select(Agent))).scalars()}


def _ticket_json(t: Ticket, names: dict[int, str]) -> dict[str, Any]:
    data = ticket_brief(t)
    data["conversation_id"] = t.conversation_id
    data["assignee"] = (
        {"id": t.assignee_id, "name": names.get(t.assignee_id, "")} if t.assignee_id else None
    )
    return data


async def get_ticket(request: web.Request) -> web.Response:
    """GET /api/agent/tickets/{number}: fields, SLA, CSAT, breaches and the audit trail."""
    agent = await _agent(request)
    async with request.app[SERVICES].db.reader() as session:
        t = await ticket_by_number(session, _number(request))
        await teams.ensure_visible(session, agent, t.conversation_id)
        names = await _agent_names(session)
        events = (
            await session.execute(
                select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)
            )
        ).scalars()
        breaches = (
            await session.execute(select(SlaBreach).where(SlaBreach.ticket_id == t.id))
        ).scalars()
        data = _ticket_json(t, names)
        data["transcript"] = t.transcript
        data["reason"] = t.reason
        data["events"] = [
            {
                "action": e.action,
                "actor": e.actor,
                "agent": names.get(e.agent_id) if e.agent_id else None,
                "detail": e.detail,
                "created_at": e.created_at.isoformat(),
            }
            for e in events
        ]
        data["breaches"] = [
            {
                "kind": b.kind,
                "due_at": b.due_at.isoformat(),
                "breached_at": b.breached_at.isoformat(),
            }
            for b in breaches
        ]
    return json_response({"ticket": data})


async def _status_body(request: web.Request) -> str:
    """The ``status`` string of a JSON body, or 400."""
    body = await read_json(request)
    status = body.get("status")
    if not isinstance(status, str):
        raise BadRequest("Give a status.", code="bad_status")
    return status


async def ticket_status(request: web.Request) -> web.Response:
    """POST /api/agent/tickets/{number}/status {"status"}: 409 with the reason when illegal."""
    agent = await _agent(request)
    await teams.check_ticket(request.app[SERVICES].db, agent, _number(request))
    status = await _status_body(request)
    await request.app[DESK].set_ticket_status(agent, _number(request), status)
    return await get_ticket(request)


async def patch_ticket(request: web.Request) -> web.Response:
    """PATCH /api/agent/tickets/{number} {"priority","category"}."""
    agent = await _agent(request)
    await teams.check_ticket(request.app[SERVICES].db, agent, _number(request))
    body = await read_json(request)
    priority, category = body.get("priority"), body.get("category")
    if priority is not None and not isinstance(priority, str):
        raise BadRequest("priority must be a string.", code="bad_priority")
    if category is not None and not isinstance(category, str):
        raise BadRequest("category must be a string.", code="bad_category")
    await request.app[DESK].update_ticket(
        agent, _number(request), priority=priority, category=category
    )
    return await get_ticket(request)


async def merge_ticket(request: web.Request) -> web.Response:
    """POST /api/agent/tickets/{number}/merge {"into": other number}."""
    agent = await _agent(request)
    await teams.check_ticket(request.app[SERVICES].db, agent, _number(request))
    body = await read_json(request)
    into = body.get("into")
    if not isinstance(into, int) or isinstance(into, bool):
        raise BadRequest("into must be a ticket number.", code="bad_into")
    await request.app[DESK].merge(agent, _number(request), into)
    return await get_ticket(request)


# -- conversation actions ------------------------------------------------------------------


async def pending(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/pending: waiting on the customer (SLA clock pauses)."""
    agent = await _agent(request)
    conv_id = _conversation_id(request)
    async with request.app[SERVICES].db.reader() as session:
        await teams.ensure_visible(session, agent, conv_id)
        t = await latest_ticket(session, conv_id)
    if t is None:
        raise Conflict("This conversation has no ticket.", code="no_ticket")
    await request.app[DESK].set_ticket_status(agent, t.number, "pending")
    return await _conversation(request, conv_id)


async def transfer(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/transfer {"agent_id", "note"}."""
    agent = await _agent(request)
    body = await read_json(request)
    to, note = body.get("agent_id"), body.get("note", "")
    if not isinstance(to, int) or isinstance(to, bool) or not isinstance(note, str):
        raise BadRequest("Give agent_id (a number) and an optional note.", code="bad_transfer")
    conv_id = _conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    await request.app[DESK].transfer(agent, conv_id, to, note)
    return await _conversation(request, conv_id)


async def _conversation(request: web.Request, conv_id: int) -> web.Response:
    async with request.app[SERVICES].db.reader() as session:
        conv = await session.get(Conversation, conv_id)
        if conv is None:
            raise NotFound(f"Conversation {conv_id} does not exist.")
        data = (await conversations_json(session, [conv]))[0]
    return json_response({"conversation": data})


async def suggestions(request: web.Request) -> web.Response:
    """GET /api/agent/conversations/{id}/suggestions: KB answers for the last customer message."""
    agent = await _agent(request)
    conv_id = _conversation_id(request)
    async with request.app[SERVICES].db.reader() as session:
        conv = await teams.ensure_visible(session, agent, conv_id)
        text = (
            await session.execute(
                select(Message.text)
                .where(Message.conversation_id == conv_id, Message.sender == "customer")
                .order_by(Message.seq.desc())
                .limit(1)
            )
        ).scalar()
    kb = request.app.get(KB_KEY)
    if not text or kb is None:
        return json_response({"query": text or "", "suggestions": []})
    result = await kb.search(text, language=conv.language)
    return json_response(
        {
            "query": text,
            "suggestions": [
                {
                    "entry_id": h.entry_id,
                    "question": h.question,
                    "answer": h.answer,
                    "category": h.category,
                    "score": round(h.score, 3),
                }
                for h in result.hits[:3]
            ],
        }
    )


async def customer(request: web.Request) -> web.Response:
    """GET /api/agent/conversations/{id}/customer: the customer 360 across every channel."""
    agent = await _agent(request)
    conv_id = _conversation_id(request)
    async with request.app[SERVICES].db.reader() as session:
        conv = await teams.ensure_visible(session, agent, conv_id)
        contact = await session.get(Contact, conv.contact_id)
        inboxes = {i.id: i.name for i in (await session.execute(select(Inbox))).scalars()}
        idents = (
            await session.execute(
                select(ContactIdentity).where(ContactIdentity.contact_id == conv.contact_id)
            )
        ).scalars()
        convs = list(
            (
                await session.execute(
                    select(Conversation)
                    .where(Conversation.contact_id == conv.contact_id, teams.visible(agent))
                    .order_by(Conversation.id.desc())
                    .limit(50)
                )
            ).scalars()
        )
        tickets = (
            await session.execute(
                select(Ticket)
                .where(Ticket.conversation_id.in_([c.id for c in convs]))
                .order_by(Ticket.id.desc())
            )
        ).scalars()
        names = await _agent_names(session)
        body = {
            "contact": {
                "id": conv.contact_id,
                "name": contact.name if contact else "",
                "email": contact.email if contact else None,
                "phone": contact.phone if contact else None,
                "tier": contact.tier if contact else "normal",
                "company": contact.company if contact else None,
                "note": contact.note if contact else None,
            },
            "identities": [
                {
                    "channel": i.channel,
                    "inbox": inboxes.get(i.inbox_id, ""),
                    "external_id": i.external_id,
                    # the console shows addresses and numbers, never opaque tokens
                    "readable": readable_identity(i.channel, i.external_id) is not None,
                }
                for i in idents
            ],
            "conversations": [
                {
                    "id": c.id,
                    "channel": c.channel,
                    "owner": c.owner,
                    "created_at": c.created_at.isoformat(),
                }
                for c in convs
            ],
            "tickets": [_ticket_json(t, names) for t in tickets],
        }
    return json_response(await customer_view(request, agent, conv.contact_id, body))


# -- agents, status, canned replies ------------------------------------------------------------


async def list_agents(request: web.Request) -> web.Response:
    """GET /api/agent/agents: everyone with chosen status, true presence, skills and load."""
    await _agent(request)
    grace = request.app[SERVICES].settings.assignment.presence_grace_seconds
    async with request.app[SERVICES].db.reader() as session:
        load = await loads(session)
        agents = list((await session.execute(select(Agent).order_by(Agent.id))).scalars())
        live = await presence.live_agent_ids(session)
        seen = await presence.presences(session, agents, grace)
        data = [
            {
                **agent_json(a),
                "active": a.active,
                "load": load.get(a.id, 0),
                "presence": seen[a.id],
                "connected": a.id in live,
            }
            for a in agents
        ]
    return json_response({"agents": data})


async def set_status(request: web.Request) -> web.Response:
    """POST /api/agent/status {"status": "online"|"away"|"offline"}."""
    agent = await _agent(request)
    status = await _status_body(request)
    updated = await request.app[DESK].set_status(agent.id, status)
    return json_response({"agent": agent_json(updated)})


async def list_canned(request: web.Request) -> web.Response:
    """GET /api/agent/canned?conversation_id=: canned replies, variables filled when given."""
    agent = await _agent(request)
    values: dict[str, str | None] = {"agent_name": agent.name}
    language = "zh"
    async with request.app[SERVICES].db.reader() as session:
        cid = request.query.get("conversation_id")
        if cid and cid.isdigit() and int(cid) < 2**31:
            conv = await session.get(Conversation, int(cid))
            if conv is not None:
                await teams.ensure_visible(session, agent, conv.id)
                contact = await session.get(Contact, conv.contact_id)
                values["customer_name"] = canned.customer_name(contact.name if contact else None)
                language = conv.language or language
                t = await latest_ticket(session, conv.id)
                if t is not None:
                    values["ticket_number"] = f"#{t.number}"
        rows = (await session.execute(select(CannedReply).order_by(CannedReply.shortcut))).scalars()
        data = [
            {
                "id": c.id,
                "shortcut": c.shortcut,
                "title": c.title,
                "text": c.text,
                "rendered": canned.render(c.text, values, language),
            }
            for c in rows
        ]
    return json_response({"canned": data})


def setup(app: web.Application, kb: KnowledgeBase | None) -> None:
    """Mount the service-desk API (and the admin and reports routes)."""
    if kb is not None:
        app[KB_KEY] = kb
    app[DESK] = DeskActions(app[HANDOFF])
    r = app.router
    r.add_get("/api/agent/tickets", list_tickets)
    r.add_get("/api/agent/tickets/{number}", get_ticket)
    r.add_patch("/api/agent/tickets/{number}", patch_ticket)
    r.add_post("/api/agent/tickets/{number}/status", ticket_status)
    r.add_post("/api/agent/tickets/{number}/merge", merge_ticket)
    r.add_post("/api/agent/conversations/{id}/pending", pending)
    r.add_post("/api/agent/conversations/{id}/transfer", transfer)
    r.add_get("/api/agent/conversations/{id}/suggestions", suggestions)
    r.add_get("/api/agent/conversations/{id}/customer", customer)
    r.add_get("/api/agent/agents", list_agents)
    r.add_post("/api/agent/status", set_status)
    r.add_get("/api/agent/canned", list_canned)
    admin_routes.setup(app)
