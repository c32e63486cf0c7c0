"""On-site visits (issue 17), on SQLite and PostgreSQL: the engineer chosen by skill, district
and day load; the steps told to the customer in their chat; the engineer's day; parts,
reschedule, failure; the work-order report."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.app import create_app
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def app_client(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any
) -> Any:
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = dataclasses.replace(demo_settings, storage=storage)
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


def system(needle: str) -> Any:
    return lambda f: f["type"] == "message" and f["sender"] == "system" and needle in f["text"]


async def repair_ticket(client: Any, address: str, window: str) -> tuple[Visitor, int]:
    """A web chat customer with a washer on record and a typed repair ticket."""
    v = await Visitor(client).start()
    await v.reply_to("洗衣机不转了")
    await v.say("转人工")
    await v.until(lambda f: f["type"] == "message" and f["sender"] in ("bot", "system"))
    listing = await (await client.get("/api/agent/tickets")).json()
    number = next(
        t["number"] for t in listing["tickets"] if t["conversation_id"] == v.conversation_id
    )
    view = await (await client.get(f"/api/agent/conversations/{v.conversation_id}/customer")).json()
    bought = (datetime.now(ZONE) - timedelta(days=30)).date().isoformat()
    made = await client.post(
        f"/api/agent/contacts/{view['contact']['id']}/products",
        json={"category": "洗衣机", "model": "XQG100", "purchase_date": bought},
        headers=H,
    )
    pid = (await made.json())["product"]["id"]
    resp = await client.put(
        f"/api/agent/tickets/{number}/fields",
        json={
            "type": "repair",
            "values": {
                "product": str(pid),
                "fault": "不转",
                "address": address,
                "phone": "13900001111",
                "window": window,
            },
        },
        headers=H,
    )
    assert resp.status == 200, await resp.text()
    return v, int(number)


async def test_visits_dispatch_by_skill_district_and_load_and_tell_the_customer(
    app_client: Any, aiohttp_client: Any
) -> None:
    client = app_client
    await login(client)
    made = await client.post(
        "/api/admin/agents",
        json={"email": "wang@kefu.local", "name": "王师傅", "password": "pw-1234"},
        headers=H,
    )
    assert made.status == 201
    engineers = {}
    for body in (
        {
            "name": "王师傅",
            "skills": ["洗衣机"],
            "regions": ["杭州市西湖区"],
            "daily_capacity": 1,
            "agent_email": "wang@kefu.local",
        },
        {"name": "赵师傅", "skills": ["空调"], "regions": ["西湖区", "拱墅区"]},
        {"name": "李师傅", "skills": ["洗衣机", "空调"], "regions": ["拱墅区"]},
        {"name": "孙师傅", "skills": ["洗衣机"], "regions": ["浙江省"], "daily_capacity": 3},
    ):
        resp = await client.post("/api/admin/engineers", json=body, headers=H)
        assert resp.status == 201, await resp.text()
        engineers[body["name"]] = (await resp.json())["engineer"]["id"]
    day = (datetime.now(ZONE) + timedelta(days=1)).date()
    window = f"{day.isoformat()} 14:00-18:00"

    v1, n1 = await repair_ticket(client, "浙江省杭州市西湖区文三路90号", window)
    first = await client.post(f"/api/agent/tickets/{n1}/visits", json={}, headers=H)
    assert first.status == 201, await first.text()
    visit1 = (await first.json())["visit"]
    assert visit1["engineer"]["name"] == "王师傅" and visit1["district"] == "西湖区"
    assert visit1["in_warranty"] is True
    told = await v1.until(system("王师傅"))
    assert told["text"] == (
        f"工单 #{n1}：已为您安排王师傅上门，时间 {day.month}月{day.day}日 14:00-18:00，"
        "地址 浙江省杭州市西湖区文三路90号。"
    )
    # 王师傅 is full that day: the next 西湖区 washer goes to 孙师傅 (all of 浙江省).
    _, n2 = await repair_ticket(client, "浙江省杭州市西湖区天目山路1号", window)
    second = await (await client.post(f"/api/agent/tickets/{n2}/visits", json={}, headers=H)).json()
    assert second["visit"]["engineer"]["name"] == "孙师傅"
    v3, n3 = await repair_ticket(client, "浙江省杭州市拱墅区湖墅南路1号", window)
    third = await (await client.post(f"/api/agent/tickets/{n3}/visits", json={}, headers=H)).json()
    assert third["visit"]["engineer"]["name"] == "李师傅"
    _, n4 = await repair_ticket(client, "上海市浦东新区世纪大道1号", window)
    nobody = await client.post(f"/api/agent/tickets/{n4}/visits", json={}, headers=H)
    assert nobody.status == 409 and (await nobody.json())["error"]["code"] == "no_engineer"

    # 王师傅's day on his phone page, and his steps, each told to the customer.
    wang = await aiohttp_client(client.server)
    await login(wang, "wang@kefu.local", "pw-1234")
    mine = await (await wang.get(f"/api/agent/engineer/day?date={day.isoformat()}")).json()
    assert [(x["id"], x["ticket"]["fault"]) for x in mine["visits"]] == [(visit1["id"], "不转")]
    assert (await client.get("/api/agent/engineer/day")).status == 404  # not an engineer
    url = f"/api/agent/visits/{visit1['id']}/status"
    assert (await wang.post(url, json={"status": "on_the_way"}, headers=H)).status == 200
    await v1.until(system("王师傅已出发"))
    assert (await wang.post(url, json={"status": "arrived"}, headers=H)).status == 200
    await v1.until(system("王师傅已到达"))
    bad = await wang.post(url, json={"status": "done", "parts": [{"name": ""}]}, headers=H)
    assert bad.status == 400
    done = await wang.post(
        url, json={"status": "done", "parts": [{"name": "排水泵", "cost": 85.5}]}, headers=H
    )
    assert done.status == 200 and (await done.json())["visit"]["parts_cost"] == 85.5
    await v1.until(system("更换配件：排水泵，费用 85.50 元。"))
    again = await wang.post(url, json={"status": "on_the_way"}, headers=H)
    assert again.status == 409 and (await again.json())["error"]["code"] == "illegal_visit_move"

    # 李师傅's visit is moved, then the next one fails.
    url3 = f"/api/agent/visits/{third['visit']['id']}/status"
    no_reason = await client.post(url3, json={"status": "failed"}, headers=H)
    assert no_reason.status == 400
    later = f"{(day + timedelta(days=1)).isoformat()} 09:00-12:00"
    moved = await client.post(
        url3, json={"status": "rescheduled", "reason": "客户不在家", "window": later}, headers=H
    )
    assert moved.status == 200
    nxt = (await moved.json())["next"]
    await v3.until(system("上门时间已改为"))
    failed = await client.post(
        f"/api/agent/visits/{nxt['id']}/status",
        json={"status": "failed", "reason": "缺少配件"},
        headers=H,
    )
    assert failed.status == 200
    await v3.until(system("这次上门未能完成（原因：缺少配件）"))
    listed = await (await client.get(f"/api/agent/tickets/{n3}/visits")).json()
    assert [x["status"] for x in listed["visits"]] == ["rescheduled", "failed"]

    report = await (await client.get("/api/agent/workorders/report?days=7")).json()
    assert report["tickets_by_type"] == {"repair": 4}
    assert report["tickets_by_model"] == [{"type": "repair", "model": "XQG100", "count": 4}]
    assert report["first_time_fix_rate"] == 0.5  # #n1 fixed at once, #n3 not
    assert report["parts_cost"] == 85.5
    assert report["warranty_vs_paid"] == {"warranty": 1}
    assert report["visits_per_engineer"] == {
        "孙师傅": {"dispatched": 1},
        "李师傅": {"rescheduled": 1, "failed": 1},
        "王师傅": {"done": 1},
    }
    assert (await wang.get("/api/agent/workorders/report")).status == 403


async def test_engineers_are_edited_and_deactivated_and_cover_addresses_as_typed(
    app_client: Any,
) -> None:
    """PATCH /api/admin/engineers/{id}: name, phone, skills, regions, capacity, active. A
    deactivated engineer is never chosen. An address typed without 市 or a district reaches
    the engineers of its city and province (杭州 is in 浙江省); a precise time is kept."""
    client = app_client
    await login(client)
    made = await client.post(
        "/api/admin/engineers",
        json={"name": "冯师傅", "skills": ["洗衣机"], "regions": ["浙江省"]},
        headers=H,
    )
    assert made.status == 201, await made.text()
    feng = (await made.json())["engineer"]
    url = f"/api/admin/engineers/{feng['id']}"
    bad = await client.patch(url, json={"regions": []}, headers=H)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_engineer"
    assert (await client.patch(url, json={"active": "no"}, headers=H)).status == 400
    assert (await client.patch("/api/admin/engineers/99999", json={}, headers=H)).status == 404
    edited = await client.patch(
        url, json={"name": "冯师傅", "phone": "13800001234", "daily_capacity": 2}, headers=H
    )
    assert edited.status == 200, await edited.text()
    assert (await edited.json())["engineer"] == {
        **feng,
        "phone": "13800001234",
        "daily_capacity": 2,
    }

    day = (datetime.now(ZONE) + timedelta(days=1)).date()
    v, number = await repair_ticket(client, "杭州文三路100号", f"{day.isoformat()} 15:00")
    off = await client.patch(url, json={"active": False}, headers=H)
    assert off.status == 200 and (await off.json())["engineer"]["active"] is False
    none = await client.post(f"/api/agent/tickets/{number}/visits", json={}, headers=H)
    assert none.status == 409 and (await none.json())["error"]["code"] == "no_engineer"
    assert (await client.patch(url, json={"active": True}, headers=H)).status == 200
    sent = await client.post(f"/api/agent/tickets/{number}/visits", json={}, headers=H)
    assert sent.status == 201, await sent.text()
    visit = (await sent.json())["visit"]
    assert visit["engineer"]["name"] == "冯师傅"
    assert visit["window_start"] == visit["window_end"]
    assert visit["window_start"].startswith(f"{day.isoformat()}T15:00")
    told = f"工单 #{number}：已为您安排冯师傅上门，时间 {day.month}月{day.day}日 15:00，"
    await v.until(system(told))
