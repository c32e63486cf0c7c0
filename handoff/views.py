"""The JSON shapes of the console's API: agents, messages, tickets, conversations.

``api/`` shows tickets and messages in the same shapes (``ticket_brief``, ``message_json``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from core.context import SERVICES
from core.errors import NotFound
from core.models import Agent, Contact, Conversation, Message, Ticket
from core.web import json_response
from handoff import labels


def agent_json(agent: Agent) -> dict[str, Any]:
    """An agent as the API shows it."""
    return {
        "id": agent.id,
        "name": agent.name,
        "email": agent.email,
        "role": agent.role,
        "status": agent.status,
        "skills": list(agent.skills or []),
        "max_concurrent": agent.max_concurrent,
        "team_id": agent.team_id,
    }


def message_json(m: Message) -> dict[str, Any]:
    """A message as the console API shows it."""
    return {
        "id": m.id,
        "seq": m.seq,
        "sender": m.sender,
        "direction": m.direction,
        "text": m.text,
        "private": m.private,
        "created_at": m.created_at.isoformat(),
        "agent_name": m.meta.get("agent_name"),
        "delivery": m.delivery,
        "delivery_error": m.delivery_error,
        "choices": m.meta.get("choices"),
        "kind": m.kind,
        "attachments": [
            {k: a.get(k) for k in ("key", "kind", "mime", "size", "name")} for a in m.attachments
        ],
        "entry_id": m.meta.get("entry_id"),
        "survey": bool(m.meta.get("survey")),
        "sla": m.meta.get("sla"),  # an SLA note's facts, worded by the console in its language
        "no_reply": m.no_reply,  # why nobody answers it (an auto-reply, a bounce...), or None
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_brief(t: Ticket) -> dict[str, Any]:
    """A ticket's fields as lists and the console show them (SLA due times included)."""
    return {
        "number": t.number,
        "status": t.status,
        "priority": t.priority,
        "category": t.category,
        "sentiment": t.sentiment,
        "tier": t.tier,
        "channel": t.channel,
        "skills": list(t.skills or []),
        "subject": t.subject,
        "assignee_id": t.assignee_id,
        "first_response_due": _iso(t.first_response_due) if t.first_response_at is None else None,
        "first_response_at": _iso(t.first_response_at),
        "resolution_due": _iso(t.resolution_due),
        "pending_since": _iso(t.pending_since),
        "csat": t.csat,
        "survey_state": t.survey_state,
        "merged_into": t.merged_into,
        "created_at": _iso(t.created_at),
        "resolved_at": _iso(t.resolved_at),
    }


async def conversations_json(session: Any, convs: list[Conversation]) -> list[dict[str, Any]]:
    """Conversations with their contact, assignee, latest ticket and last message."""
    if not convs:
        return []
    ids = [c.id for c in convs]
    contacts = {
        c.id: c
        for c in (
            await session.execute(
                select(Contact).where(Contact.id.in_({c.contact_id for c in convs}))
            )
        ).scalars()
    }
    agent_ids = {c.assignee_id for c in convs if c.assignee_id}
    agents: dict[int, Agent] = {}
    if agent_ids:
        agents = {
            a.id: a
            for a in (await session.execute(select(Agent).where(Agent.id.in_(agent_ids)))).scalars()
        }
    tickets: dict[int, Ticket] = {}
    for t in (
        await session.execute(
            select(Ticket).where(Ticket.conversation_id.in_(ids)).order_by(Ticket.id)
        )
    ).scalars():
        tickets[t.conversation_id] = t
    last: dict[int, Message] = {}
    for m in (
        await session.execute(
            select(Message).where(
                Message.conversation_id.in_(ids),
                Message.seq
                == select(Conversation.last_seq)
                .where(Conversation.id == Message.conversation_id)
                .scalar_subquery(),
            )
        )
    ).scalars():
        last[m.conversation_id] = m
    tags = await labels.labels_of(session, ids)
    out = []
    for c in convs:
        contact = contacts.get(c.contact_id)
        assignee = agents.get(c.assignee_id) if c.assignee_id else None
        ticket = tickets.get(c.id)
        lm = last.get(c.id)
        out.append(
            {
                "id": c.id,
                "owner": c.owner,
                "channel": c.channel,
                "language": c.language,
                "contact": {
                    "id": c.contact_id,
                    "name": (
                        contact.name if contact and contact.name else f"Visitor #{c.contact_id}"
                    ),
                },
                "assignee": {"id": assignee.id, "name": assignee.name} if assignee else None,
                "ticket": ticket_brief(ticket) if ticket else None,
                "last_message": (
                    {
                        "text": lm.text[:200],
                        "sender": lm.sender,
                        "private": lm.private,
                        "created_at": lm.created_at.isoformat(),
                    }
                    if lm
                    else None
                ),
                "last_seq": c.last_seq,
                "labels": tags.get(c.id, []),
                "updated_at": c.last_activity_at.isoformat(),
                "created_at": c.created_at.isoformat(),
            }
        )
    return out


async def contact_names(session: Any, conv_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The contact (id and name) of each conversation, for lists of tickets."""
    rows = await session.execute(
        select(Conversation.id, Contact.id, Contact.name)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.id.in_(conv_ids))
    )
    return {cid: {"contact": {"id": k, "name": name or ""}} for cid, k, name in rows.all()}


async def agent_names(session: Any) -> dict[int, str]:
    """Every agent's name by id."""
    return {a.id: a.name for a in (await session.execute(select(Agent))).scalars()}


def ticket_json(t: Ticket, names: dict[int, str]) -> dict[str, Any]:
    """A ticket in a list: its brief, its conversation and its assignee's name."""
    data = ticket_brief(t)
    data["conversation_id"] = t.conversation_id
    data["assignee"] = (
        {"id": t.assignee_id, "name": names.get(t.assignee_id, "")} if t.assignee_id else None
    )
    return data


async def conversation_response(
    request: web.Request, conv_id: int, status: int = 200
) -> web.Response:
    """The conversation as the lists show it (after an action changed it)."""
    db = request.app[SERVICES].db
    async with db.reader() as session:
        conv = await session.get(Conversation, conv_id)
        if conv is None:
            raise NotFound(f"Conversation {conv_id} does not exist.")
        data = (await conversations_json(session, [conv]))[0]
    return json_response({"conversation": data}, status=status)
