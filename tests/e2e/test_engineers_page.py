"""Browser test: a supervisor's engineers page (issue 17). The admin adds an engineer in the
console, edits them, deactivates another; the new engineer is offered in the ticket's visit
dispatch choice (the deactivated one is not), and dispatching to them lists the visit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_browser_flow import _assert_clean
from tests.e2e.test_products_console import handed_to_the_agent
from tests.e2e.test_visit_card import install_ticket

pytestmark = pytest.mark.e2e


def test_an_admin_adds_an_engineer_who_is_then_offered_for_dispatch(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor, agent, cid = handed_to_the_agent(new_page, base, "热水器不加热了")
    ap = agent.page
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=2)
    # The address typed without 市 after 杭州.
    install_ticket(ap, base, cid, "杭州萧山区市心路100号", f"{day.isoformat()} 09:00-12:00")

    ap.goto(base + "/agent/")
    expect(ap.locator("#nav-engineers")).to_be_visible()
    ap.click("#nav-engineers")
    ap.wait_for_url("**/agent/engineers.html")
    expect(ap.locator("#engineers")).to_contain_text("还没有工程师。")
    # Add two; the first one is deactivated later.
    for name, phone, skills, regions in (
        ("周师傅", "13800000001", "热水器", "萧山区"),
        ("郑师傅", "13800000002", "", "萧山区, 杭州市"),
    ):
        ap.fill("#e-name", name)
        ap.fill("#e-phone", phone)
        ap.fill("#e-skills", skills)
        ap.fill("#e-regions", regions)
        ap.click("#e-save")
        expect(ap.locator("#saved")).to_contain_text(f"已添加：{name}")
    rows = ap.locator("#engineers tbody tr")
    expect(rows).to_have_count(2)
    zheng = rows.filter(has_text="郑师傅")
    expect(zheng).to_contain_text("全部品类")
    expect(zheng).to_contain_text("萧山区、杭州市")
    # Edit: capacity and phone.
    zheng.locator("button.edit").click()
    expect(ap.locator("#form-title")).to_contain_text("编辑：郑师傅")
    ap.fill("#e-capacity", "3")
    ap.click("#e-save")
    expect(ap.locator("#saved")).to_contain_text("已保存：郑师傅")
    expect(rows.filter(has_text="郑师傅")).to_contain_text("3")
    # Deactivate 周师傅.
    rows.filter(has_text="周师傅").locator("button.toggle").click()
    expect(rows.filter(has_text="周师傅")).to_contain_text("已停用")
    listed = ap.request.get(base + "/api/agent/engineers").json()["engineers"]
    by_name = {e["name"]: e for e in listed}
    assert by_name["周师傅"]["active"] is False
    assert by_name["郑师傅"]["daily_capacity"] == 3 and by_name["郑师傅"]["skills"] == []
    # English strings.
    ap.click("#lang")
    expect(ap.locator("h1")).to_have_text("Engineers")
    expect(rows.filter(has_text="周师傅")).to_contain_text("Inactive")
    ap.click("#lang")

    # The ticket's dispatch choice offers the active engineer only.
    ap.goto(base + "/agent/")
    ap.click('.tab[data-owner="mine"]')
    ap.locator(f'#conv-list .conv-item[data-id="{cid}"]').click()
    card = ap.locator("#visits-card")
    pick = card.locator("#visit-engineer")
    expect(pick).to_contain_text("郑师傅")
    expect(pick.locator("option")).to_have_count(2)  # automatic + 郑师傅
    pick.select_option(label="郑师傅 · 萧山区、杭州市")
    card.locator("#visit-dispatch").click()
    visit = card.locator(".visit-item")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text(f"郑师傅 · {day.isoformat()} 09:00-12:00 · 待上门")
    expect(visitor.page.locator("#kefu-messages")).to_contain_text("已为您安排郑师傅上门")
    _assert_clean(agent, visitor)
