"""Browser test of the integrations page: an admin makes, uses and revokes an API token, and
subscribes a webhook whose failing deliveries show their last error."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.login import login
from tests.e2e.test_browser_flow import _assert_clean

pytestmark = pytest.mark.e2e


def test_admin_manages_tokens_and_webhooks(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    admin = new_page("admin")
    page = admin.page
    login(page, base)
    page.click("#nav-integrations")
    expect(page.locator("h1")).to_have_text("集成")

    # A token: its name is shown as text, its secret once.
    form = page.locator("#new-token")
    form.locator('input[name="name"]').fill("<b>ERP</b>")
    form.locator('input[value="tickets:write"]').check()
    form.locator('input[value="contacts:write"]').check()
    form.locator("button").click()
    expect(page.locator("#secret-box")).to_be_visible()
    secret = page.locator("#secret-value").inner_text()
    assert secret.startswith("kf_")
    row = page.locator("#tokens-table tbody tr").first
    expect(row.locator("td").first).to_have_text("<b>ERP</b>")
    expect(row.locator("td").nth(2)).to_contain_text("tickets:write")
    auth = {"Authorization": f"Bearer {secret}"}
    made = page.request.post(
        base + "/api/v1/tickets",
        data={"contact": {"email": "e2e@example.cn"}, "subject": "测试", "text": "浏览器"},
        headers=auth,
    )
    assert made.status == 201, made.text()
    page.click("#secret-done")
    expect(page.locator("#secret-box")).to_be_hidden()
    page.reload()
    assert secret not in page.content()
    expect(row.locator("td").nth(4)).not_to_have_text("从未")  # last used is shown

    # Revoke asks on the button, then the token is refused at once.
    revoke = row.locator("button", has_text="吊销")
    revoke.click()
    expect(revoke).to_have_text("确认吊销？（立即失效）")
    revoke.click()
    expect(row.locator("td").nth(5)).to_have_text("已吊销")
    assert page.request.get(base + "/api/v1/tickets", headers=auth).status == 401

    # A webhook to an address where nothing listens: the delivery shows its error.
    hook = page.locator("#new-hook")
    hook.locator('input[name="url"]').fill("http://127.0.0.1:9/hooks")
    hook.locator('input[value="ticket.created"]').check()
    hook.locator("button").click()
    expect(page.locator("#secret-value")).to_contain_text("whsec_")
    page.click("#secret-done")
    hook_row = page.locator("#hooks-table tbody tr").first
    expect(hook_row.locator("td").nth(2)).to_have_text("启用中")
    writer = page.request.post(
        base + "/api/admin/tokens",
        data={"name": "oa", "scopes": ["tickets:write"]},
        headers={"X-Requested-With": "kefu"},
    ).json()["secret"]
    assert (
        page.request.post(
            base + "/api/v1/tickets",
            data={"contact": {"email": "hook@example.cn"}, "subject": "漏水", "text": ""},
            headers={"Authorization": f"Bearer {writer}"},
        ).status
        == 201
    )
    hook_row.locator("button", has_text="投递记录").click()
    delivery = page.locator("#deliveries-table tbody tr").first
    expect(delivery.locator("td").first).to_have_text("ticket.created")
    for _ in range(20):  # the first attempt fails within a second; reload the list until then
        if "Client" in delivery.locator("td").nth(3).inner_text():
            break
        hook_row.locator("button", has_text="投递记录").click()
        page.wait_for_timeout(250)
    expect(delivery.locator("td").nth(3)).to_contain_text("ClientConnectorError")
    expect(delivery.locator("td").nth(1)).to_have_text("等待中")

    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Integrations")
    expect(hook_row.locator("td").nth(2)).to_have_text("Enabled")
    _assert_clean(admin)
