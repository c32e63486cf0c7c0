"""Agents open tickets for a phone call or a walk-in, and link a chat to a known customer.

``POST /api/agent/tickets`` finds the customer by phone number (cleaned like imports: the
same number always finds the same customer) or creates them once, opens a ``phone`` (or
``walk_in``) conversation held by the agent with a typed ticket and its fields, and keeps the
agent's call summary as a private note. The customer's other conversations are theirs too, so
the customer 360 and the bot's "我的工单" see the ticket from any channel.

A chat does not join that customer because someone in it types the same number: an agent who
has verified the person (asked for the order, the address on the ticket...) links the chat
with ``POST /api/agent/conversations/{id}/link-contact``; the chat's customer record is then
merged into the phone customer.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import SERVICES
from core.conversations import add_reply, inbox_id, lock_conversation
from core.db import next_counter
from core.errors import BadRequest, Conflict, NotFound
from core.models import Contact, ContactIdentity, Conversation, Ticket, utcnow
from core.web import json_response, read_json, row_id
from handoff import teams
from handoff.http import current_agent
from handoff.keys import CLOCK, HANDOFF, SEEDER
from handoff.state import Owner
from intake import ticket_types
from intake.imports.cleaning import Invalid, clean_phone, clean_text
from intake.lifecycle import audit
from intake.products import merge_customers
from intake.tickets import FIRST_TICKET_NUMBER

SOURCES = ("phone", "walk_in")
PHONE_INBOX = "phone"


def _phone(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest("phone is required (the customer's mobile or landline).", code="bad_phone")
    try:
        return clean_phone(raw)
    except Invalid as err:
        raise BadRequest(f"{err}.", code="bad_phone") from None


async def contact_by_phone(session: AsyncSession, phone: str) -> Contact | None:
    """The customer with this phone: a phone identity first, else the contact's phone field."""
    by_identity = (
        await session.execute(
            select(Contact)
            .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
            .where(
                ContactIdentity.channel == "phone",
                ContactIdentity.external_id == phone,
                Contact.erased_at.is_(None),
            )
            .order_by(Contact.id)
            .limit(1)
        )
    ).scalar()
    if by_identity is not None:
        return by_identity
    return (
        await session.execute(
            select(Contact)
            .where(Contact.phone == phone, Contact.erased_at.is_(None))
            .order_by(Contact.id)
            .limit(1)
        )
    ).scalar()


async def _phone_identity(session: AsyncSession, contact: Contact, phone: str) -> int:
    inbox = await inbox_id(session, PHONE_INBOX, "phone")
    found = (
        await session.execute(
            select(ContactIdentity.id).where(
                ContactIdentity.channel == "phone",
                ContactIdentity.inbox_id == inbox,
                ContactIdentity.external_id == phone,
            )
        )
    ).scalar()
    if found is not None:
        return int(found)
    ident = ContactIdentity(
        contact_id=contact.id, channel="phone", inbox_id=inbox, external_id=phone
    )
    session.add(ident)
    await session.flush()
    return ident.id


