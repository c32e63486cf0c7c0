"""The console's orders panel against a local order system speaking the documented ERP JSON:
the customer's own orders in full, someone else's without details, and a slow, failing or
nonsensical order system as a clear note, within the connector's timeout."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from core.context import SERVICES
from handoff.auth import create_agent
from tests.bot.test_orders import (  # noqa: F401 - fixtures
    FAILING_PHONE,
    HANGING_PHONE,
    FakeErp,
    erp,
    known_customer,
    shop,
)
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
    assert data["recent"] == {"state": "listed"}
    by = {o["number"]: o for o in data["orders"]}
    # The asked-about orders first, newest first; then the customer's other recent orders in
    # the order system's order (A1001 is not shown twice; B2002, another buyer's that the
    # order system listed anyway, is not among them).
    assert [o["number"] for o in data["orders"]] == [
        "E5000",
        "B2002",
        "A1001",
        "C3003",
        "D4004",
        "F6006",
    ]
    assert [o["asked"] for o in data["orders"]] == [True] * 3 + [False] * 3
    assert by["A1001"] == {
        "number": "A1001",
        "state": "found",
        "asked": True,
        "status": "已发货",
        "status_words": {"zh": "已发货", "en": "Shipped"},
        "carrier": "顺丰速运",
        "tracking": "SF1234567890",
        "eta": "2026-12-05",
        "warranty_until": "",
        "ordered_at": "",
        "summary": "",
    }
    assert by["C3003"]["status_words"] == {"zh": "运输中", "en": "In transit"}
    assert by["C3003"]["summary"] == "滚筒洗衣机 XQG100"
    assert by["C3003"]["ordered_at"] == "2026-11-28"
    assert by["F6006"]["status_words"] == {"zh": "待评价", "en": "待评价"}  # unknown code
    assert by["B2002"] == {"number": "B2002", "state": "other", "asked": True}
    assert by["E5000"] == {
        "number": "E5000",
        "state": "unavailable",
        "asked": True,
        "reason": "HTTP 500",
        "reasons": {"en": "HTTP 500", "zh": "HTTP 500 错误"},
    }
    assert "13800138000" not in by  # a phone number alone is not an order question
    assert fake.listed == [("13800138000", "", "Bearer erp-secret")]
    asked = len(fake.asked)
    again = await (await shop.get(url)).json()
    assert again["orders"] == data["orders"]
    # Found orders and the list come from the connector's cache (the bot asked A1001 already).
    assert [n for n, _ in fake.asked[asked:]] == ["E5000"]
    assert len(fake.listed) == 1

    # The agent looks up other numbers: slow (cut at the timeout), garbage, unknown.
    started = time.monotonic()
    slow = await (await shop.get(url + "?number=T7777")).json()
    assert time.monotonic() - started < 2.0  # [orders] timeout_seconds is 0.5 here
    assert slow["orders"][0] == {
        "number": "T7777",
        "state": "unavailable",
        "asked": True,
        "reason": "no answer within 0.5 s",
        "reasons": {"en": "no answer within 0.5 s", "zh": "0.5 秒内没有回复"},
    }
    garbage = await (await shop.get(url + "?number=G9999")).json()
    why = garbage["orders"][0]["reasons"]
    assert why == {"en": "the answer is not JSON", "zh": "回复不是 JSON"}
    unknown = await (await shop.get(url + "?number=A4040")).json()
    assert unknown["orders"][0] == {"number": "A4040", "state": "not_found", "asked": True}
    bad = await shop.get(url + "?number=" + "x" * 50)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_order_number"


@pytest.mark.parametrize(
    ("phone", "recent"),
    [
        (
            HANGING_PHONE,
            {
                "state": "unavailable",
                "reason": "no answer within 0.5 s",
                "reasons": {"en": "no answer within 0.5 s", "zh": "0.5 秒内没有回复"},
            },
        ),
        (
            FAILING_PHONE,
            {
                "state": "unavailable",
                "reason": "HTTP 500",
                "reasons": {"en": "HTTP 500", "zh": "HTTP 500 错误"},
            },
        ),
        (None, {"state": "unverifiable"}),
    ],
)
async def test_the_recent_orders_list_failing_still_shows_the_asked_ones(
    shop: Any,  # noqa: F811 - the fixture
    erp: Any,  # noqa: F811
    aiohttp_client: Any,
    phone: str | None,
    recent: dict[str, Any],
) -> None:
    """A hanging or failing list (or no phone/email to ask it by) is a note, within the
    timeout; the orders the customer asked about are still looked up."""
    fake, _ = erp
    v = await known_customer(await aiohttp_client(shop.server), phone)
    await v.reply_to("订单 A4040 到哪了")
    await agent_of(shop)
    started = time.monotonic()
    resp = await shop.get(f"/api/agent/conversations/{v.conversation_id}/orders")
    assert time.monotonic() - started < 2.0  # the list and the lookup run side by side
    data = await resp.json()
    assert data["recent"] == recent
    assert data["orders"] == [{"number": "A4040", "state": "not_found", "asked": True}]
    assert len(fake.listed) == (0 if phone is None else 1)


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
    assert data == {
        "configured": False,
        "orders": [],
        "recent": {"state": "off"},
        "verifiable": False,
    }
