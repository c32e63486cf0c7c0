"""Browser test of the widget without a network (issue 15, bug 7, in Chromium).

The network goes down for over a minute: the header must not say 在线, a message typed
meanwhile must say it was not sent (not 发送中… for ever), must be kept in the browser, and
after a reload it must reach the server exactly once.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.test_browser_flow import _ask, _assert_clean, _open_widget

pytestmark = pytest.mark.e2e

OFFLINE_TEXT = "断网时写的：我想申请退货，订单 20261203"
CUSTOMER = '#kefu-messages .kefu-msg[data-sender="customer"]'
FAILED = re.compile(r"\bkefu-failed\b")


def _stored_pending(page: Any) -> list[dict[str, str]]:
    stored: list[dict[str, str]] = json.loads(
        page.evaluate("() => localStorage.getItem('kefu.pending') || '[]'")
    )
    return stored


def test_a_minute_offline_and_a_reload_lose_and_duplicate_nothing(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    _ask(vp, "你好", ".", senders=("bot",))
    status = vp.locator("#kefu-status")

    vp.context.set_offline(True)
    expect(status).to_have_attribute("data-state", "offline")  # was 在线 the whole time
    vp.fill("#kefu-input", OFFLINE_TEXT)
    vp.press("#kefu-input", "Enter")
    bubble = vp.locator(f"{CUSTOMER}.kefu-pending", has_text=OFFLINE_TEXT)
    expect(bubble).to_have_class(FAILED)
    expect(bubble.locator(".kefu-state")).to_contain_text("未发送")  # not 发送中… for ever
    expect(bubble.locator(".kefu-retry")).to_be_visible()
    assert [m["text"] for m in _stored_pending(vp)] == [OFFLINE_TEXT]  # kept in the browser

    # Down for over a minute: still honest, still kept.
    vp.wait_for_timeout(61_000)
    expect(status).to_have_attribute("data-state", "offline")
    expect(bubble).to_be_visible()

    # The network is back and the customer reloads at once.
    vp.context.set_offline(False)
    vp.reload()
    vp.click("#kefu-launcher")
    expect(status).to_have_attribute("data-state", "online")
    sent = vp.locator(CUSTOMER, has_text=OFFLINE_TEXT)
    expect(sent).to_have_count(1)
    expect(sent.first).not_to_have_class(FAILED)
    expect(vp.locator(f"{CUSTOMER}.kefu-pending")).to_have_count(0)
    vp.wait_for_function("() => !localStorage.getItem('kefu.pending')")

    # A fresh page shows the server's history: the message is stored exactly once.
    vp.reload()
    vp.click("#kefu-launcher")
    expect(status).to_have_attribute("data-state", "online")
    expect(vp.locator(CUSTOMER, has_text="你好")).to_have_count(1)
    expect(vp.locator(CUSTOMER, has_text=OFFLINE_TEXT)).to_have_count(1)
    _assert_clean(visitor)
