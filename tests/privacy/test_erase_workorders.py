"""Erasing a customer (issue 17) also erases their work-order data: products (serials,
install addresses), the values of their tickets' fields, the form the bot was filling and the
visits' addresses; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.context import SERVICES
from intake.tables import BotForm, Product, TicketFieldValue
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS


@pytest.fixture
async def app_client(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any
) -> Any:
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = dataclasses.replace(demo_settings, storage=storage)
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


async def count(client: Any, model: Any) -> int:
    async with client.app[SERVICES].db.reader() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_erasing_a_customer_erases_products_fields_and_forms(app_client: Any) -> None:
    client = app_client
    await login(client)
    v = await Visitor(client).start()
    await v.reply_to("洗衣机不转了")
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and f["sender"] in ("bot", "system"))
    view = await (await client.get(f"/api/agent/conversations/{v.conversation_id}/customer")).json()
    contact = view["contact"]["id"]
    made = await client.post(
        f"/api/agent/contacts/{contact}/products",
        json={"model": "XQG100", "serial": "SN-ERASE", "install_address": "浙江省杭州市西湖区1号"},
        headers=H,
    )
    assert made.status == 201
    [ticket] = view["tickets"] or (await (await client.get("/api/agent/tickets")).json())["tickets"]
    resp = await client.put(
        f"/api/agent/tickets/{ticket['number']}/fields",
        json={
            "type": "repair",
            "values": {"address": "浙江省杭州市西湖区1号", "phone": "13900009999"},
        },
        headers=H,
    )
    assert resp.status == 200
    other = await Visitor(client).start()
    await other.reply_to("空调想报修")  # another customer's form stays
    assert (await count(client, Product), await count(client, TicketFieldValue)) == (1, 2)
    assert await count(client, BotForm) == 1

    erased = await client.post(
        f"/api/admin/contacts/{contact}/erase", json={"reason": "客户要求"}, headers=H
    )
    assert erased.status == 200, await erased.text()
    assert (await erased.json())["erasure"]["counts"]["products"] == 1
    assert (await count(client, Product), await count(client, TicketFieldValue)) == (0, 0)
    assert await count(client, BotForm) == 1
