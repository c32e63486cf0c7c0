"""The public REST API, version 1: contacts, tickets, conversations, the reports summary.

Every handler is an :func:`api.auth.endpoint` (bearer token, scope, rate limit, audit,
idempotency keys). Changes go through the same services as the console's (``handoff``,
``intake``), acting for the admin who created the token, so the owner rules, the audit
trail, the SLA and the customer's notices are the same whoever asks. Errors have the one
shape ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from api.auth import Caller, endpoint
from api.contacts import (
    contact_fields,
    contact_for_ticket,
    contact_json,
    create_contact,
    find_contacts,
    update_contact,
)
from api.store import is_count, list_tickets, new_ticket, open_api_ticket, ticket_filter
from api.ticket_fields import fields_of, names_type, need_type, type_json
from core.context import SERVICES
from core.conversations import messages_after
from core.errors import BadRequest, NotFound, PayloadTooLarge
from core.models import Agent, Contact, Conversation, Ticket
from core.web import json_object, json_response, row_id
from handoff.desk import DeskActions
from handoff.http import report_period
from handoff.keys import HANDOFF, SEEDER, WARRANTY
from handoff.views import message_json, ticket_brief
from intake import reports, ticket_types
from intake.products import (
    add_product,
    contact_products,
    edit_product,
    merge_customers,
    product_by_id,
    product_json,
    product_values,
)
from intake.tickets import ticket_by_number

MAX_BODY = 65_536


async def body_json(request: web.Request) -> dict[str, Any]:
    """The JSON object body (read once and cached: idempotency hashed the same bytes)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise PayloadTooLarge(f"The request body is larger than {MAX_BODY} bytes.")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise PayloadTooLarge(f"The request body is larger than {MAX_BODY} bytes.")
    return json_object(raw)


def _zone(request: web.Request) -> ZoneInfo:
    """The desk's time zone (``[sla] timezone``): dates in fields and products."""
    return ZoneInfo(request.app[SERVICES].settings.sla.timezone)


def _path_int(request: web.Request, name: str, what: str) -> int:
    value = row_id(request.match_info[name])
    if value is None:
        raise NotFound(f"There is no such {what}.")
    return value


async def ticket_json(session: Any, t: Ticket) -> dict[str, Any]:
    """A ticket as the public API shows it: the console's fields plus its people."""
    conv = await session.get(Conversation, t.conversation_id)
    assignee = await session.get(Agent, t.assignee_id) if t.assignee_id else None
    return {
        **ticket_brief(t),
        "conversation_id": t.conversation_id,
        "contact_id": conv.contact_id if conv else None,
        "assignee": {"id": assignee.id, "name": assignee.name} if assignee else None,
        "reason": t.reason,
        "updated_at": t.updated_at.isoformat() if t.updated_at else None,
        "closed_at": t.closed_at.isoformat() if t.closed_at else None,
        **await type_json(session, t),
    }


async def _ticket_response(request: web.Request, number: int, status: int = 200) -> web.Response:
    async with request.app[SERVICES].db.reader() as session:
        ticket = await ticket_by_number(session, number)
        return json_response({"ticket": await ticket_json(session, ticket)}, status=status)


# -- contacts ----------------------------------------------------------------------------


@endpoint("contacts", "write")
async def post_contact(request: web.Request, caller: Caller) -> web.Response:
    """POST /api/v1/contacts {"name","email","phone","company","note","tier","language"}."""
    fields = contact_fields(await body_json(request), partial=False)
    async with request.app[SERVICES].db.transaction() as session:
        contact = await create_contact(session, fields)
        out = contact_json(contact)
    return json_response({"contact": out}, status=201)


@endpoint("contacts", "read")
async def get_contacts(request: web.Request, caller: Caller) -> web.Response:
    """GET /api/v1/contacts?phone=|email=|external_id=: the contacts with any of them."""
    q = request.query
    async with request.app[SERVICES].db.reader() as session:
        found = await find_contacts(
            session, email=q.get("email"), phone=q.get("phone"), external_id=q.get("external_id")
        )
    return json_response({"contacts": [contact_json(c) for c in found]})


@endpoint("contacts", "read")
async def get_contact(request: web.Request, caller: Caller) -> web.Response:
    """GET /api/v1/contacts/{id}."""
    async with request.app[SERVICES].db.reader() as session:
        contact = await session.get(Contact, _path_int(request, "id", "contact"))
    if contact is None:
        raise NotFound("There is no such contact.")
    return json_response({"contact": contact_json(contact)})


@endpoint("contacts", "write")
async def patch_contact(request: web.Request, caller: Caller) -> web.Response:
    """PATCH /api/v1/contacts/{id}: change the fields given."""
    fields = contact_fields(await body_json(request), partial=True)
    async with request.app[SERVICES].db.transaction() as session:
        contact = await update_contact(session, _path_int(request, "id", "contact"), fields)
        out = contact_json(contact)
    return json_response({"contact": out})


