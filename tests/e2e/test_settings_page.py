"""Browser test of the settings page: an admin edits an SLA policy, an agent and a canned reply."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.login import login
from tests.e2e.test_browser_flow import _assert_clean

pytestmark = pytest.mark.e2e


def test_admin_edits_sla_agents_and_canned_replies(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    admin = new_page("admin")
    page = admin.page
    login(page, base)
    page.click("#nav-settings")
    expect(page.locator("h1")).to_have_text("设置")

    row = page.locator('#sla-table tr[data-key="urgent"]')
    expect(row.locator('input[name="first_response_minutes"]')).to_have_value("30")
    expect(row.locator("td").nth(4)).to_have_text("配置文件")
    row.locator('input[name="first_response_minutes"]').fill("20")
    row.locator('select[name="clock"]').select_option("business")
    row.locator("button.save").click()
    expect(page.locator("#notice")).to_have_text("已保存。")
    expect(row.locator("td").nth(4)).to_have_text("管理员设置")
    api = page.request.get(base + "/api/admin/sla").json()
    urgent = next(p for p in api["policies"] if p["key"] == "urgent")
    assert (urgent["first_response_minutes"], urgent["clock"]) == (20, "business")

    # A value the server refuses shows its reason and changes nothing.
    row.locator('input[name="resolution_minutes"]').fill("5")
    row.locator("button.save").click()
    expect(page.locator("#error")).to_contain_text("resolution_minutes")
    page.reload()
    expect(row.locator('input[name="resolution_minutes"]')).to_have_value("2880")
    row.locator("button.reset").click()
    expect(row.locator("td").nth(4)).to_have_text("配置文件")

    # Agents: add one with skills, then change their capacity.
    form = page.locator("#new-agent")
    form.locator('input[name="name"]').fill("安装师傅")
    form.locator('input[name="email"]').fill("install@kefu.local")
    form.locator('input[name="password"]').fill("install-1")
    form.locator('input[name="skills"]').fill("installation，repair")
    form.locator("button").click()
    new_row = page.locator("#agents-table tr", has_text="install@kefu.local")
    expect(new_row.locator("input").first).to_have_value("installation, repair")
    new_row.locator('input[name="max_concurrent"]').fill("2")
    new_row.locator("button.save").click()
    expect(page.locator("#notice")).to_have_text("已保存。")
    agents = page.request.get(base + "/api/agent/agents").json()["agents"]
    added = next(a for a in agents if a["email"] == "install@kefu.local")
    assert added["skills"] == ["installation", "repair"] and added["max_concurrent"] == 2
    # Removing asks first, in the page; the agent leaves the list (issue 15). Not oneself.
    new_row.locator("button.remove").click()
    expect(page.locator("#notice")).to_contain_text("安装师傅")
    expect(new_row.locator("button.remove")).to_have_text("确认移除")
    new_row.locator("button.remove").click()
    expect(page.locator("#notice")).to_have_text("已移除。")
    expect(new_row).to_have_count(0)
    me_row = page.locator("#agents-table tr", has_text="demo@kefu.local")
    expect(me_row.locator("button.remove")).to_have_count(0)

    # The web chat inbox's pre-chat form, field by field (issue 15).
    prechat = page.locator("#prechat")
    expect(prechat.locator("#prechat-source")).to_have_text("当前：kefu.toml 的默认设置")
    prechat.locator('select[name="phone"]').select_option("required")
    prechat.locator('select[name="email"]').select_option("optional")
    prechat.locator("#prechat-save").click()
    expect(prechat.locator("#prechat-source")).to_have_text("当前：管理员设置")
    form = page.request.get(base + "/api/admin/inboxes/web/prechat").json()["form"]
    assert form == {"name": "off", "phone": "required", "email": "optional"}

    # Canned replies: text is shown as text, never as markup.
    canned = page.locator("#new-canned")
    canned.locator('input[name="shortcut"]').fill("wait")
    canned.locator('input[name="text"]').fill("<b>请稍等</b>，{customer_name}")
    canned.locator("button").click()
    cell = page.locator("#canned-table td", has_text="请稍等")
    expect(cell).to_have_text("<b>请稍等</b>，{customer_name}")

    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Settings")
    expect(row.locator("td").first).to_have_text("Urgent")
    _assert_clean(admin)
