"""Work orders in the console's API: the products on a customer (issue 17).

Routes (session-authenticated, CSRF-checked like the rest of ``/api/agent``):

- ``GET /api/agent/contacts/{id}/products``: the customer's products with warranty state
- ``POST /api/agent/contacts/{id}/products``: add one (the import's cleaning)
- ``PATCH /api/agent/products/{id}``: edit; the warranty is recomputed
- ``DELETE /api/agent/products/{id}``

An agent sees a customer's products when they may see one of the customer's conversations
(supervisors and admins: every customer); a customer with no conversation yet (imported) is
visible to every agent.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import SERVICES
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.models import Agent, Contact, Conversation, Ticket
from core.web import json_response, read_json, row_id
from handoff import teams
from handoff.http import current_agent, path_id
from handoff.keys import SEEDER, WARRANTY
from intake import ticket_types
from intake.products import (
    add_product,
    contact_products,
    edit_product,
    product_by_id,
    product_json,
    product_names,
    product_values,
)
from intake.tickets import ticket_by_number

MAX_LISTED = 500


def _zone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[SERVICES].settings.sla.timezone)


async def ensure_contact_visible(session: AsyncSession, agent: Agent, contact_id: int) -> Contact:
    """The contact; NotFound, or Forbidden when all its conversations are another team's."""
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        raise NotFound(f"Customer {contact_id} does not exist.", code="no_customer")
    if agent.role in teams.SEE_ALL:
        return contact
    convs = select(Conversation.id).where(Conversation.contact_id == contact_id)
    if (await session.execute(convs.limit(1))).scalar() is None:
        return contact
    if (await session.execute(convs.where(teams.visible(agent)).limit(1))).scalar() is None:
        raise Forbidden(teams.OTHER_TEAM, code="other_team")
    return contact


async def list_products(request: web.Request) -> web.Response:
    """GET /api/agent/contacts/{id}/products."""
    agent = await current_agent(request)
    contact_id = path_id(request, "There is no such customer.")
    today = datetime.now(_zone(request)).date()
    async with request.app[SERVICES].db.reader() as session:
        await ensure_contact_visible(session, agent, contact_id)
        products = await contact_products(session, contact_id)
    return json_response({"products": [product_json(p, today) for p in products]})


async def add_product_route(request: web.Request) -> web.Response:
    """POST /api/agent/contacts/{id}/products {model, serial, purchase_date, ...} -> 201."""
    agent = await current_agent(request)
    contact_id = path_id(request, "There is no such customer.")
    values = product_values(await read_json(request), _zone(request), partial=False)
    today = datetime.now(_zone(request)).date()
    async with request.app[SERVICES].db.transaction() as session:
        await ensure_contact_visible(session, agent, contact_id)
        product = await add_product(session, contact_id, values, request.app[WARRANTY])
        out = product_json(product, today)
    return json_response({"product": out}, status=201)


async def _product(session: AsyncSession, agent: Agent, request: web.Request) -> Any:
    product = await product_by_id(session, path_id(request, "There is no such product."))
    await ensure_contact_visible(session, agent, product.contact_id)
    return product


async def edit_product_route(request: web.Request) -> web.Response:
    """PATCH /api/agent/products/{id}: change the fields given; the warranty is recomputed."""
    agent = await current_agent(request)
    values = product_values(await read_json(request), _zone(request), partial=True)
    today = datetime.now(_zone(request)).date()
    async with request.app[SERVICES].db.transaction() as session:
        product = await _product(session, agent, request)
        await edit_product(session, product, values, request.app[WARRANTY])
        out = product_json(product, today)
    return json_response({"product": out})


async def delete_product(request: web.Request) -> web.Response:
    """DELETE /api/agent/products/{id}."""
    agent = await current_agent(request)
    async with request.app[SERVICES].db.transaction() as session:
        product = await _product(session, agent, request)
        await session.delete(product)
    return json_response({"deleted": True})


# -- ticket types and fields -------------------------------------------------------------------


@web.middleware
async def agent_language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Messages for agents (a required field) in the console's language: its ``kefu_lang``
    cookie, else the browser's Accept-Language, else Chinese."""
    if not request.path.startswith(("/api/agent/", "/api/admin/")):
        return await handler(request)
    lang = request.cookies.get("kefu_lang", "")
    if lang not in ("zh", "en"):
        first = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
        lang = "en" if first.startswith("en") else "zh"
    token = ticket_types.LANGUAGE.set(lang)
    try:
        return await handler(request)
    finally:
        ticket_types.LANGUAGE.reset(token)


def _number(request: web.Request) -> int:
    value = row_id(request.match_info["number"])
    if value is None:
        raise NotFound("There is no such ticket.")
    return value


async def list_types(request: web.Request) -> web.Response:
    """GET /api/agent/ticket-types: the newest version of every type."""
    await current_agent(request)
    await request.app[SEEDER](request)
    async with request.app[SERVICES].db.reader() as session:
        types = await ticket_types.latest_types(session)
    return json_response({"types": [ticket_types.type_json(t) for t in types]})