@endpoint("contacts", "write")
async def merge_contact(request: web.Request, caller: Caller) -> web.Response:
    """POST /api/v1/contacts/{id}/merge {"into": id}: this contact becomes part of the other."""
    into = (await body_json(request)).get("into")
    if not isinstance(into, int) or isinstance(into, bool) or not 0 < into < 2**31:
        raise BadRequest("into must be the id of the contact to keep.", code="bad_into")
    async with request.app[SERVICES].db.transaction() as session:
        kept = await merge_customers(session, _path_int(request, "id", "contact"), into)
        out = contact_json(kept)
    return json_response({"contact": out})


# -- products (the work orders' records of what a customer owns) -------------------------


async def _live_contact(session: Any, contact_id: int) -> Contact:
    contact: Contact | None = await session.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        raise NotFound("There is no such contact.")
    return contact


def _today(request: web.Request) -> date:
    return datetime.now(_zone(request)).date()


@endpoint("contacts", "read")
async def get_products(request: web.Request, caller: Caller) -> web.Response:
    """GET /api/v1/contacts/{id}/products: what the contact owns, with the warranty state."""
    contact_id = _path_int(request, "id", "contact")
    async with request.app[SERVICES].db.reader() as session:
        await _live_contact(session, contact_id)
        products = await contact_products(session, contact_id)
    today = _today(request)
    return json_response({"products": [product_json(p, today) for p in products]})


@endpoint("contacts", "write")
async def post_product(request: web.Request, caller: Caller) -> web.Response:
    """POST /api/v1/contacts/{id}/products {"model", "serial", "purchase_date", ...}: the
    same cleaning and warranty rules as the import and the console."""
    contact_id = _path_int(request, "id", "contact")
    zone = _zone(request)
    values = product_values(await body_json(request), zone, partial=False)
    async with request.app[SERVICES].db.transaction() as session:
        await _live_contact(session, contact_id)
        product = await add_product(session, contact_id, values, request.app[WARRANTY])
        out = product_json(product, _today(request))
    return json_response({"product": out}, status=201)


@endpoint("contacts", "write")
async def patch_product(request: web.Request, caller: Caller) -> web.Response:
    """PATCH /api/v1/products/{id}: change the fields given; the warranty is recomputed."""
    zone = _zone(request)
    values = product_values(await body_json(request), zone, partial=True)
    async with request.app[SERVICES].db.transaction() as session:
        product = await product_by_id(session, _path_int(request, "id", "product"))
        await edit_product(session, product, values, request.app[WARRANTY])
        out = product_json(product, _today(request))
    return json_response({"product": out})


# -- tickets -----------------------------------------------------------------------------


@endpoint("tickets", "write")
async def post_ticket(request: web.Request, caller: Caller) -> web.Response:
    """POST /api/v1/tickets {"contact", "subject", "text", "type"?, "fields"?, "priority"?}."""
    body = await body_json(request)
    req, fields = new_ticket(body), fields_of(body)
    handoff = request.app[HANDOFF]
    await request.app[SEEDER](request)
    async with request.app[SERVICES].db.transaction() as session:
        contact = await contact_for_ticket(session, body.get("contact"))
        ticket, conv = await open_api_ticket(session, handoff.settings, handoff.clock, req, contact)
        if fields is not None or await names_type(session, req.category):
            key = need_type(req.category)
            await ticket_types.set_fields(session, ticket, fields or {}, _zone(request), key)
        number = ticket.number
    await handoff.events.conversation_updated(conv.id, conv.owner, conv.last_seq)
    return await _ticket_response(request, number, status=201)


@endpoint("tickets", "read")
async def get_tickets(request: web.Request, caller: Caller) -> web.Response:
    """GET /api/v1/tickets?status=&priority=&assignee_id=&contact_id=&limit=&cursor=."""
    f = ticket_filter(request.query)
    async with request.app[SERVICES].db.reader() as session:
        rows, cursor = await list_tickets(session, f)
        out = [await ticket_json(session, t) for t, _ in rows]
    return json_response({"tickets": out, "next_cursor": cursor})


@endpoint("tickets", "read")
async def get_ticket(request: web.Request, caller: Caller) -> web.Response:
    """GET /api/v1/tickets/{number}."""
    return await _ticket_response(request, _path_int(request, "number", "ticket"))


