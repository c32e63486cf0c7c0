"""Browser tests of a team's daily desk (issue 15, in Chromium): edit and merge a customer
from the 360 panel, labels and the list filter, the "/" picker running a macro, the SLA list
in local time, the tickets screen, server errors in the console's language, and the
phone-sized console (390x844) without horizontal scrolling on any pane."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import (
    AGENT_EMAIL,
    AGENT_PASSWORD,
    _ask,
    _assert_clean,
    _choose_status,
    _conversation_id,
    _open_widget,
)

pytestmark = pytest.mark.e2e
NO_SCROLL_X = "() => document.scrollingElement.scrollWidth <= window.innerWidth"


def _escalated(new_page: Any, base: str, text: str, name: str, at_once: bool = False) -> str:
    visitor = new_page(name)
    _open_widget(visitor, base)
    if at_once:  # a complaint about a hazard goes to a person at once
        _ask(visitor.page, text, "人工|客服|工单", senders=("bot", "system"))
    else:
        _ask(visitor.page, text, ".", senders=("bot", "system"))
        _ask(visitor.page, "转人工", "人工|客服", senders=("bot", "system"))
    return _conversation_id(visitor.page)


def test_edit_merge_label_filter_and_a_macro_from_the_slash_picker(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    first = _escalated(new_page, base, "我想申请退货，东西坏了", "visitor1")
    second = _escalated(new_page, base, "订单还没有到", "visitor2")
    agent = new_page("agent")
    ap = agent.page
    _choose_status(ap, base, "away")  # both customers wait in the queue
    login(ap, base, AGENT_EMAIL, AGENT_PASSWORD, lang="zh")
    made = ap.request.post(
        base + "/api/admin/macros",
        data={
            "name": "退货受理",
            "actions": [
                {"type": "reply", "text": "您好，工单 {ticket_number} 已受理"},
                {"type": "label", "label": "售后"},
                {"type": "priority", "priority": "high"},
            ],
        },
        headers=CSRF,
    )
    assert made.status == 201, made.text()
    canned = ap.request.post(
        base + "/api/admin/canned",
        data={"shortcut": "thanks", "title": "感谢", "text": "感谢您的耐心等待"},
        headers=CSRF,
    )
    assert canned.status == 201

    ap.locator(f'#conv-list .conv-item[data-id="{first}"]').click()
    panel = ap.locator("#customer-360")
    expect(panel.locator(".c360-row").first).not_to_contain_text("visitor")
    # Edit: a bad phone is refused in the console's language, a good one is cleaned.
    panel.locator("#contact-edit").click()
    form = ap.locator("#contact-form")
    form.locator('input[name="name"]').fill("张伟")
    form.locator('input[name="phone"]').fill("12")
    form.locator('button[type="submit"]').click()
    expect(form.locator(".form-error")).to_have_text("手机号码不正确")
    form.locator('input[name="phone"]').fill("+86 138-1234-5678")
    form.locator('select[name="tier"]').select_option("vip")
    form.locator('button[type="submit"]').click()
    expect(panel.locator(".c360-name")).to_have_text("张伟 · VIP")
    expect(panel.locator(".c360-event").first).to_contain_text("修改了")
    expect(ap.locator("#detail-contact")).to_have_text("张伟")

    # Merge the other conversation's customer into this one.
    panel.locator("#contact-merge").click()
    other_contact = ap.request.get(f"{base}/api/agent/conversations/{second}/customer").json()
    ap.fill("#merge-query", str(other_contact["contact"]["id"]))
    ap.locator(f'#merge-results .merge-pick[data-id="{other_contact["contact"]["id"]}"]').click()
    ap.click("#merge-confirm")
    expect(panel.locator(".c360-event").first).to_contain_text("合并了客户")
    after = ap.request.get(f"{base}/api/agent/conversations/{second}/customer").json()
    assert after["contact"]["name"] == "张伟" and len(after["identities"]) == 2
    expect(ap.locator(f'#conv-list .conv-item[data-id="{second}"] .conv-name')).to_have_text("张伟")

    # A label, then the list filtered by it.
    ap.fill("#label-add", "退货")
    ap.press("#label-add", "Enter")
    expect(ap.locator('#conv-labels .tag-label[data-label="退货"]')).to_be_visible()
    ap.click("#filter-toggle")
    ap.locator("#f-label").select_option(label="退货")
    expect(ap.locator("#conv-list .conv-item")).to_have_count(1)
    expect(ap.locator(f'#conv-list .conv-item[data-id="{first}"] .tag-label')).to_have_text("退货")
    ap.click("#filter-clear")
    expect(ap.locator("#conv-list .conv-item")).to_have_count(2)

    # "/" opens the picker, filtered as one types and driven by the keyboard.
    box = ap.locator("#reply-text")
    box.fill("")
    box.press_sequentially("/")
    picker = ap.locator("#slash-picker")
    expect(picker).to_be_visible()
    expect(picker.locator(".slash-item")).to_have_count(2)
    box.press_sequentially("退货")
    expect(picker.locator(".slash-item")).to_have_count(1)
    expect(picker.locator(".slash-item.active")).to_have_attribute("data-kind", "macro")
    box.press("Enter")
    expect(ap.locator('#messages .msg[data-sender="agent"] .msg-text').last).to_have_text(
        re.compile(r"^您好，工单 #\d+ 已受理$")
    )
    expect(ap.locator('#conv-labels .tag-label[data-label="售后"]')).to_be_visible()
    expect(ap.locator("#ticket-priority")).to_have_value("high")
    box.press_sequentially("/tha")
    expect(picker.locator(".slash-item")).to_have_count(1)
    box.press("ArrowDown")
    box.press("Tab")
    expect(box).to_have_value("感谢您的耐心等待")
    expect(picker).to_be_hidden()
    _assert_clean(agent)


def test_sla_list_tickets_screen_and_one_language(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    cid = _escalated(new_page, base, "洗衣机漏电了，我要投诉", "visitor3", at_once=True)
    agent = new_page("agent")
    ap = agent.page
    _choose_status(ap, base, "away")
    login(ap, base, AGENT_EMAIL, AGENT_PASSWORD, lang="zh")
    ap.click("#sla-toggle")
    item = ap.locator(".sla-item").first
    expect(item).to_be_visible()
    expect(item.locator(".sla-state")).to_have_text("即将超时")
    # The due time in Asia/Shanghai, as the server computed it, not a UTC ISO string.
    sla = ap.request.get(base + "/api/agent/sla").json()
    mine = next(i for i in sla["items"] if str(i["conversation_id"]) == cid)
    expect(ap.locator(f'.sla-item[data-number="{mine["number"]}"] .sla-due').first).to_contain_text(
        mine["due_local"] + "（Asia/Shanghai）"
    )
    assert "T" not in mine["due_local"]
    ap.locator(f'.sla-item[data-number="{mine["number"]}"]').first.click()
    expect(ap).to_have_url(re.compile(rf"#c/{cid}$"))

    # The tickets screen: filters, then a row opens its conversation.
    ap.goto(base + "/agent/tickets.html")
    expect(ap.locator(f'#tickets tr[data-number="{mine["number"]}"]')).to_be_visible()
    ap.locator("#f-priority").select_option("urgent")
    expect(ap.locator("#tickets tbody tr")).to_have_count(1)
    ap.locator("#f-status").select_option("closed")
    expect(ap.locator("#tickets tbody tr")).to_have_count(0)
    expect(ap.locator("#empty")).to_be_visible()
    ap.locator("#f-status").select_option("")
    ap.locator(f'#tickets tr[data-number="{mine["number"]}"]').click()
    expect(ap).to_have_url(re.compile(rf"/agent/#c/{cid}$"))
    expect(ap.locator("#detail-contact")).to_be_visible()

    # One language at a time: statuses and server errors follow the console's language.
    expect(ap.locator("#ticket-status")).to_have_text("新建")
    ap.click("#lang-toggle")
    expect(ap.locator("#ticket-status")).to_have_text("New")
    ap.locator("#contact-edit").click()
    ap.locator('#contact-form input[name="email"]').fill("not-an-address")
    ap.locator('#contact-form button[type="submit"]').click()
    expect(ap.locator("#contact-form .form-error")).to_have_text("That email address is not valid")
    ap.click("#lang-toggle")
    ap.locator('#contact-form button[type="submit"]').click()
    expect(ap.locator("#contact-form .form-error")).to_have_text("邮箱地址不正确")
    _assert_clean(agent)


def test_the_phone_sized_console_has_no_horizontal_scrolling(
    kefu_server: Any, new_page: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    cid = _escalated(new_page, base, "空调不制冷，要修", "visitor4")
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    try:
        ap = ctx.new_page()
        ap.set_default_timeout(20000)
        errors: list[str] = []
        ap.on("pageerror", lambda e: errors.append(str(e)))
        _choose_status(ap, base, "away")
        login(ap, base, AGENT_EMAIL, AGENT_PASSWORD, lang="zh")
        switch = ap.locator("#pane-switch")
        expect(switch).to_be_visible()
        expect(ap.locator("#conv-list")).to_be_visible()
        assert ap.evaluate(NO_SCROLL_X), "the list pane scrolls sideways"

        ap.locator(f'#conv-list .conv-item[data-id="{cid}"]').click()
        expect(ap.locator("#messages")).to_be_visible()
        expect(ap.locator("#conv-list")).to_be_hidden()
        assert ap.evaluate(NO_SCROLL_X), "the conversation pane scrolls sideways"

        switch.locator('[data-pane="ticket"]').click()
        expect(ap.locator("#ticket-card")).to_be_visible()
        expect(ap.locator("#messages")).to_be_hidden()
        expect(ap.locator("#customer-360 .c360-name")).to_be_visible()
        assert ap.evaluate(NO_SCROLL_X), "the ticket pane scrolls sideways"

        switch.locator('[data-pane="detail"]').click()
        expect(ap.locator("#messages")).to_be_visible()
        switch.locator('[data-pane="list"]').click()
        expect(ap.locator("#conv-list")).to_be_visible()
        assert ap.evaluate(NO_SCROLL_X)

        ap.goto(base + "/agent/tickets.html")
        expect(ap.locator("#tickets tbody tr").first).to_be_visible()
        assert ap.evaluate(NO_SCROLL_X), "the tickets screen scrolls sideways"
        assert not errors, errors
    finally:
        ctx.close()


def test_admins_manage_labels_and_macros_and_reports_count_labels(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    cid = _escalated(new_page, base, "我要换货", "visitor5")
    agent = new_page("agent")
    ap = agent.page
    _choose_status(ap, base, "away")
    login(ap, base, AGENT_EMAIL, AGENT_PASSWORD, lang="zh")
    expect(ap.locator("#nav-macros")).to_be_visible()
    ap.goto(base + "/agent/macros.html")
    ap.fill("#label-name", "换货")
    ap.click('#label-form button[type="submit"]')
    expect(ap.locator('#labels tr[data-label="换货"]')).to_be_visible()
    ap.fill("#macro-name", "换货受理")
    ap.fill("#macro-reply", "{customer_name}您好，换货已受理")
    ap.fill("#macro-label", "换货")
    ap.locator("#macro-priority").select_option("urgent")
    ap.click("#macro-save")
    row = ap.locator('#macros tr[data-macro="换货受理"]')
    expect(row).to_contain_text("标签: 换货")
    expect(row).to_contain_text("优先级: 紧急")

    ap.goto(f"{base}/agent/#c/{cid}")
    box = ap.locator("#reply-text")
    box.press_sequentially("/换货")
    expect(ap.locator("#slash-picker .slash-item")).to_have_count(1)
    box.press("Enter")
    expect(ap.locator('#conv-labels .tag-label[data-label="换货"]')).to_be_visible()
    expect(ap.locator("#ticket-priority")).to_have_value("urgent")

    ap.goto(base + "/agent/reports")
    expect(ap.locator('#label-report tr[data-label="换货"] td').nth(1)).to_have_text("1")
    _assert_clean(agent)
