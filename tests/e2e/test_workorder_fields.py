"""Browser test: an agent types an escalated ticket as 报修 in the console, fills its fields,
tries to resolve and is told which required fields are still empty (in the console's language,
Chinese then English), fills them and resolves."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.login import CSRF
from tests.e2e.test_browser_flow import _assert_clean
from tests.e2e.test_products_console import handed_to_the_agent

pytestmark = pytest.mark.e2e


def test_required_fields_block_resolving_in_the_console(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor, agent, cid = handed_to_the_agent(new_page, base, "洗衣机不脱水了")
    ap = agent.page
    contact = ap.request.get(base + f"/api/agent/conversations/{cid}").json()["conversation"]
    made = ap.request.post(
        base + f"/api/agent/contacts/{contact['contact']['id']}/products",
        data={"category": "洗衣机", "model": "XQG100-BD14", "serial": "SN-E2E-9"},
        headers=CSRF,
    )
    assert made.status == 201, made.text()
    ap.goto(base + "/agent/")
    ap.click('.tab[data-owner="mine"]')
    ap.locator(f'#conv-list .conv-item[data-id="{cid}"]').click()
    card = ap.locator("#workorder-card")
    card.locator("#workorder-type").select_option("repair")
    card.locator('[data-field="fault"] input').fill("不脱水")
    card.locator('[data-field="phone"] input').fill("139 0000 3333")
    card.locator('[data-field="address"] input').fill("浙江省杭州市西湖区文三路90号")
    card.locator("#workorder-save").click()
    expect(card.locator(".workorder-note")).to_have_text("已保存")
    expect(card.locator('[data-field="phone"] input')).to_have_value("13900003333")
    expect(card).to_contain_text("报修 · 版本 1")

    ap.click("#resolve")
    error = ap.locator("#detail-error")
    expect(error).to_contain_text("请先填写「设备」「故障原因」「更换配件」，工单才能改为已解决。")
    ap.click("#lang-toggle")
    ap.click("#resolve")
    expect(error).to_contain_text("Fill in Product, Fault cause, Parts used before the ticket")
    expect(card.locator("h3")).to_have_text("Ticket type and fields")

    card.locator('[data-field="product"] select').select_option(
        label="洗衣机 · XQG100-BD14 · SN-E2E-9"
    )
    card.locator('[data-field="cause"] input').fill("排水泵堵塞")
    card.locator('[data-field="parts"] input').fill("排水泵")
    card.locator("#workorder-save").click()
    expect(card.locator(".workorder-note")).to_have_text("Saved")
    ap.click("#resolve")
    deadline = time.monotonic() + 20
    while (
        ap.request.get(base + f"/api/agent/conversations/{cid}").json()["conversation"]["owner"]
        != "resolved"
    ):
        assert time.monotonic() < deadline, "the conversation was not resolved"
        time.sleep(0.2)
    _assert_clean(agent, visitor)