@endpoint("tickets", "write")
async def patch_ticket(request: web.Request, caller: Caller) -> web.Response:
    """PATCH /api/v1/tickets/{number} {"priority"?, "type"?, "fields"?, "assignee_id"?}."""
    number = _path_int(request, "number", "ticket")
    body = await body_json(request)
    fields = fields_of(body)
    priority = body.get("priority")
    category = body.get("type", body.get("category"))
    assignee = body.get("assignee_id")
    if priority is not None and not isinstance(priority, str):
        raise BadRequest("priority must be normal, high or urgent.", code="bad_priority")
    if category is not None and (not isinstance(category, str) or len(category) > 64):
        raise BadRequest("type must be at most 64 characters.", code="bad_type")
    if assignee is not None and (
        not isinstance(assignee, int) or isinstance(assignee, bool) or not 0 < assignee < 2**31
    ):
        raise BadRequest("assignee_id must be an agent's id.", code="bad_assignee")
    desk = DeskActions(request.app[HANDOFF])
    await request.app[SEEDER](request)
    async with request.app[SERVICES].db.transaction() as session:
        ticket = await ticket_by_number(session, number)
        if fields is not None or await names_type(session, category):
            values, zone = fields or {}, _zone(request)
            await ticket_types.retype(session, ticket, values, zone, category, caller.agent.id)
    if priority is not None or category is not None:
        await desk.update_ticket(caller.agent, number, priority=priority, category=category)
    if assignee is not None and assignee != ticket.assignee_id:
        await desk.transfer(caller.agent, ticket.conversation_id, assignee)
    return await _ticket_response(request, number)


@endpoint("tickets", "write")
async def post_ticket_status(request: web.Request, caller: Caller) -> web.Response:
    """POST /api/v1/tickets/{number}/status {"status"}: the console's state machine."""
    number = _path_int(request, "number", "ticket")
    status = (await body_json(request)).get("status")
    if not isinstance(status, str):
        raise BadRequest("status must be a ticket status.", code="bad_status")
    await DeskActions(request.app[HANDOFF]).set_ticket_status(caller.agent, number, status)
    return await _ticket_response(request, number)


@endpoint("tickets", "write")
async def post_ticket_comment(request: web.Request, caller: Caller) -> web.Response:
    """POST /api/v1/tickets/{number}/comments {"text", "public"}: a reply or a private note."""
    number = _path_int(request, "number", "ticket")
    body = await body_json(request)
    public = body.get("public", False)
    if not isinstance(public, bool):
        raise BadRequest("public must be true or false.", code="bad_public")
    async with request.app[SERVICES].db.reader() as session:
        ticket = await ticket_by_number(session, number)
    msg = await _send(request, caller, ticket.conversation_id, body.get("text"), not public)
    return json_response({"message": message_json(msg)}, status=201)


# -- conversations -----------------------------------------------------------------------


async def _send(
    request: web.Request, caller: Caller, conversation_id: int, text: Any, private: bool
) -> Any:
    """A reply through the customer's channel (the outbox), or a private note."""
    if not isinstance(text, str):
        raise BadRequest("text must be a string.", code="bad_text")
    async with request.app[SERVICES].db.reader() as session:
        conv = await session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound("There is no such conversation.")
    return await request.app[HANDOFF].reply(caller.agent, conversation_id, text, private=private)


@endpoint("conversations", "write")
async def post_message(request: web.Request, caller: Caller) -> web.Response:
    """POST /api/v1/conversations/{id}/messages {"text", "private"?}."""
    cid = _path_int(request, "id", "conversation")
    body = await body_json(request)
    private = body.get("private", False)
    if not isinstance(private, bool):
        raise BadRequest("private must be true or false.", code="bad_private")
    msg = await _send(request, caller, cid, body.get("text"), private)
    return json_response({"message": message_json(msg)}, status=201)


@endpoint("conversations", "read")
async def get_messages(request: web.Request, caller: Caller) -> web.Response:
    """GET /api/v1/conversations/{id}/messages?after=<seq>&limit=: messages after a cursor."""
    cid = _path_int(request, "id", "conversation")
    raw_after, raw_limit = request.query.get("after", "0"), request.query.get("limit", "100")
    if (
        not (raw_after == "0" or is_count(raw_after))
        or not is_count(raw_limit)
        or int(raw_limit) > 500
    ):
        raise BadRequest("after must be a seq (0 or more), limit 1-500.", code="bad_query")
    after = min(int(raw_after), 2**31 - 1)
    async with request.app[SERVICES].db.reader() as session:
        conv = await session.get(Conversation, cid)
        if conv is None:
            raise NotFound("There is no such conversation.")
        msgs = await messages_after(session, cid, after, include_private=True, limit=int(raw_limit))
    return json_response(
        {
            "conversation": {
                "id": conv.id,
                "owner": conv.owner,
                "channel": conv.channel,
                "contact_id": conv.contact_id,
                "last_seq": conv.last_seq,
            },
            "messages": [message_json(m) for m in msgs],
            "next_after": msgs[-1].seq if msgs else after,
        }
    )


# -- reports -----------------------------------------------------------------------------


@endpoint("reports", "read")
async def get_summary(request: web.Request, caller: Caller) -> web.Response:
    """GET /api/v1/reports/summary?from=&to=: the dashboard's numbers."""
    start, end, tz = report_period(request)
    async with request.app[SERVICES].db.reader() as session:
        result = await reports.summary(session, start, end, tz)
        backlog = await reports.backlog_now(session)
    return json_response({**result.to_json(), "backlog_now": backlog})
