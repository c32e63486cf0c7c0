"""Ticket types with their own fields (issue 17), through the console's API on SQLite and
PostgreSQL: types seeded from config, values cleaned by kind, a required field blocking the
status change with a message naming it in the agent's language, versions kept by old tickets,
filtering and export."""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import pytest

from core.app import create_app
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS


@pytest.fixture
async def app_client(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any
) -> Any:
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = dataclasses.replace(demo_settings, storage=storage)
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


async def escalated(client: Any, text: str) -> tuple[Visitor, int]:
    """A web chat customer who asked for a person: (visitor, ticket number)."""
    v = await Visitor(client).start()
    await v.reply_to(text)
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and f["sender"] in ("bot", "system"))
    listing = await (await client.get("/api/agent/tickets")).json()
    number = next(
        t["number"] for t in listing["tickets"] if t["conversation_id"] == v.conversation_id
    )
    return v, int(number)


async def test_typed_ticket_fields_required_before_resolving_versions_filter_export(
    app_client: Any,
) -> None:
    client = app_client
    await login(client)
    types = (await (await client.get("/api/agent/ticket-types")).json())["types"]
    assert [t["key"] for t in types] == ["inquiry", "complaint", "repair", "install", "return"]
    repair = next(t for t in types if t["key"] == "repair")
    assert repair["name"] == {"zh": "报修", "en": "Repair"} and repair["version"] == 1
    kinds = {f["key"]: (f["kind"], f["required_at"]) for f in repair["fields"]}
    assert kinds["cause"] == ("text", "resolved") and kinds["phone"] == ("phone", "open")

    v, number = await escalated(client, "洗衣机不脱水了")
    contact = (
        await (await client.get(f"/api/agent/conversations/{v.conversation_id}/customer")).json()
    )["contact"]["id"]
    made = await client.post(
        f"/api/agent/contacts/{contact}/products",
        json={"model": "XQG100-BD14", "serial": "SN-T1"},
        headers=H,
    )
    product_id = (await made.json())["product"]["id"]
    url = f"/api/agent/tickets/{number}/fields"
    assert (await (await client.get(url)).json())["type"] is None
    untyped = await client.put(url, json={"values": {"fault": "x"}}, headers=H)
    assert untyped.status == 400 and (await untyped.json())["error"]["code"] == "no_ticket_type"

    bad = await client.put(
        url,
        json={"type": "repair", "values": {"phone": "12345", "address": "文三路 90 号"}},
        headers=H,
    )
    assert bad.status == 400
    message = (await bad.json())["error"]["message"]
    assert "Phone (phone): phone 12345" in message and "Address (address)" in message
    ok = await client.put(
        url,
        json={
            "type": "repair",
            "values": {
                "product": "sn-t1",
                "fault": "不脱水",
                "phone": "+86 139-0000-1111",
                "address": "浙江省 杭州市 西湖区文三路 90 号",
            },
        },
        headers=H,
    )
    assert ok.status == 200, await ok.text()
    body = await ok.json()
    assert body["type"]["key"] == "repair" and body["type"]["version"] == 1
    assert body["values"] == {
        "product": str(product_id),
        "fault": "不脱水",
        "phone": "13900001111",
        "address": "浙江省杭州市西湖区文三路90号",
    }

    # The required fields block resolving, named in the agent's language.
    status_url = f"/api/agent/tickets/{number}/status"
    blocked = await client.post(status_url, json={"status": "resolved"}, headers=H)
    assert blocked.status == 409
    error = (await blocked.json())["error"]
    assert error["code"] == "field_required"
    assert error["message"] == "请先填写「故障原因」「更换配件」，工单才能改为已解决。"
    english = await client.post(
        status_url, json={"status": "resolved"}, headers={**H, "Accept-Language": "en-US,en"}
    )
    assert (await english.json())["error"]["message"] == (
        "Fill in Fault cause, Parts used before the ticket can become resolved."
    )
    client.session.cookie_jar.update_cookies({"kefu_lang": "en"})
    by_cookie = await client.post(
        f"/api/agent/conversations/{v.conversation_id}/resolve", headers=H
    )
    assert by_cookie.status == 409
    assert (await by_cookie.json())["error"]["message"].startswith("Fill in Fault cause")
    client.session.cookie_jar.update_cookies({"kefu_lang": "zh"})
    ticket = (await (await client.get(f"/api/agent/tickets/{number}")).json())["ticket"]
    assert ticket["status"] != "resolved"
    conv = await (await client.get(f"/api/agent/conversations/{v.conversation_id}")).json()
    assert conv["conversation"]["owner"] != "resolved"

    filled = await client.put(
        url, json={"values": {"cause": "排水泵堵塞", "parts": "排水泵 x1"}}, headers=H
    )
    assert filled.status == 200
    done = await client.post(status_url, json={"status": "resolved"}, headers=H)
    assert done.status == 200, await done.text()
    events = (await (await client.get(f"/api/agent/tickets/{number}")).json())["ticket"]["events"]
    assert [e["action"] for e in events if e["action"] in ("type", "fields")] == [
        "type",
        "fields",
        "fields",
    ]

    # An admin edits the type: a new version; the old ticket keeps its fields.
    new_fields = [f for f in repair["fields"] if f["key"] != "photo"] + [
        {
            "key": "visit_fee",
            "kind": "number",
            "label": {"zh": "上门费", "en": "Visit fee"},
            "required_at": None,
        }
    ]
    edited = await client.put(
        "/api/admin/ticket-types/repair",
        json={"name": {"zh": "报修", "en": "Repair"}, "fields": new_fields},
        headers=H,
    )
    assert edited.status == 201 and (await edited.json())["type"]["version"] == 2
    broken = await client.put(
        "/api/admin/ticket-types/repair",
        json={"name": {"zh": "报修", "en": "Repair"}, "fields": [{"key": "x", "kind": "colour"}]},
        headers=H,
    )
    assert (
        broken.status == 400 and "kind must be one of" in (await broken.json())["error"]["message"]
    )
    old = await (await client.get(url)).json()
    assert old["type"]["version"] == 1 and "photo" in [f["key"] for f in old["type"]["fields"]]
    _, number2 = await escalated(client, "空调不制冷")
    typed = await client.put(
        f"/api/agent/tickets/{number2}/fields",
        json={"type": "repair", "values": {"visit_fee": "１２0.50", "phone": "13900002222"}},
        headers=H,
    )
    assert typed.status == 200, await typed.text()
    assert (await typed.json())["type"]["version"] == 2
    assert (await typed.json())["values"]["visit_fee"] == "120.5"

    # Filter and export.
    found = await (
        await client.get("/api/agent/workorders?type=repair&field.phone=13900001111")
    ).json()
    assert [t["number"] for t in found["tickets"]] == [number]
    both = await (await client.get("/api/agent/workorders?type=repair")).json()
    assert [t["number"] for t in both["tickets"]] == [number2, number]
    assert (await (await client.get("/api/agent/workorders?type=install")).json())["tickets"] == []
    assert (await client.get("/api/agent/workorders?colour=red")).status == 400
    export = await client.get("/api/agent/workorders/export?type=repair")
    assert export.status == 200 and export.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO((await export.read()).decode("utf-8-sig"))))
    assert rows[0][:5] == ["工单号", "状态", "创建时间", "类型", "设备"]
    assert "上门费" in rows[0] and "故障照片" in rows[0]
    by_number = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_number[str(number)]["故障原因"] == "排水泵堵塞"
    assert by_number[str(number2)]["上门费"] == "120.5"
    assert by_number[str(number)]["类型"] == "报修"
    assert by_number[str(number)]["设备"] == "XQG100-BD14 (SN-T1)"  # not the product's id


async def test_only_admins_edit_types_and_agents_export_nothing(
    app_client: Any, aiohttp_client: Any
) -> None:
    client = app_client
    await login(client)
    resp = await client.post(
        "/api/admin/agents",
        json={"email": "li@kefu.local", "name": "小李", "password": "pw-1234"},
        headers=H,
    )
    assert resp.status == 201
    li = await aiohttp_client(client.server)
    await login(li, "li@kefu.local", "pw-1234")
    put = await li.put(
        "/api/admin/ticket-types/repair",
        json={"name": {"zh": "报修", "en": "Repair"}, "fields": []},
        headers=H,
    )
    assert put.status == 403
    assert (await li.get("/api/agent/workorders/export")).status == 403
    assert (await li.get("/api/agent/ticket-types")).status == 200
    anon = await aiohttp_client(client.server)
    assert (await anon.get("/api/agent/ticket-types")).status == 401
