"""Products on the customer (issue 17): added by an agent through the console's API, then the
bot answers "还在保修期吗" from that customer's own records, over web chat, on SQLite and
PostgreSQL. A product the customer does not own gets "查不到您名下的这台设备"."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.app import create_app
from intake.warranty import add_months
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS


@pytest.fixture
async def app_client(
    demo_settings: Any, database_url: str, embedder: Any, aiohttp_client: Any
) -> Any:
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = dataclasses.replace(demo_settings, storage=storage)
    return await aiohttp_client(create_app(settings, demo=True, embedder=embedder))


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def customer_id(client: Any, visitor: Visitor) -> int:
    resp = await client.get(f"/api/agent/conversations/{visitor.conversation_id}/customer")
    assert resp.status == 200, await resp.text()
    return int((await resp.json())["contact"]["id"])


async def ask(v: Visitor, text: str) -> str:
    frame = await v.reply_to(text)
    return str(frame["text"])


async def test_warranty_answers_come_from_the_customers_own_products(app_client: Any) -> None:
    client = app_client
    await login(client)
    owner = await Visitor(client).start()
    await owner.reply_to("你好")
    other = await Visitor(client).start()
    await other.reply_to("你好")
    owner_id, other_id = await customer_id(client, owner), await customer_id(client, other)

    washer_bought = today() - timedelta(days=90)
    ac_bought = add_months(today(), -36)
    resp = await client.post(
        f"/api/agent/contacts/{owner_id}/products",
        json={
            "category": "洗衣机",
            "model": "XQG100-BD14",
            "serial": "sna 0001",
            "purchase_date": washer_bought.isoformat(),
            "install_address": "浙江省杭州市西湖区文三路1号",
        },
        headers=H,
    )
    assert resp.status == 201, await resp.text()
    washer = (await resp.json())["product"]
    assert washer["serial"] == "SNA0001" and washer["in_warranty"] is True
    assert washer["warranty_end"] == add_months(washer_bought, 12).isoformat()
    assert washer["part_warranty"] == {"motor": add_months(washer_bought, 120).isoformat()}
    resp = await client.post(
        f"/api/agent/contacts/{owner_id}/products",
        json={"category": "空调", "model": "KFR-35GW", "purchase_date": ac_bought.isoformat()},
        headers=H,
    )
    assert resp.status == 201 and (await resp.json())["product"]["in_warranty"] is False
    resp = await client.post(
        f"/api/agent/contacts/{other_id}/products",
        json={"category": "冰箱", "model": "BCD-500", "serial": "SNB-0002"},
        headers=H,
    )
    assert resp.status == 201
    listing = await (await client.get(f"/api/agent/contacts/{owner_id}/products")).json()
    assert [p["model"] for p in listing["products"]] == ["XQG100-BD14", "KFR-35GW"]

    unit_end = add_months(washer_bought, 12)
    answer = await ask(owner, "我的洗衣机还在保修期吗？")
    assert answer == (
        f"洗衣机 XQG100-BD14（序列号 SNA0001）：在保修期内，整机保修至 "
        f"{unit_end.year}年{unit_end.month}月{unit_end.day}日。"
        f"电机保修至 {washer_bought.year + 10}年{washer_bought.month}月{washer_bought.day}日。"
    )
    answer = await ask(owner, "空调过保了吗")
    assert answer.startswith("空调 KFR-35GW：已过整机保修期") and "压缩机保修至" in answer
    # Another customer's serial, an appliance they do not have: the same words.
    assert await ask(owner, "SNB-0002 还在保修期吗") == (
        "查不到您名下的这台设备。请核对序列号（机身铭牌上），或输入“转人工”由客服为您查询。"
    )
    assert (await ask(owner, "我的冰箱在保修期内吗")).startswith("查不到您名下的这台设备")
    english = await ask(owner, "Is my washing machine still under warranty?")
    assert english.startswith("洗衣机 XQG100-BD14 (serial SNA0001): under warranty, whole unit")
    # The other customer: their fridge has no purchase date; they cannot see the washer.
    assert (await ask(other, "我的冰箱还在保修期吗")).startswith(
        "冰箱 BCD-500（序列号 SNB-0002）：没有购买日期记录"
    )
    assert (await ask(other, "SNA0001 还在保修期吗")).startswith("查不到您名下的这台设备")

    # Editing the purchase date recomputes the warranty.
    resp = await client.patch(
        f"/api/agent/products/{washer['id']}",
        json={"purchase_date": "2019年3月5日"},
        headers=H,
    )
    assert resp.status == 200, await resp.text()
    edited = (await resp.json())["product"]
    assert edited["warranty_end"] == "2020-03-05" and edited["in_warranty"] is False
    assert (await ask(owner, "洗衣机还在保修期吗")).startswith(
        "洗衣机 XQG100-BD14（序列号 SNA0001）：已过整机保修期（2020年3月5日 到期）"
    )


async def test_product_api_cleans_checks_and_needs_a_session(app_client: Any) -> None:
    client = app_client
    v = await Visitor(client).start()
    await v.reply_to("你好")
    assert (await client.get("/api/agent/contacts/1/products")).status == 401
    await login(client)
    cid = await customer_id(client, v)
    url = f"/api/agent/contacts/{cid}/products"
    assert (await client.post(url, json={"model": "X1"})).status == 403  # no CSRF header
    bad = await client.post(url, json={"model": "", "purchase_date": "昨天吧"}, headers=H)
    assert bad.status == 400
    message = (await bad.json())["error"]["message"]
    assert "missing model" in message and "time '昨天吧'" in message
    unknown = await client.post(url, json={"model": "X1", "colour": "red"}, headers=H)
    assert unknown.status == 400 and "colour" in (await unknown.json())["error"]["message"]
    first = await client.post(url, json={"model": "X1", "serial": "S-100"}, headers=H)
    assert first.status == 201
    again = await client.post(url, json={"model": "X2", "serial": "s-100"}, headers=H)
    assert again.status == 409 and (await again.json())["error"]["code"] == "serial_taken"
    assert (await client.get("/api/agent/contacts/99999/products")).status == 404
    pid = (await first.json())["product"]["id"]
    assert (await client.delete(f"/api/agent/products/{pid}", headers=H)).status == 200
    assert (await (await client.get(url)).json())["products"] == []
    assert (await client.delete(f"/api/agent/products/{pid}", headers=H)).status == 404


async def test_in_and_out_of_warranty_however_it_is_worded(app_client: Any) -> None:
    """保内 / 保外 / 过保 / out of warranty: answered from the customer's own products; asked
    about the cost or what to do, the answer adds how a paid repair goes (or that a covered
    fault is repaired under the warranty)."""
    client = app_client
    await login(client)
    v = await Visitor(client).start()
    await v.reply_to("你好")
    owner = await customer_id(client, v)
    new = today() - timedelta(days=30)
    old = add_months(today(), -30)
    for body in (
        {"category": "洗衣机", "model": "XQG80-1208", "purchase_date": new.isoformat()},
        {"category": "空调", "model": "KFR-26GW", "purchase_date": old.isoformat()},
    ):
        made = await client.post(f"/api/agent/contacts/{owner}/products", json=body, headers=H)
        assert made.status == 201, await made.text()

    inside = await ask(v, "洗衣机还在保内吗")
    assert inside.startswith("洗衣机 XQG80-1208：在保修期内") and "空调" not in inside
    covered = await ask(v, "洗衣机保外维修多少钱")
    assert covered.startswith("洗衣机 XQG80-1208：在保修期内")
    assert covered.endswith("保修期内的故障按保修政策维修，需要安排请说“报修”。")
    paid = await ask(v, "空调保外维修多少钱")
    assert paid.startswith("空调 KFR-26GW：已过整机保修期")
    assert paid.endswith("您同意后再维修。需要安排请说“报修”。")
    what_now = await ask(v, "空调过保了怎么办")
    assert what_now.startswith("空调 KFR-26GW：已过整机保修期") and "付费" in what_now
    both = await ask(v, "我的设备保内还是保外？")
    assert "洗衣机 XQG80-1208：在保修期内" in both and "空调 KFR-26GW：已过整机保修期" in both
    english = await ask(v, "How much is an out of warranty repair for my air conditioner?")
    assert english.startswith("空调 KFR-26GW: out of warranty for the whole unit")
    assert english.endswith('repairs only once you agree. Say "repair" to book a visit.')
    assert (await ask(v, "Is my washer still in warranty?")).startswith(
        "洗衣机 XQG80-1208: under warranty"
    )
