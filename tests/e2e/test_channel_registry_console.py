"""Browser test: the console names channels with the labels the server's registry gives it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.login import login
from tests.e2e.test_browser_flow import _choose_status

pytestmark = pytest.mark.e2e


def test_console_channel_tags_use_the_registry_labels(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    visitor = new_page("visitor-channel")
    vp = visitor.page
    vp.goto(kefu_server + "/")
    vp.click("#kefu-launcher")
    vp.wait_for_selector('#kefu-status[data-state="online"]', timeout=20000)
    vp.fill("#kefu-input", "转人工")
    vp.press("#kefu-input", "Enter")
    vp.wait_for_function(
        """() => Object.keys(localStorage).some((k) => k.startsWith("kefu.seq."))""",
        timeout=20000,
    )
    cid = vp.evaluate(
        """() => Object.keys(localStorage).find((k) => k.startsWith("kefu.seq.")).slice(9)"""
    )

    agent = new_page("agent-channel")
    ap = agent.page
    _choose_status(ap, kefu_server, "away")  # the conversation stays in the queue list
    login(ap, kefu_server, lang="en")
    item = ap.locator(f'#conv-list .conv-item[data-id="{cid}"]')
    expect(item.locator(".tag-channel")).to_have_text("Web chat", timeout=20000)
    # The console's modules are the page's own: importing one gives the instance the page runs.
    label = "async ([name]) => (await import('/agent/console/kit.js')).K.channelLabel(name)"
    assert ap.evaluate(label, ["wecom_kf"]) == "WeCom kf"
    assert ap.evaluate(label, ["no_such_channel"]) == "no_such_channel"
    ap.click("#lang-toggle")
    expect(item.locator(".tag-channel")).to_have_text("网页")
    assert ap.evaluate(label, ["wecom_kf"]) == "企业微信客服"
    assert not agent.page_errors, agent.page_errors
