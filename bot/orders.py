"""The bot's handler that answers "where is my order A1001" (the connector is core/orders.py).

The company's order system is asked over HTTP (``[orders]``: URL template, auth header,
timeout, cache time, field mapping). The answer is given only for the customer's own orders:
the order's phone or email (mapped fields) must be the contact's, otherwise the customer is
told no such order was found under their account (never whether it exists). A slow, failing
or nonsensical order system gives a polite answer within ``timeout_seconds`` (at most 4 s,
under WeChat's 5 s for a turn; at once while the connector's breaker is open) and the agents
a private note saying what went wrong. The status is told in the customer's language
(``[orders] status_names``), the order system's own text for a code it does not map.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from bot.router import Context, Handler
from core.contacts import ContactKeys
from core.domain import BotReply, BotState, BotTurn
from core.orders import (
    ASKS,
    Order,
    OrderLookup,
    OrderNotFound,
    OrderUnavailable,
)

log = logging.getLogger(__name__)

WHERE_IS_MINE = re.compile(
    r"我的(订单|快递|包裹).*(到哪|在哪|到了吗|进度|状态|怎么还没)|"
    r"\bwhere('s| is) my (order|package|parcel)\b",
    re.IGNORECASE,
)

TEXTS: dict[str, dict[str, str]] = {
    "found": {"zh": "订单 {order}：{status}。", "en": "Order {order}: {status}."},
    "carrier": {"zh": "承运商：{carrier}", "en": "Carrier: {carrier}"},
    "tracking": {"zh": "运单号：{tracking}", "en": "tracking number {tracking}"},
    "eta": {"zh": "预计送达：{eta}。", "en": "Expected: {eta}."},
    "warranty": {"zh": "保修至：{warranty_until}。", "en": "Warranty until {warranty_until}."},
    "not_found": {
        "zh": "没有在您的账户下找到订单 {order}。请核对订单号，或输入“转人工”由客服为您查询。",
        "en": "I could not find order {order} under your account. Please check the number, "
        'or type "human" and an agent will look it up.',
    },
    "unverified": {
        "zh": "为保护您的隐私，需要核对下单时的手机号或邮箱才能查询订单。"
        "请输入“转人工”，由客服为您查询。",
        "en": "To protect your privacy I can only look up orders once we know the phone or "
        'email you ordered with. Type "human" and an agent will look it up for you.',
    },
    "unavailable": {
        "zh": "抱歉，订单系统暂时无法查询，请稍后再试，或输入“转人工”。",
        "en": "Sorry, the order system cannot be reached right now. "
        'Try again later, or type "human".',
    },
    "ask_number": {
        "zh": "请告诉我您的订单号（例如 A1001），我来帮您查询。",
        "en": "Please tell me your order number (e.g. A1001) and I'll look it up.",
    },
}


def say(key: str, language: str, **values: str) -> str:
    """A connector text in ``language`` (zh or en), filled."""
    return TEXTS[key]["en" if language == "en" else "zh"].format(**values)


def answer(order: Order, language: str, status: str) -> str:
    """The customer's answer for their order, in their language (``status`` told in it)."""
    parts = [say("found", language, order=order.number, status=status)]
    sep = "，" if language != "en" else ", "
    logistics = [
        say(key, language, **{key: value})
        for key, value in (("carrier", order.carrier), ("tracking", order.tracking))
        if value
    ]
    if logistics:
        parts.append(sep.join(logistics) + ("。" if language != "en" else "."))
    if order.eta:
        parts.append(say("eta", language, eta=order.eta))
    if order.warranty_until:
        parts.append(say("warranty", language, warranty_until=order.warranty_until))
    return ("" if language != "en" else " ").join(parts)


Note = Callable[[int, str], Awaitable[None]]


async def _no_note(_conversation_id: int, _text: str) -> None:
    return None


def make_orders(
    lookup: OrderLookup, keys: Callable[[int], Awaitable[ContactKeys]], note: Note = _no_note
) -> Handler:
    """The handler: an order question with a number is answered from the order system.

    ``note`` leaves a private note for the agents when the customer could not be helped.
    """

    async def orders(ctx: Context) -> BotTurn | None:
        if not ASKS.search(ctx.text):
            return None
        number = lookup.number_in(ctx.text)
        if number is None:
            if WHERE_IS_MINE.search(ctx.text):
                return _reply(ctx, say("ask_number", ctx.language))
            return None  # a general order question: the knowledge base answers it
        known = await keys(ctx.turn.conversation_id)
        cid = ctx.turn.conversation_id
        if not (known.phone or known.email):
            await note(
                cid,
                f"订单查询：客户询问订单 {number}，但没有可核对的手机号或邮箱。/ Order lookup: "
                f"the customer asked about order {number}; no phone or email to verify it.",
            )
            return _reply(ctx, say("unverified", ctx.language))
        try:
            order = await lookup.find(number)
        except OrderNotFound:
            return _reply(ctx, say("not_found", ctx.language, order=number))
        except OrderUnavailable as err:
            log.warning("order lookup failed (conversation %s): %s", cid, err.reason)
            await note(
                cid,
                f"订单查询失败（订单 {number}）：{err.reason_zh}。客户已被告知稍后再试。"
                f"/ Order lookup failed (order {number}): {err.reason}. "
                "The customer was asked to try later.",
            )
            return _reply(ctx, say("unavailable", ctx.language))
        if not order.belongs_to(known):
            return _reply(ctx, say("not_found", ctx.language, order=number))
        status = lookup.status(order)["en" if ctx.language == "en" else "zh"]
        return _reply(ctx, answer(order, ctx.language, status))

    return orders


def _reply(ctx: Context, text: str) -> BotTurn:
    state = BotState(misses=0, language=ctx.language)
    return BotTurn((BotReply(text),), state, ctx.language, None)
