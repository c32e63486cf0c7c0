"""Browser test: an agent adds a product to the customer in the customer 360 of the console,
the warranty state shows, and the customer then asks the bot in the widget whether it is still
under warranty and gets the answer from that record."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _conversation_id, _open_widget

pytestmark = pytest.mark.e2e


def handed_to_the_agent(new_page: Any, base: str, first: str) -> Any:
    """A visitor who said ``first`` then 转人工, and the demo agent logged in and holding the
    conversation; (visitor, agent, conversation id)."""
    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    _ask(vp, first, ".", senders=("bot", "system"))
    _ask(vp, "转人工", ".", senders=("bot", "system"))
    cid = _conversation_id(vp)
    agent = new_page("agent")
    ap = agent.page
    login(ap, base)
    deadline = time.monotonic() + 20
    while True:
        conv = ap.request.get(base + f"/api/agent/conversations/{cid}").json()["conversation"]
        if conv["owner"] in ("agent", "queued"):
            break
        assert time.monotonic() < deadline, conv
        time.sleep(0.2)
    if conv["owner"] == "queued":
        assert ap.request.post(base + f"/api/agent/conversations/{cid}/takeover", headers=CSRF).ok
    return visitor, agent, cid


def test_agent_adds_a_product_and_the_bot_answers_the_warranty(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor, agent, cid = handed_to_the_agent(new_page, base, "洗衣机不转了")
    vp, ap = visitor.page, agent.page
    ap.goto(base + "/agent/")
    ap.click('.tab[data-owner="mine"]')
    ap.locator(f'#conv-list .conv-item[data-id="{cid}"]').click()
    box = ap.locator("#customer-products")
    expect(box).to_contain_text("暂无设备记录")
    box.locator(".products-add").click()
    form = box.locator(".products-form")
    form.locator('input[name="category"]').fill("洗衣机")
    form.locator('input[name="model"]').fill("XQG100-BD14")
    form.locator('input[name="serial"]').fill("sn-e2e-1")
    form.locator('input[name="purchase_date"]').fill("2019-05-20")
    form.locator('button[type="submit"]').click()
    item = box.locator(".products-item")
    expect(item).to_contain_text("洗衣机 XQG100-BD14 · SN-E2E-1 · 2019-05-20")
    expect(item).to_contain_text("已过保 (至 2020-05-20)")
    # A name with markup is shown as text.
    item.get_by_role("button", name="编辑").click()
    form = box.locator(".products-form")
    form.locator('input[name="category"]').fill("<b>洗衣机</b>")
    form.locator('button[type="submit"]').click()
    expect(box.locator(".products-item")).to_contain_text("<b>洗衣机</b> XQG100-BD14")
    assert box.locator("b").count() == 0

    # The conversation is the agent's: hand it back so the bot answers again.
    assert ap.request.post(base + f"/api/agent/conversations/{cid}/handback", headers=CSRF).ok
    _ask(vp, "SN-E2E-1 还在保修期吗", "已过整机保修期")
    expect(vp.locator("#kefu-messages")).to_contain_text("2020年5月20日 到期")
    _assert_clean(agent, visitor)