async def put_type(request: web.Request) -> web.Response:
    """PUT /api/admin/ticket-types/{key} {name: {zh, en}, fields: [...]} (admin): a version."""
    agent = await current_agent(request)
    if agent.role != "admin":
        raise Forbidden("This needs the admin role.", code="role_required")
    await request.app[SEEDER](request)
    body = await read_json(request)
    try:
        async with request.app[SERVICES].db.transaction() as session:
            row = await ticket_types.new_version(
                session, request.match_info["key"], body.get("name"), body.get("fields"), agent.id
            )
            out = ticket_types.type_json(row)
    except IntegrityError:
        raise Conflict("The type was changed at the same moment; try again.") from None
    return json_response({"type": out}, status=201)


async def _fields_body(session: AsyncSession, ticket: Ticket) -> dict[str, object]:
    kind = await ticket_types.ticket_type(session, ticket)
    values = (await ticket_types.values_of(session, [ticket.id]))[ticket.id]
    return {
        "number": ticket.number,
        "status": ticket.status,
        "type": ticket_types.type_json(kind) if kind else None,
        "values": values,
    }


async def get_fields(request: web.Request) -> web.Response:
    """GET /api/agent/tickets/{number}/fields: the ticket's type (its version) and values."""
    agent = await current_agent(request)
    await request.app[SEEDER](request)
    async with request.app[SERVICES].db.reader() as session:
        ticket = await ticket_by_number(session, _number(request))
        await teams.ensure_visible(session, agent, ticket.conversation_id)
        return json_response(await _fields_body(session, ticket))


async def put_fields(request: web.Request) -> web.Response:
    """PUT /api/agent/tickets/{number}/fields {type?, values: {key: value}}."""
    agent = await current_agent(request)
    await request.app[SEEDER](request)
    body = await read_json(request)
    type_key, values = body.get("type"), body.get("values", {})
    if type_key is not None and not isinstance(type_key, str):
        raise BadRequest("type must be a type key, e.g. repair.", code="bad_type")
    if not isinstance(values, dict):
        raise BadRequest("values must be an object of field key: value.", code="bad_field")
    async with request.app[SERVICES].db.transaction() as session:
        ticket = await ticket_by_number(session, _number(request))
        await teams.ensure_visible(session, agent, ticket.conversation_id)
        await ticket_types.retype(session, ticket, values, _zone(request), type_key, agent.id)
        out = await _fields_body(session, ticket)
    return json_response(out)


def _filtered(request: web.Request, agent: Agent) -> Select[Ticket, Any]:
    query = ticket_types.typed_tickets(teams.visible(agent), request.query)
    return query.limit(MAX_LISTED)


async def list_workorders(request: web.Request) -> web.Response:
    """GET /api/agent/workorders?type=&status=&field.<key>=: typed tickets with their values."""
    agent = await current_agent(request)
    async with request.app[SERVICES].db.reader() as session:
        rows = (await session.execute(_filtered(request, agent))).all()
        values = await ticket_types.values_of(session, [t.id for t, _ in rows])
    return json_response(
        {
            "tickets": [
                {
                    "number": t.number,
                    "status": t.status,
                    "priority": t.priority,
                    "conversation_id": t.conversation_id,
                    "created_at": t.created_at.isoformat(),
                    "type": {
                        "key": k.key,
                        "version": k.version,
                        "name": {"zh": k.name_zh, "en": k.name_en},
                    },
                    "values": values[t.id],
                }
                for t, k in rows
            ]
        }
    )


async def export_workorders(request: web.Request) -> web.Response:
    """GET /api/agent/workorders/export?type=...: the same tickets as CSV (supervisor, admin);
    one column per field, headed in the agent's language."""
    agent = await current_agent(request)
    if agent.role not in teams.SEE_ALL:
        raise Forbidden("This needs the supervisor or admin role.", code="role_required")
    lang = ticket_types.LANGUAGE.get()
    zone = _zone(request)
    async with request.app[SERVICES].db.reader() as session:
        rows = (await session.execute(_filtered(request, agent))).all()
        values = await ticket_types.values_of(session, [t.id for t, _ in rows])
        columns: dict[str, str] = {}
        products: set[str] = set()
        for _, kind in sorted(rows, key=lambda r: -r[1].version):
            for f in kind.fields:
                columns.setdefault(f["key"], f["label"]["en" if lang == "en" else "zh"])
                if f["kind"] == "product":
                    products.add(f["key"])
        # A product field holds the product's id; a person reading the file needs its model
        # and serial.
        ids = {int(v[k]) for v in values.values() for k in products if v.get(k, "").isdigit()}
        named = await product_names(session, ids)
    for vals in values.values():
        for key in products & vals.keys():
            vals[key] = named.get(vals[key], vals[key])
    head = (
        ["number", "status", "created_at", "type"]
        if lang == "en"
        else [
            "工单号",
            "状态",
            "创建时间",
            "类型",
        ]
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*head, *columns.values()])
    for t, kind in rows:
        name = kind.name_en if lang == "en" else kind.name_zh
        when = t.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        writer.writerow(
            [t.number, t.status, when, name, *(values[t.id].get(k, "") for k in columns)]
        )
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="workorders.csv"'},
    )
