"""Browser end-to-end test of the service desk (issue 4's "done when").

A customer complains about a leaking appliance on the web widget -> an urgent ticket with SLA
due times, assigned to the online agent with the repair skill -> the agent replies using a
knowledge-base suggestion -> resolves -> the customer rates 5 -> the dashboard shows the first
response time and the CSAT.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _open_widget

pytestmark = pytest.mark.e2e


def test_complaint_to_rated_resolution_on_the_dashboard(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server

    # --- the admin adds a repair technician; the admin stays away -----------
    admin = new_page("admin")
    adp = admin.page
    login(adp, base)
    created = adp.request.post(
        base + "/api/admin/agents",
        data={
            "email": "wang@kefu.local",
            "name": "王师傅",
            "password": "repair-1",
            "skills": ["repair"],
            "role": "supervisor",  # complaints go to the supervisors' queue ([triage] routes)
        },
        headers=CSRF,
    )
    assert created.status == 201, created.text()
    # Away: an admin with the console open would otherwise be given the complaint.
    away = adp.request.post(base + "/api/agent/status", data={"status": "away"}, headers=CSRF)
    assert away.ok, away.text()

    # --- the technician logs in and goes online -----------------------------
    agent = new_page("agent")
    ap = agent.page
    login(ap, base, "wang@kefu.local", "repair-1")
    expect(ap.locator("#nav-kb")).to_have_attribute("href", "/agent/kb.html")
    ap.select_option("#agent-status", "online")
    expect(ap.locator("#agent-status")).to_have_value("online")

    # --- the customer complains on the widget -------------------------------
    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    # The first message reaches a person: no need to ask for one.
    _ask(vp, "洗衣机漏电了，我要投诉", "王师傅", senders=("system",))

    # --- the technician finds it in "mine", urgent, with SLA countdowns -----
    ap.click('.tab[data-owner="mine"]')
    item = ap.locator("#conv-list .conv-item").first
    expect(item).to_be_visible()
    expect(item.locator(".sla-countdown")).to_be_visible()
    item.click()
    expect(ap.locator("#ticket-priority")).to_have_value("urgent")
    expect(ap.locator("#ticket-category")).to_have_value("repair")
    expect(ap.locator("#ticket-number")).to_have_text("#1001")
    expect(ap.locator("#sla-first")).to_contain_text("m")
    expect(ap.locator("#sla-resolution")).to_contain_text("1d")
    expect(ap.locator("#customer-360")).to_contain_text("#1001")

    # --- one click inserts the KB suggestion; send it ------------------------
    first = ap.locator("#kb-suggestions .kb-suggestion").first
    expect(first).to_be_visible()
    answer = first.locator(".kb-a").text_content() or ""
    assert answer.strip()
    first.locator(".kb-insert").click()
    expect(ap.locator("#reply-text")).to_have_value(answer)
    ap.click("#reply-send")
    snippet = answer.strip().splitlines()[0][:20]
    expect(
        vp.locator('.kefu-msg[data-sender="agent"] .kefu-text', has_text=snippet)
    ).to_be_visible()
    expect(ap.locator("#sla-first")).to_have_text("已响应")

    # --- resolve (keyboard shortcut), the customer rates 5 ------------------
    ap.locator("#messages").click()
    ap.keyboard.press("Alt+r")
    expect(ap.locator("#resolve")).to_be_disabled()
    rate5 = vp.locator('.kefu-survey .kefu-rate[data-score="5"]')
    expect(rate5).to_be_visible()
    rate5.click()
    expect(
        vp.locator('.kefu-msg[data-sender="system"] .kefu-text', has_text="感谢您的评价")
    ).to_be_visible()
    expect(ap.locator("#ticket-csat")).to_have_text("5 / 5")

    # --- the dashboard shows the first response time and the CSAT -----------
    adp.goto(base + "/agent/reports")
    expect(adp.locator('[data-metric="csat_average"] .kpi-value')).to_have_text("5.00")
    frt = adp.locator('[data-metric="first_response_avg_seconds"] .kpi-value')
    expect(frt).to_have_text(re.compile(r"^\d+(\.\d)? (s|min)$"))
    expect(adp.locator('[data-metric="csat_response_rate"] .kpi-value')).to_have_text("100.0%")
    expect(adp.locator("#table-by_agent")).to_contain_text("王师傅")
    expect(adp.locator("#chart-csat svg rect")).not_to_have_count(0)

    _assert_clean(visitor, agent, admin)
