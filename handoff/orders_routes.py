"""The console's orders panel: the customer's orders beside the conversation.

``GET /api/agent/conversations/{id}/orders[?number=A1001]`` asks the company's order system
through the connector the bot uses (``core.orders.OrderLookup``: the same URL, auth header,
timeout, cache and circuit breaker) about the order numbers the customer asked about in this
conversation (the messages the bot's order handler would read), plus one number the agent
typed, and, when ``[orders] list_url_template`` is set, for the customer's recent orders (by
the phone or email we know). The asked-about orders come first (``"asked": true``), then the
recent ones not already shown. All lookups run side by side, so the panel waits at most
``[orders] timeout_seconds``.

Each order comes back in one of four states, for the panel to tell the agent plainly:
``found`` (the customer's own order: the order's phone or email is the contact's), ``other``
(the order exists but its phone/email is not this customer's: no details shown),
``not_found`` and ``unavailable`` (slow, down or nonsense, with the reason). The list of
recent orders has its own state (``recent``): ``listed``, ``unavailable`` (with the reason),
``unverifiable`` (no phone or email the list can be asked by) or ``off`` (no list endpoint).
The order's own phone and email are never sent to the console.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlalchemy import select

from core.contacts import ContactKeys, contact_keys
from core.context import SERVICES
from core.errors import BadRequest
from core.models import Message
from core.orders import ASKS, Order, OrderLookup, OrderNotFound, OrderUnavailable
from core.web import json_response
from handoff import teams
from handoff.http import conversation_id, current_agent
from handoff.keys import ORDERS

MAX_ORDERS = 5  # order numbers looked up per panel
READ_MESSAGES = 200  # the customer's latest messages searched for order numbers


async def asked_numbers(session: Any, lookup: OrderLookup, conversation_id: int) -> list[str]:
    """Order numbers the customer asked about, newest first, each once."""
    texts = (
        await session.execute(
            select(Message.text)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == "in",
                Message.private.is_(False),
            )
            .order_by(Message.seq.desc())
            .limit(READ_MESSAGES)
        )
    ).scalars()
    out: list[str] = []
    for text in texts:
        if not text or not ASKS.search(text):
            continue  # like the bot: a phone number alone is not an order question
        number = lookup.number_in(text)
        if number and number not in out:
            out.append(number)
    return out


def order_json(lookup: OrderLookup, order: Order, asked: bool) -> dict[str, Any]:
    """One of the customer's own orders as the panel shows it (status in zh and en)."""
    return {
        "number": order.number,
        "state": "found",
        "asked": asked,
        "status": order.status,
        "status_words": lookup.status(order),
        "carrier": order.carrier,
        "tracking": order.tracking,
        "eta": order.eta,
        "warranty_until": order.warranty_until,
        "ordered_at": order.ordered_at,
        "summary": order.summary,
    }


def _why(err: OrderUnavailable) -> dict[str, Any]:
    """Why the order system failed: ``reason`` in English (as before) and ``reasons`` in both
    languages for the console."""
    return {"reason": err.reason, "reasons": err.reasons}


async def look_up(lookup: OrderLookup, number: str, keys: ContactKeys) -> dict[str, Any]:
    """One asked-about order's panel entry, whatever the order system does; another
    customer's order shows no details."""
    try:
        order = await lookup.find(number)
    except OrderNotFound:
        return {"number": number, "state": "not_found", "asked": True}
    except OrderUnavailable as err:
        return {"number": number, "state": "unavailable", "asked": True, **_why(err)}
    if not order.belongs_to(keys):
        return {"number": number, "state": "other", "asked": True}
    return order_json(lookup, order, True)


async def recent(lookup: OrderLookup, keys: ContactKeys) -> tuple[dict[str, Any], list[Order]]:
    """The customer's recent orders and the list's state for the panel."""
    if not lookup.settings.list_url_template:
        return {"state": "off"}, []
    if not lookup.lists(keys):
        return {"state": "unverifiable"}, []
    try:
        return {"state": "listed"}, await lookup.recent(keys)
    except OrderUnavailable as err:
        return {"state": "unavailable", **_why(err)}, []


async def conversation_orders(request: web.Request) -> web.Response:
    """GET /api/agent/conversations/{id}/orders?number=: the panel's orders."""
    agent = await current_agent(request)
    conv_id = conversation_id(request)
    lookup = request.app.get(ORDERS)
    services = request.app[SERVICES]
    async with services.db.reader() as session:
        await teams.ensure_visible(session, agent, conv_id)
        if lookup is None:
            return json_response(
                {"configured": False, "orders": [], "recent": {"state": "off"}, "verifiable": False}
            )
        numbers = await asked_numbers(session, lookup, conv_id)
    typed = request.query.get("number", "").strip()
    if typed:
        if len(typed) > 40 or not lookup.pattern.fullmatch(typed):
            raise BadRequest(
                "That is not an order number. 这不是有效的订单号。", code="bad_order_number"
            )
        numbers = [typed, *[n for n in numbers if n != typed]]
    keys = await contact_keys(services.db, conv_id)
    asked = asyncio.gather(*(look_up(lookup, n, keys) for n in numbers[:MAX_ORDERS]))
    found, (state, listed) = await asyncio.gather(asked, recent(lookup, keys))
    shown = {entry["number"] for entry in found}
    found.extend(order_json(lookup, o, False) for o in listed if o.number not in shown)
    return json_response(
        {
            "configured": True,
            "orders": found,
            "recent": state,
            "verifiable": bool(keys.phone or keys.email),
        }
    )
