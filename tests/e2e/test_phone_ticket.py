"""Browser test: an agent on the tickets screen opens a ticket for a phone call from a new
number (the customer is created), a second one for a walk-in with the same number written
differently (the same customer), is told what is wrong with a bad number, and the new tickets
are listed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.login import login
from tests.e2e.test_browser_flow import _assert_clean

pytestmark = pytest.mark.e2e


def test_an_agent_opens_phone_and_walk_in_tickets(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    agent = new_page("agent")
    ap = agent.page
    login(ap, base)
    ap.goto(base + "/agent/tickets.html")
    ap.click("#new-phone-ticket")
    form = ap.locator("#phone-ticket")
    result = form.locator(".phone-ticket-result")
    expect(form.locator('select[name="type"]')).to_have_value("repair")

    def submit(phone: str, told: str) -> int:
        """Type the phone, submit, wait to be told ``told``; the new ticket's number."""
        form.locator('input[name="phone"]').fill(phone)
        form.locator('button[type="submit"]').click()
        expect(result).to_contain_text(told)
        return int(str(result.text_content()).split("#", 1)[1].split("，", 1)[0])

    form.locator('input[name="name"]').fill("赵先生")
    form.locator('textarea[name="summary"]').fill("电话报修：空调不制冷")
    first = submit("+86 139-0000-7777", "客户：赵先生（新客户）")
    expect(ap.locator("#tickets tbody")).to_contain_text(str(first))
    form.locator('select[name="type"]').select_option("install")
    form.locator('select[name="source"]').select_option("walk_in")
    second = submit("13900007777", "（已有客户）")
    assert second != first

    form.locator('input[name="phone"]').fill("12345")
    form.locator('button[type="submit"]').click()
    expect(result).to_contain_text("创建失败")

    tickets = ap.request.get(base + "/api/agent/tickets").json()["tickets"]
    mine = {t["number"]: t for t in tickets if t["number"] in (first, second)}
    assert {t["channel"] for t in mine.values()} == {"phone", "walk_in"}
    assert mine[first]["contact"]["id"] == mine[second]["contact"]["id"]
    _assert_clean(agent)
