"""Agents open tickets for a phone call (issue 17), on SQLite and PostgreSQL: the customer is
found by phone or created once; a later web chat from someone giving the same number joins
that customer only when an agent links it after verifying, never by the claim alone."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from core.app import create_app
from core.context import SERVICES
from core.models import Contact
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS
PHONE = "13912345678"


@pytest.fixture
async def app_client(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any
) -> Any:
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = dataclasses.replace(demo_settings, storage=storage)
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


async def contacts_with_phone(client: Any, phone: str) -> int:
    async with client.app[SERVICES].db.reader() as session:
        query = select(func.count()).select_from(Contact).where(Contact.phone == phone)
        return int((await session.execute(query)).scalar_one())


async def test_phone_tickets_create_the_customer_once_and_a_chat_joins_only_when_linked(
    app_client: Any,
) -> None:
    client = app_client
    assert (await client.post("/api/agent/tickets", json={}, headers=H)).status == 401
    await login(client)
    first = await client.post(
        "/api/agent/tickets",
        json={
            "type": "repair",
            "phone": "+86 139-1234-5678",
            "name": "王芳",
            "summary": "电话报修：洗衣机不脱水",
            "values": {
                "fault": "不脱水",
                "address": "浙江省杭州市西湖区文三路90号",
                "phone": "139 1234 5678",
            },
        },
        headers=H,
    )
    assert first.status == 201, await first.text()
    one = await first.json()
    assert one["contact"]["created"] is True and one["contact"]["phone"] == PHONE
    assert one["ticket"]["status"] == "open" and one["ticket"]["channel"] == "phone"
    assert one["ticket"]["values"]["address"] == "浙江省杭州市西湖区文三路90号"
    second = await client.post(
        "/api/agent/tickets",
        json={"type": "install", "phone": PHONE, "source": "walk_in"},
        headers=H,
    )
    assert second.status == 201, await second.text()
    two = await second.json()
    assert two["contact"] == {**one["contact"], "created": False}
    assert await contacts_with_phone(client, PHONE) == 1

    # Bad input changes nothing: not even the new customer is kept.
    bad = await client.post(
        "/api/agent/tickets",
        json={"type": "repair", "phone": "13800000009", "values": {"address": "文三路"}},
        headers=H,
    )
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_field"
    assert await contacts_with_phone(client, "13800000009") == 0
    for body, code in (
        ({"type": "repair", "phone": "12345"}, "bad_phone"),
        ({"type": "repair"}, "bad_phone"),
        ({"phone": PHONE}, "bad_type"),
        ({"type": "repair", "phone": PHONE, "source": "fax"}, "bad_source"),
    ):
        resp = await client.post("/api/agent/tickets", json=body, headers=H)
        assert resp.status == 400 and (await resp.json())["error"]["code"] == code, body
    unknown = await client.post("/api/agent/tickets", json={"type": "x", "phone": PHONE}, headers=H)
    assert unknown.status == 404

    conv = await (await client.get(f"/api/agent/conversations/{one['conversation_id']}")).json()
    notes = [m for m in conv["conversation"]["messages"] if m["private"]]
    assert [m["text"] for m in notes] == ["电话报修：洗衣机不脱水"]

    # A web chat customer claims the number: nothing joins.
    v = await Visitor(client).start()
    await v.reply_to(f"我的手机号是{PHONE}，我的工单处理到哪了？")
    view = await (await client.get(f"/api/agent/conversations/{v.conversation_id}/customer")).json()
    assert view["contact"]["id"] != one["contact"]["id"] and view["tickets"] == []
    assert await contacts_with_phone(client, PHONE) == 1

    # An agent verified the person and links the chat: it joins the phone customer.
    missing = await client.post(
        f"/api/agent/conversations/{v.conversation_id}/link-contact",
        json={"phone": "13700000000"},
        headers=H,
    )
    assert missing.status == 404
    linked = await client.post(
        f"/api/agent/conversations/{v.conversation_id}/link-contact",
        json={"phone": "139 1234 5678"},
        headers=H,
    )
    assert linked.status == 200, await linked.text()
    assert (await linked.json())["contact_id"] == one["contact"]["id"]
    view = await (await client.get(f"/api/agent/conversations/{v.conversation_id}/customer")).json()
    assert view["contact"]["id"] == one["contact"]["id"]
    numbers = {t["number"] for t in view["tickets"]}
    assert numbers == {one["ticket"]["number"], two["ticket"]["number"]}
    channels = {i["channel"] for i in view["identities"]}
    assert {"phone", "webchat"} <= channels
    answer = await v.reply_to("我的工单处理到哪了？")
    # Two open tickets: the customer picks one (buttons on the web chat, not a list in the text).
    offered = " ".join(c["label"] for c in answer["choices"] or [])
    assert str(one["ticket"]["number"]) in offered
    assert str(two["ticket"]["number"]) in offered
