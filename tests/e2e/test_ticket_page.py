"""The customer's ticket page on a phone (issue 16, in Chromium at 390 px).

The visitor asks for a person in the widget; the escalation notice carries the page's link.
Opened on a 390 px wide screen the page fits (no sideways scrolling), shows the ticket and
the customer's own words as text (markup typed by the customer stays visible text), and
switches to English. No script errors, no CSP violations.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import PageWatch
from tests.e2e.login import login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _open_widget

pytestmark = pytest.mark.e2e

MARKUP = "<b>热水器</b>不加热"
LINK = re.compile(r"/t/[0-9]+\.[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+")


def test_the_ticket_page_reads_well_on_a_phone(
    kefu_server: Any, new_page: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    _ask(vp, MARKUP, ".", senders=("bot",))
    _ask(vp, "转人工", "/t/", senders=("bot", "system"))
    texts = vp.locator('#kefu-messages .kefu-msg[data-sender="bot"]').all_inner_texts()
    found = [m.group(0) for t in texts if (m := LINK.search(t))]
    assert found, texts

    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    try:
        phone = PageWatch(ctx.new_page(), "phone")
        page = phone.page
        page.goto(base + found[-1])
        expect(page.locator("h1")).to_contain_text("工单 #")
        expect(page.locator(".state")).to_have_text(re.compile("已受理|处理中"))
        expect(page.locator(".history")).to_contain_text(MARKUP)  # as text, not markup
        assert page.locator(".msg p b").count() == 0  # the customer's <b> is not bold
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
        size = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 15
        page.click("nav a")
        expect(page.locator("h1")).to_contain_text("Ticket #")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
        _assert_clean(visitor, phone)
    finally:
        ctx.close()


HAZARD = "我家的热水器漏电了，太危险了，我要投诉！<i>快</i>"


def test_an_urgent_hazard_is_in_the_supervisor_alerts_page(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor = new_page("visitor-hazard")
    _open_widget(visitor, base)
    _ask(visitor.page, HAZARD, "工单", senders=("bot", "system"))

    agent = new_page("supervisor")
    ap = agent.page
    login(ap, base, lang="zh")
    ap.click("#nav-alerts")
    row = ap.locator('#alerts tbody tr[data-kind="urgent"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("加急")
    expect(row).to_contain_text("安全隐患")
    expect(row.locator("a")).to_contain_text("<i>快</i>")  # the subject stays text
    assert row.locator("i").count() == 0
    ap.click("#lang")
    expect(row).to_contain_text("Safety hazard")
    row.locator("button").click()  # the demo admin marks it handled
    expect(ap.locator('#alerts tbody tr[data-kind="urgent"]')).to_have_count(0)
    _assert_clean(visitor, agent)
