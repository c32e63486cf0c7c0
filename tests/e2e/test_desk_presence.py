"""Browser test of true presence in the console (issue 15, bugs 1 and 2, in Chromium).

Two agents log in; 小李 closes the browser without logging out; a customer who asks for a
person is given to the agent still at the desk. The admin's status selector shows the status
they chose (not 离线 after login), the admin claims 小李's earlier customer, and a plain agent
who tries to answer a colleague's customer reads why in Chinese, the console's language.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _conversation_id, _open_widget

pytestmark = pytest.mark.e2e


def _until(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy (server state has no push to wait on)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _agents(page: Any, base: str) -> dict[str, dict[str, Any]]:
    resp = page.request.get(base + "/api/agent/agents")
    assert resp.ok, resp.text()
    return {a["name"]: a for a in resp.json()["agents"]}


def _me(page: Any, base: str) -> dict[str, Any]:
    agent: dict[str, Any] = page.request.get(base + "/api/agent/me").json()["agent"]
    return agent


def test_the_customer_goes_to_the_agent_who_is_really_there(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    admin = new_page("admin")
    adp = admin.page
    login(adp, base)
    # Bug 1: after login the selector said 离线 and customers heard "nobody is online".
    expect(adp.locator("#agent-status")).to_have_value("online")
    adp.select_option("#agent-status", "away")  # busy for now
    _until(lambda: _me(adp, base)["status"] == "away", "the admin to be away")
    for email, name in (("li@kefu.local", "小李"), ("wang@kefu.local", "小王")):
        made = adp.request.post(
            base + "/api/admin/agents",
            data={"email": email, "name": name, "password": "pw-1234"},
            headers=CSRF,
        )
        assert made.status == 201, made.text()

    # 小李 logs in, sets 在线 and takes a first customer.
    li = new_page("li")
    login(li.page, base, "li@kefu.local", "pw-1234")
    li.page.select_option("#agent-status", "online")
    _until(lambda: _agents(adp, base)["小李"]["connected"], "小李's console")
    first = new_page("first-customer")
    _open_widget(first, base)
    _ask(first.page, "我的快递到哪了", ".", senders=("bot", "system"))
    _ask(first.page, "转人工", "小李", senders=("system",))
    first_id = _conversation_id(first.page)

    # 小李 closes the browser without logging out.
    li.page.context.close()
    _until(lambda: not _agents(adp, base)["小李"]["connected"], "小李's console to close")
    assert _agents(adp, base)["小李"]["status"] == "online"  # still what 小李 chose

    # The admin is back at the desk.
    adp.select_option("#agent-status", "online")
    _until(lambda: _me(adp, base)["status"] == "online", "the admin to be online")
    # The admin claims 小李's first customer (the 接管 button was greyed out): now the admin
    # is busier than 小李, so a customer given by load alone would go to 小李.
    adp.goto(f"{base}/agent/#/c/{first_id}")
    take = adp.locator("#takeover")
    expect(take).to_be_enabled()
    take.click()
    _ask_wait = 'Array.from(document.querySelectorAll("#kefu-messages .kefu-text"))'
    first.page.wait_for_function(
        f"() => {_ask_wait}.some((n) => n.textContent.includes('Demo Agent'))"
    )
    expect(adp.locator("#detail-error")).to_be_hidden()

    # A new customer asks for a person and gets the admin, the one really there, not 小李.
    second = new_page("second-customer")
    _open_widget(second, base)
    _ask(second.page, "洗衣机不排水怎么办", ".", senders=("bot", "system"))
    _ask(second.page, "转人工", "Demo Agent", senders=("system",))
    joined = second.page.locator('#kefu-messages .kefu-msg[data-sender="system"]')
    expect(joined.filter(has_text="小李")).to_have_count(0)

    # 小王, a plain agent, tries to answer the admin's customer: refused, in Chinese.
    wang = new_page("wang")
    wp = wang.page
    login(wp, base, "wang@kefu.local", "pw-1234")
    wp.goto(f"{base}/agent/#/c/{first_id}")
    expect(wp.locator("#takeover")).to_be_disabled()
    wp.fill("#reply-text", "我来回答")
    wp.click("#reply-send")
    error = wp.locator("#detail-error")
    expect(error).to_have_text("该会话正由其他客服处理")  # was "Another agent holds ..."
    _assert_clean(admin, first, second, wang)
