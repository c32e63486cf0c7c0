"""The console's orders panel against a local order system speaking the documented ERP JSON:
the customer's own orders in full, someone else's without details, and a slow, failing or
nonsensical order system as a clear note, within the connector's timeout."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from core.context import SERVICES
from handoff.auth import create_agent
from tests.bot.test_orders import FakeErp, erp, known_customer, shop  # noqa: F401 - fixtures
from tests.conftest import make_settings
from tests.helpers import login

__all__ = ["FakeErp"]


async def agent_of(client: Any) -> None:
    await create_agent(client.app[SERVICES].db, "li@kefu.local", "小李", "agent-pass-1")
    await login(client, "li@kefu.local", "agent-pass-1")


async def test_the_panel_shows_the_customers_orders_and_says_what_went_wrong(
    shop: Any,  # noqa: F811 - the fixture
    erp: Any,  # noqa: F811
    aiohttp_client: Any,
) -> None:
    fake, _ = erp
    v = await known_customer(await aiohttp_client(shop.server), "13800138000")
    for text in ("我的订单 A1001 到哪了", "订单 B2002 发货了吗", "订单 E5000 呢", "13800138000"):
        await v.reply_to(text)
    await agent_of(shop)
    url = f"/api/agent/conversations/{v.conversation_id}/orders"

    resp = await shop.get(url)
    assert resp.status == 200, await resp.text()
    data = await resp.json()
    assert data["configured"] and data["verifiable"]
    by = {o["number"]: o for o in data["orders"]}
    assert [o["number"] for o in data["orders"]] == ["E5000", "B2002", "A1001"]  # newest first
    assert by["A1001"] == {
        "number": "A1001",
        "state": "found",
        "status": "已发货",
        "carrier": "顺丰速运",
        "tracking": "SF1234567890",
        "eta": "2026-12-05",
        "warranty_until": "",
    }
    assert by["B2002"] == {"number": "B2002", "state": "other"}  # no details of another's
    assert by["E5000"] == {"number": "E5000", "state": "unavailable", "reason": "HTTP 500"}
    assert "13800138000" not in by  # a phone number alone is not an order question
    asked = len(fake.asked)
    again = await (await shop.get(url)).json()
    assert again["orders"] == data["orders"]
    # Found orders come from the connector's cache (the bot asked A1001 already).
    assert [n for n, _ in fake.asked[asked:]] == ["E5000"]

    # The agent looks up other numbers: slow (cut at the timeout), garbage, unknown.
    started = time.monotonic()
    slow = await (await shop.get(url + "?number=T7777")).json()
    assert time.monotonic() - started < 2.0  # [orders] timeout_seconds is 0.5 here
    assert slow["orders"][0] == {
        "number": "T7777",
        "state": "unavailable",
        "reason": "no answer within 0.5 s",
    }
    garbage = await (await shop.get(url + "?number=G9999")).json()
    assert garbage["orders"][0]["reason"] == "the answer is not JSON"
    unknown = await (await shop.get(url + "?number=A4040")).json()
    assert unknown["orders"][0] == {"number": "A4040", "state": "not_found"}
    bad = await shop.get(url + "?number=" + "x" * 50)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_order_number"


async def test_the_panel_needs_an_agent_and_says_when_no_order_system_is_set(
    tmp_path: Path, demo_data_dir: Path, embedder: Any, aiohttp_client: Any
) -> None:
    from core.app import create_app

    shutil.copytree(demo_data_dir, tmp_path / "data")
    client = await aiohttp_client(create_app(make_settings(tmp_path / "data"), embedder=embedder))
    v = await known_customer(await aiohttp_client(client.server), None)
    url = f"/api/agent/conversations/{v.conversation_id}/orders"
    assert (await client.get(url)).status == 401  # no console session
    await agent_of(client)
    data = await (await client.get(url)).json()
    assert data == {"configured": False, "orders": [], "verifiable": False}
