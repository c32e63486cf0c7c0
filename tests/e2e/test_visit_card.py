"""Browser test: an agent sends an engineer from the ticket's visits card in the console. With
no engineer for the district the card says dispatching failed; with one, the visit is listed
with the engineer, the window and its step, and the customer sees the appointment."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.login import CSRF
from tests.e2e.test_browser_flow import _assert_clean
from tests.e2e.test_products_console import handed_to_the_agent

pytestmark = pytest.mark.e2e


def install_ticket(page: Any, base: str, cid: int, address: str, window: str) -> int:
    """Type the conversation's ticket as an installation at ``address`` and ``window``."""
    conv = page.request.get(base + f"/api/agent/conversations/{cid}").json()["conversation"]
    number = int(conv["ticket"]["number"])
    typed = page.request.put(
        base + f"/api/agent/tickets/{number}/fields",
        data={
            "type": "install",
            "values": {"address": address, "phone": "13900005555", "window": window},
        },
        headers=CSRF,
    )
    assert typed.status == 200, typed.text()
    return number


def test_an_agent_dispatches_a_visit_from_the_ticket(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor, agent, cid = handed_to_the_agent(new_page, base, "热水器不加热了")
    ap = agent.page
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    install_ticket(
        ap, base, cid, "浙江省杭州市余杭区文一西路969号", f"{day.isoformat()} 14:00-18:00"
    )
    ap.goto(base + "/agent/")
    ap.click('.tab[data-owner="mine"]')
    ap.locator(f'#conv-list .conv-item[data-id="{cid}"]').click()
    card = ap.locator("#visits-card")
    expect(card).to_contain_text("还没有上门安排。")
    card.locator("#visit-dispatch").click()
    expect(card.locator(".visit-error")).to_contain_text("派工失败")

    eng = ap.request.post(
        base + "/api/admin/engineers",
        data={"name": "钱师傅", "skills": [], "regions": ["余杭区"]},
        headers=CSRF,
    )
    assert eng.status == 201, eng.text()
    card.locator("#visit-dispatch").click()
    visit = card.locator(".visit-item")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text(f"钱师傅 · {day.isoformat()} 14:00-18:00 · 待上门")
    expect(visit).to_contain_text("浙江省杭州市余杭区文一西路969号")
    expect(card.locator("#visit-dispatch")).to_be_hidden()
    expect(visitor.page.locator("#kefu-messages")).to_contain_text("已为您安排钱师傅上门")
    _assert_clean(agent, visitor)