async def open_ticket(request: web.Request) -> web.Response:
    """POST /api/agent/tickets {type, phone, name?, source?, summary?, values?} -> 201."""
    agent = await current_agent(request)
    await request.app[SEEDER](request)
    body = await read_json(request)
    type_key, source = body.get("type"), body.get("source", "phone")
    if not isinstance(type_key, str) or not type_key:
        raise BadRequest("type is required, e.g. repair.", code="bad_type")
    if source not in SOURCES:
        raise BadRequest(f"source must be one of {', '.join(SOURCES)}.", code="bad_source")
    phone = _phone(body.get("phone"))
    values = body.get("values", {})
    if not isinstance(values, dict):
        raise BadRequest("values must be an object of field key: value.", code="bad_field")
    try:
        name = clean_text(body.get("name") or "", 200)
        summary = clean_text(body.get("summary") or "", 5000)
    except Invalid as err:
        raise BadRequest(f"{err}.", code="bad_request") from None
    services = request.app[SERVICES]
    zone = ZoneInfo(services.settings.sla.timezone)
    clock = request.app[CLOCK]
    try:
        async with services.db.transaction() as session:
            kind = await ticket_types.latest_type(session, type_key)
            contact = await contact_by_phone(session, phone)
            created = contact is None
            if contact is None:
                contact = Contact(name=name, phone=phone)
                session.add(contact)
                await session.flush()
            elif not contact.name and name:
                contact.name = name
            identity = await _phone_identity(session, contact, phone)
            now = utcnow()
            conv = Conversation(
                contact_id=contact.id,
                inbox_id=await inbox_id(session, PHONE_INBOX, "phone"),
                identity_id=identity,
                channel=source,
                owner=Owner.AGENT.value,  # opened by the agent who holds it
                assignee_id=agent.id,
                last_seq=0,
                bot_state={},
                first_customer_message_at=now,
                first_agent_reply_at=now,
                last_activity_at=now,
            )
            session.add(conv)
            await session.flush()
            await clock.refresh(session)
            first_due, res_due = clock.due_times("normal", contact.tier or "normal", now)
            label = kind.name_zh
            ticket = Ticket(
                number=await next_counter(session, "ticket_number", start=FIRST_TICKET_NUMBER),
                conversation_id=conv.id,
                status="open",
                priority="normal",
                category=type_key,
                subject=(summary or label)[:120],
                reason=source,
                channel=source,
                tier=contact.tier or "normal",
                assignee_id=agent.id,
                first_response_due=first_due,
                resolution_due=res_due,
                first_response_at=now,
                created_at=now,
            )
            session.add(ticket)
            await session.flush()
            audit(
                session,
                ticket,
                "created",
                actor="agent",
                agent_id=agent.id,
                reason=source,
                new_contact=created,
            )
            _, stored, _ = await ticket_types.set_fields(session, ticket, values, zone, type_key)
            if summary:
                await add_reply(
                    session, conv, sender="agent", text=summary, private=True, agent=agent
                )
            out = {
                "ticket": {
                    "number": ticket.number,
                    "status": ticket.status,
                    "channel": source,
                    "type": ticket_types.type_json(kind),
                    "values": stored,
                },
                "conversation_id": conv.id,
                "contact": {
                    "id": contact.id,
                    "name": contact.name,
                    "phone": contact.phone,
                    "created": created,
                },
            }
    except IntegrityError:  # the same new number opened by two agents at the same moment
        raise Conflict("The customer was just created by someone else; try again.") from None
    await request.app[HANDOFF].events.conversation_updated(conv.id, "agent", conv.last_seq)
    return json_response(out, status=201)


async def link_contact(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/link-contact {phone}: the agent verified the person;
    the chat's customer record is merged into the customer with that phone."""
    agent = await current_agent(request)
    conv_id = row_id(request.match_info["id"])
    if conv_id is None:
        raise NotFound("There is no such conversation.")
    phone = _phone((await read_json(request)).get("phone"))
    async with request.app[SERVICES].db.transaction() as session:
        await teams.ensure_visible(session, agent, conv_id)
        conv = await lock_conversation(session, conv_id)
        target = await contact_by_phone(session, phone)
        if target is None:
            raise NotFound(f"No customer has the phone {phone}.", code="no_customer")
        source = conv.contact_id
        if source != target.id:
            await merge_customers(session, source, target.id)
        masked = phone[:3] + "****" + phone[-4:]
        await add_reply(
            session,
            conv,
            sender="agent",
            private=True,
            agent=agent,
            text=f"{agent.name} 已核实客户手机号 {masked}，会话已并入客户 #{target.id}。"
            f" / {agent.name} verified the phone {masked}; this chat joined customer #{target.id}.",
        )
    return json_response({"contact_id": target.id, "merged_from": source})
