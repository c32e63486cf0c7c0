"""Browser test on a phone-sized screen: an engineer signs in, sees the day's visit on
/agent/engineer.html and moves it on the way, arrived and done with the part used; the
supervisor's reports page then shows it in the repair report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _assert_clean

pytestmark = pytest.mark.e2e


def test_engineer_moves_a_visit_on_the_phone_page(
    kefu_server: Any, browser: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    admin = new_page("admin")
    adp = admin.page
    login(adp, base)
    made = adp.request.post(
        base + "/api/admin/agents",
        data={"email": "zhou@kefu.local", "name": "周师傅", "password": "zhou-pass-1"},
        headers=CSRF,
    )
    assert made.status == 201, made.text()
    eng = adp.request.post(
        base + "/api/admin/engineers",
        data={
            "name": "周师傅",
            "skills": [],
            "regions": ["滨江区"],
            "agent_email": "zhou@kefu.local",
        },
        headers=CSRF,
    )
    assert eng.status == 201, eng.text()
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    ticket = adp.request.post(
        base + "/api/agent/tickets",
        data={
            "type": "install",
            "phone": "13600001234",
            "name": "陈女士",
            "values": {
                "address": "浙江省杭州市滨江区江南大道88号",
                "phone": "13600001234",
                "window": f"{day.isoformat()} 09:00-12:00",
            },
        },
        headers=CSRF,
    )
    assert ticket.status == 201, ticket.text()
    number = ticket.json()["ticket"]["number"]
    visit = adp.request.post(base + f"/api/agent/tickets/{number}/visits", data={}, headers=CSRF)
    assert visit.status == 201, visit.text()

    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        login(page, base, "zhou@kefu.local", "zhou-pass-1")
        page.goto(base + "/agent/engineer.html")
        page.fill("#day", day.isoformat())
        page.dispatch_event("#day", "change")
        card = page.locator(".eng-card")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("09:00-12:00")
        expect(card).to_contain_text("浙江省杭州市滨江区江南大道88号")
        expect(card.locator(".eng-status")).to_have_text("待上门")
        card.locator('button[data-to="on_the_way"]').click()
        expect(card.locator(".eng-status")).to_have_text("在路上")
        card.locator('button[data-to="arrived"]').click()
        expect(card.locator(".eng-status")).to_have_text("已到达")
        card.locator('button[data-to="done"]').click()
        card.locator('input[name="part"]').fill("进水管")
        card.locator('input[name="cost"]').fill("25")
        card.locator('.eng-form button[type="submit"]').click()
        expect(card.locator(".eng-status")).to_have_text("已完成")
        expect(card.locator(".eng-actions button")).to_have_count(0)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        assert not errors, errors
    finally:
        ctx.close()
    visits = adp.request.get(base + f"/api/agent/tickets/{number}/visits").json()["visits"]
    assert [(v["status"], v["parts_cost"]) for v in visits] == [("done", 25.0)]
    assert visits[0]["parts"] == [{"name": "进水管", "cost_cents": 2500}]
    # The supervisor's reports page shows the visit: fixed at the first visit, the part's cost,
    # no product on record (warranty unknown), the engineer's done visit.
    adp.goto(base + "/agent/reports")
    report = adp.locator("#workorder-report")
    expect(report.locator("h2")).to_have_text("上门服务与工单类型")
    expect(report.locator('dd[data-kpi="ftf"]')).to_have_text("100%")
    expect(report.locator('dd[data-kpi="parts"]')).to_have_text("25.00")
    expect(report.locator('dd[data-kpi="unknown"]')).to_have_text("1")
    expect(report.locator("tbody tr", has_text="install").locator("td").nth(1)).to_have_text("1")
    engineer = report.locator("tr", has_text="周师傅").locator("td")
    expect(engineer.nth(4)).to_have_text("1")  # done
    _assert_clean(admin)
