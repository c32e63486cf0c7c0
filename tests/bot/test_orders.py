"""The bot answers "where is my order" from a local order system speaking the documented ERP
JSON (docs/orders.md): the customer's own orders only; a slow, failing or nonsensical order
system gets a polite answer in time."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update

from core.context import SERVICES
from core.models import Contact, Conversation, Message
from tests.conftest import make_settings
from tests.helpers import Visitor

ORDERS = {
    "A1001": {
        "order_no": "A1001",
        "status": "shipped",
        "status_text": "已发货",
        "logistics": {"company": "顺丰速运", "tracking_no": "SF1234567890"},
        "eta": "2026-12-05",
        "buyer": {"mobile": "+86 138-0013-8000", "email": "wang@example.cn"},
    },
    "B2002": {
        "order_no": "B2002",
        "status": "paid",
        "status_text": "待发货",
        "buyer": {"mobile": "13900000000"},
    },
}


class FakeErp:
    """The company's order system: GET /api/orders/{no} with a bearer token."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []
        self.never = asyncio.Event()  # the slow order never answers (until the test ends)

    async def order(self, request: web.Request) -> web.Response:
        number = request.match_info["no"]
        self.asked.append((number, request.headers.get("Authorization", "")))
        if request.headers.get("Authorization") != "Bearer erp-secret":
            return web.json_response({"code": 401, "message": "unauthorized"}, status=401)
        if number == "E5000":
            return web.json_response({"code": 500, "message": "db down"}, status=500)
        if number == "T7777":
            await self.never.wait()
        if number == "G9999":
            return web.Response(text="<html>maintenance</html>", content_type="text/html")
        if number not in ORDERS:
            return web.json_response({"code": 404, "message": "no such order"}, status=404)
        return web.json_response({"code": 0, "data": ORDERS[number]})


@pytest.fixture
async def erp(aiohttp_server: Any) -> AsyncIterator[tuple[FakeErp, str]]:
    fake = FakeErp()
    app = web.Application()
    app.router.add_get("/api/orders/{no}", fake.order)
    server = await aiohttp_server(app)
    yield fake, f"http://127.0.0.1:{server.port}/api/orders/{{order}}"
    fake.never.set()


@pytest.fixture
async def shop(
    tmp_path: Path, demo_data_dir: Path, embedder: Any, aiohttp_client: Any, erp: Any
) -> Any:
    from core.app import create_app

    data = tmp_path / "data"
    shutil.copytree(demo_data_dir, data)
    settings = make_settings(
        data,
        orders={
            "url_template": erp[1],
            "auth_header": "Authorization: Bearer erp-secret",
            "timeout_seconds": 0.5,
        },
    )
    return await aiohttp_client(create_app(settings, embedder=embedder))


async def known_customer(client: Any, phone: str | None) -> Visitor:
    v = await Visitor(client).start()
    async with client.app[SERVICES].db.transaction() as session:
        contact_id = (
            (
                await session.execute(
                    Conversation.__table__.select().where(Conversation.id == v.conversation_id)
                )
            )
            .one()
            ._mapping["contact_id"]
        )
        await session.execute(update(Contact).where(Contact.id == contact_id).values(phone=phone))
    return v


async def test_own_order_is_answered_and_others_are_not_revealed(shop: Any, erp: Any) -> None:
    fake, _ = erp
    v = await known_customer(shop, "13800138000")
    found = await v.reply_to("我的订单 A1001 到哪了")
    assert found["text"] == (
        "订单 A1001：已发货。承运商：顺丰速运，运单号：SF1234567890。预计送达：2026-12-05。"
    )
    assert fake.asked[0] == ("A1001", "Bearer erp-secret")
    english = await v.reply_to("where is my order A1001?")
    assert english["text"].startswith("Order A1001: 已发货. Carrier: 顺丰速运, tracking number SF")
    assert len(fake.asked) == 1  # the second question was answered from the cache

    other = await v.reply_to("订单 B2002 发货了吗")
    assert "没有在您的账户下找到订单 B2002" in other["text"] and "待发货" not in other["text"]
    unknown = await v.reply_to("订单 A4040 到哪了")
    assert "没有在您的账户下找到订单 A4040" in unknown["text"]
    ask = await v.reply_to("我的订单到哪了")
    assert "请告诉我您的订单号" in ask["text"]


async def test_order_system_down_slow_or_garbage_gets_a_polite_answer(shop: Any, erp: Any) -> None:
    v = await known_customer(shop, "13800138000")
    for number in ("E5000", "T7777", "G9999"):
        reply = await v.reply_to(f"我的订单 {number} 到哪了")
        assert reply["text"] == "抱歉，订单系统暂时无法查询，请稍后再试，或输入“转人工”。"
    english = await v.reply_to("where is my order T7777")
    assert english["text"].startswith("Sorry, the order system cannot be reached right now.")
    # The agents get a private note saying what went wrong (never sent to the customer).
    async with shop.app[SERVICES].db.reader() as session:
        notes = (
            await session.execute(
                select(Message.text).where(
                    Message.conversation_id == v.conversation_id, Message.private.is_(True)
                )
            )
        ).scalars()
        notes = list(notes)
    assert any("E5000" in n and "HTTP 500" in n for n in notes)
    assert any("T7777" in n and "no answer within 0.5 s" in n for n in notes)
    assert any("G9999" in n and "not JSON" in n for n in notes)
    assert not any("订单查询失败" in str(f.get("text")) for f in v.frames)


async def test_a_customer_we_cannot_identify_is_not_told_any_order(shop: Any, erp: Any) -> None:
    fake, _ = erp
    v = await known_customer(shop, None)
    reply = await v.reply_to("我的订单 A1001 到哪了")
    assert "为保护您的隐私" in reply["text"] and "已发货" not in reply["text"]
    assert fake.asked == []
    async with shop.app[SERVICES].db.reader() as session:
        note = (
            await session.execute(
                select(Message.text).where(
                    Message.conversation_id == v.conversation_id, Message.private.is_(True)
                )
            )
        ).scalar_one()
    assert "A1001" in note and "no phone or email" in note
