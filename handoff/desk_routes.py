"""The console's desk: a conversation's pending state, transfer, KB suggestions and the
customer 360; the agents with their presence and load, the agent's status, canned replies."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from core.context import SERVICES
from core.errors import BadRequest, Conflict
from core.models import Agent, Contact, ContactIdentity, Conversation, Inbox, Message, Ticket
from core.web import json_response, read_json
from handoff import canned, presence, teams
from handoff.assignment import loads
from handoff.contacts_routes import readable_identity
from handoff.http import conversation_id, current_agent, read_status
from handoff.keys import DESK, DESK_KB
from handoff.tables import CannedReply
from handoff.views import agent_json, agent_names, conversation_response, ticket_json
from intake.tickets import latest_ticket
from privacy.view import customer_view

# -- conversation actions ------------------------------------------------------------------


async def pending(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/pending: waiting on the customer (SLA clock pauses)."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    async with request.app[SERVICES].db.reader() as session:
        await teams.ensure_visible(session, agent, conv_id)
        t = await latest_ticket(session, conv_id)
    if t is None:
        raise Conflict("This conversation has no ticket.", code="no_ticket")
    await request.app[DESK].set_ticket_status(agent, t.number, "pending")
    return await conversation_response(request, conv_id)


async def transfer(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/transfer {"agent_id", "note"}."""
    agent = await current_agent(request)
    body = await read_json(request)
    to, note = body.get("agent_id"), body.get("note", "")
    if not isinstance(to, int) or isinstance(to, bool) or not isinstance(note, str):
        raise BadRequest("Give agent_id (a number) and an optional note.", code="bad_transfer")
    conv_id = conversation_id(request)
    await teams.check(request.app[SERVICES].db, agent, conv_id)
    await request.app[DESK].transfer(agent, conv_id, to, note)
    return await conversation_response(request, conv_id)


async def suggestions(request: web.Request) -> web.Response:
    """GET /api/agent/conversations/{id}/suggestions: KB answers for the last customer message."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
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
    kb = request.app.get(DESK_KB)
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
    agent = await current_agent(request)
    conv_id = conversation_id(request)
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
        names = await agent_names(session)
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
            "tickets": [ticket_json(t, names) for t in tickets],
        }
    return json_response(await customer_view(request, agent, conv.contact_id, body))


# -- agents, status, canned replies ------------------------------------------------------------


async def list_agents(request: web.Request) -> web.Response:
    """GET /api/agent/agents: everyone with chosen status, true presence, skills and load."""
    await current_agent(request)
    grace = request.app[SERVICES].settings.assignment.presence_grace_seconds
    async with request.app[SERVICES].db.reader() as session:
        load = await loads(session)
        agents = list(
            (
                await session.execute(
                    select(Agent).where(Agent.removed_at.is_(None)).order_by(Agent.id)
                )
            ).scalars()
        )
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
    agent = await current_agent(request)
    status = await read_status(request)
    updated = await request.app[DESK].set_status(agent.id, status)
    return json_response({"agent": agent_json(updated)})


async def list_canned(request: web.Request) -> web.Response:
    """GET /api/agent/canned?conversation_id=: canned replies, variables filled when given."""
    agent = await current_agent(request)
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
