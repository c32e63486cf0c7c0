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

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import SERVICES
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.models import Agent, Contact, Conversation, Product
from core.web import json_response, read_json, row_id
from handoff import teams
from handoff.auth import SESSIONS, check_csrf
from intake.imports.cleaning import Invalid
from intake.products import (
    EDITABLE,
    apply_warranty,
    clean_product,
    contact_products,
    product_json,
    serial_owner,
)
from intake.warranty import Warranty

WARRANTY = web.AppKey("warranty", Warranty)


async def _agent(request: web.Request) -> Agent:
    check_csrf(request)
    return await request.app[SESSIONS].agent(request)


def _id(request: web.Request, missing: str) -> int:
    value = row_id(request.match_info["id"])
    if value is None:
        raise NotFound(missing)
    return value


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


def _clean(body: dict[str, object], zone: ZoneInfo, partial: bool) -> dict[str, object]:
    unknown = sorted(set(body) - set(EDITABLE))
    if unknown:
        raise BadRequest(
            f"Unknown product fields: {', '.join(unknown)}; known: {', '.join(EDITABLE)}.",
            code="bad_product",
        )
    raw = {k: v for k, v in body.items() if v is None or isinstance(v, str | int | float)}
    if len(raw) != len(body):
        raise BadRequest("Product fields are text.", code="bad_product")
    try:
        return clean_product(raw, zone, partial=partial)
    except Invalid as err:
        raise BadRequest(f"Product: {err}.", code="bad_product") from None


async def _check_serial(session: AsyncSession, serial: object, product_id: int | None) -> None:
    if not isinstance(serial, str) or not serial:
        return
    other = await serial_owner(session, serial)
    if other is not None and other.id != product_id:
        raise Conflict(f"Serial {serial} is already recorded.", code="serial_taken")


async def list_products(request: web.Request) -> web.Response:
    """GET /api/agent/contacts/{id}/products."""
    agent = await _agent(request)
    contact_id = _id(request, "There is no such customer.")
    today = datetime.now(_zone(request)).date()
    async with request.app[SERVICES].db.reader() as session:
        await ensure_contact_visible(session, agent, contact_id)
        products = await contact_products(session, contact_id)
    return json_response({"products": [product_json(p, today) for p in products]})


async def add_product(request: web.Request) -> web.Response:
    """POST /api/agent/contacts/{id}/products {model, serial, purchase_date, ...} -> 201."""
    agent = await _agent(request)
    contact_id = _id(request, "There is no such customer.")
    values = _clean(await read_json(request), _zone(request), partial=False)
    today = datetime.now(_zone(request)).date()
    try:
        async with request.app[SERVICES].db.transaction() as session:
            await ensure_contact_visible(session, agent, contact_id)
            await _check_serial(session, values.get("serial"), None)
            product = Product(contact_id=contact_id, **values)
            apply_warranty(product, request.app[WARRANTY])
            session.add(product)
            await session.flush()
            out = product_json(product, today)
    except IntegrityError:  # the same serial written at the same moment
        raise Conflict("That serial is already recorded.", code="serial_taken") from None
    return json_response({"product": out}, status=201)


async def _product(session: AsyncSession, agent: Agent, request: web.Request) -> Product:
    product = await session.get(Product, _id(request, "There is no such product."))
    if product is None:
        raise NotFound("There is no such product.", code="no_product")
    await ensure_contact_visible(session, agent, product.contact_id)
    return product


async def edit_product(request: web.Request) -> web.Response:
    """PATCH /api/agent/products/{id}: change the fields given; the warranty is recomputed."""
    agent = await _agent(request)
    values = _clean(await read_json(request), _zone(request), partial=True)
    today = datetime.now(_zone(request)).date()
    try:
        async with request.app[SERVICES].db.transaction() as session:
            product = await _product(session, agent, request)
            await _check_serial(session, values.get("serial"), product.id)
            for key, value in values.items():
                setattr(product, key, value)
            apply_warranty(product, request.app[WARRANTY])
            await session.flush()
            out = product_json(product, today)
    except IntegrityError:
        raise Conflict("That serial is already recorded.", code="serial_taken") from None
    return json_response({"product": out})


async def delete_product(request: web.Request) -> web.Response:
    """DELETE /api/agent/products/{id}."""
    agent = await _agent(request)
    async with request.app[SERVICES].db.transaction() as session:
        product = await _product(session, agent, request)
        await session.delete(product)
    return json_response({"deleted": True})


def setup(app: web.Application) -> None:
    """Mount the work-order routes."""
    app[WARRANTY] = Warranty(app[SERVICES].settings.workorders.warranty_rules)
    r = app.router
    r.add_get("/api/agent/contacts/{id}/products", list_products)
    r.add_post("/api/agent/contacts/{id}/products", add_product)
    r.add_patch("/api/agent/products/{id}", edit_product)
    r.add_delete("/api/agent/products/{id}", delete_product)
