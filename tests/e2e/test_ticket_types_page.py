"""Admins define ticket types in the console (issue 17): a field added to 报修 in the browser is
a new version of the type, required before the status it names; a bad key is refused in the
console's language and nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.login import login
from tests.e2e.test_browser_flow import _assert_clean

pytestmark = pytest.mark.e2e


def test_an_admin_adds_a_required_field_to_repair_tickets(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    admin = new_page("admin")
    page = admin.page
    login(page, base, lang="zh")
    expect(page.locator("#nav-types")).to_be_visible()
    page.click("#nav-types")
    page.wait_for_url("**/agent/ticket_types.html")
    page.locator("#type-select").select_option("repair")
    expect(page.locator("#name-zh")).to_have_value("报修")
    before = page.locator("#fields tbody tr").count()
    assert before >= 4  # the configured repair fields

    page.click("#add-field")
    row = page.locator("#fields tbody tr").last
    row.locator(".f-key").fill("warranty_card")
    row.locator(".f-kind").select_option("choice")
    row.locator(".f-zh").fill("保修卡")
    row.locator(".f-en").fill("Warranty card")
    row.locator(".f-at").select_option("resolved")
    row.locator(".f-opts").fill("yes=有/Yes|no=没有/No")
    page.click("#save")
    expect(page.locator("#saved")).to_contain_text("报修 第 2 版")

    types = page.request.get(base + "/api/agent/ticket-types").json()["types"]
    repair = next(t for t in types if t["key"] == "repair")
    assert repair["version"] == 2 and len(repair["fields"]) == before + 1
    card = next(f for f in repair["fields"] if f["key"] == "warranty_card")
    assert card["required_at"] == "resolved" and card["label"] == {
        "zh": "保修卡",
        "en": "Warranty card",
    }
    assert [o["key"] for o in card["options"]] == ["yes", "no"]

    # A bad field key: refused with a Chinese message naming the problem, no version 3.
    page.click("#add-field")
    page.locator("#fields tbody tr").last.locator(".f-key").fill("坏键")
    page.locator("#fields tbody tr").last.locator(".f-zh").fill("甲")
    page.locator("#fields tbody tr").last.locator(".f-en").fill("A")
    page.click("#save")
    expect(page.locator("#error")).to_contain_text("工单类型定义不正确")
    types = page.request.get(base + "/api/agent/ticket-types").json()["types"]
    assert next(t for t in types if t["key"] == "repair")["version"] == 2
    _assert_clean(admin)
