"""Browser test of the console's search box and unread counts (issue 15, in Chromium).

A customer wrote 我想申请退货 and asked for a person; the console's tab title counts the
unread messages; the agent searches for 退货 (a word from the middle of the sentence), sees
the snippet with the word marked, opens the conversation, and the count goes away.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.login import login
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


def test_search_finds_a_word_inside_a_chinese_sentence_and_the_title_counts_unread(
    kefu_server: Any, new_page: Any
) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    visitor = new_page("visitor")
    vp = visitor.page
    _open_widget(visitor, base)
    _ask(vp, "我想申请退货，东西坏了", ".", senders=("bot", "system"))
    _ask(vp, "转人工", "人工|客服", senders=("bot", "system"))
    cid = _conversation_id(vp)

    agent = new_page("agent")
    ap = agent.page
    _choose_status(ap, base, "away")  # the customer waits in the queue, unread
    login(ap, base, AGENT_EMAIL, AGENT_PASSWORD)
    expect(ap).to_have_title(re.compile(r"^\(2\) kefu 客服工作台$"))
    item = ap.locator(f'#conv-list .conv-item[data-id="{cid}"]')
    expect(item.locator(".tag-unread")).to_have_text("2")

    ap.fill("#search-input", "退货")
    ap.press("#search-input", "Enter")
    hit = ap.locator(f'#search-results .search-item[data-id="{cid}"]')
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_have_text("退货")
    expect(ap.locator("#conv-list")).to_be_hidden()  # results replace the list
    hit.click()
    expect(ap.locator('#messages .msg[data-sender="customer"] .msg-text').first).to_have_text(
        "我想申请退货，东西坏了"
    )
    expect(ap).to_have_title("kefu 客服工作台")  # seen: nothing unread any more

    ap.press("#search-input", "Escape")
    expect(ap.locator("#conv-list")).to_be_visible()
    expect(item.locator(".tag-unread")).to_have_count(0)
    _assert_clean(visitor, agent)
