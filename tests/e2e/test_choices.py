"""Browser test: choices that help (issue 19).

A vague question in the web chat gets the close entries as buttons, and only as buttons (no
numbered list in the bubble); the button the customer taps is what the transcript records
(the question, not "2", and the answer's entry is the one picked); a follow-up question
("那安装呢") after that answer is read in the conversation's context.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.login import api_login

pytestmark = pytest.mark.e2e

VAGUE = "维修？"  # a question about repairs: choices (a bare "维修" starts the repair form)
PICK = "怎么预约维修？"
FOLLOW_UP = "那安装呢"


def _open_widget(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click("#kefu-launcher")
    page.wait_for_selector("#kefu-panel", state="visible")
    page.wait_for_selector('#kefu-status[data-state="online"]', timeout=20000)


def _bots(page: Any) -> Any:
    return page.locator('#kefu-messages .kefu-msg[data-sender="bot"]')


def _send(page: Any, text: str) -> None:
    before = _bots(page).count()
    page.fill("#kefu-input", text)
    page.press("#kefu-input", "Enter")
    page.wait_for_function(
        "(n) => document.querySelectorAll('#kefu-messages .kefu-msg[data-sender=\"bot\"]')"
        ".length > n",
        arg=before,
        timeout=30000,
    )


def _conversation_id(page: Any) -> str:
    cid = page.evaluate(
        """() => {
          const k = Object.keys(localStorage).find((k) => k.startsWith("kefu.seq."));
          return k ? k.slice("kefu.seq.".length) : null;
        }"""
    )
    assert cid, "the widget stored no conversation id"
    return str(cid)


def test_vague_question_buttons_pick_recorded_follow_up_in_context(
    kefu_server: Any, new_page: Any
) -> None:
    visitor = new_page("visitor")
    page = visitor.page
    _open_widget(page, kefu_server)

    # 1. A vague question: buttons, and the bubble carries no numbered list.
    _send(page, VAGUE)
    clarify = _bots(page).last
    buttons = clarify.locator(".kefu-choices .kefu-choice")
    assert buttons.count() >= 2
    labels = [buttons.nth(i).inner_text().strip() for i in range(buttons.count())]
    assert PICK in labels, labels
    bubble = clarify.locator(".kefu-text").inner_text()
    assert not re.search(r"(^|\n)\s*\d+[.、]", bubble), bubble
    for label in labels:
        assert label not in bubble

    # 2. Tapping one sends the question itself, and the bot answers that entry.
    before = _bots(page).count()
    buttons.nth(labels.index(PICK)).click()
    page.wait_for_function(
        "(n) => document.querySelectorAll('#kefu-messages .kefu-msg[data-sender=\"bot\"]')"
        ".length > n",
        arg=before,
        timeout=30000,
    )
    mine = page.locator('#kefu-messages .kefu-msg[data-sender="customer"] .kefu-text')
    assert mine.last.inner_text().strip() == PICK
    assert "报修" in _bots(page).last.locator(".kefu-text").inner_text()

    # 3. A follow-up that says only "and installation?" is answered in context.
    _send(page, FOLLOW_UP)
    assert "安装单" in _bots(page).last.locator(".kefu-text").inner_text()
    assert not visitor.page_errors

    # The transcript an agent reads records the pick: the question, and its entry.
    cid = _conversation_id(page)
    agent = new_page("agent").page
    api_login(agent, kefu_server)
    resp = agent.request.get(kefu_server + f"/api/agent/conversations/{cid}")
    assert resp.ok, resp.text()
    messages = resp.json()["conversation"]["messages"]
    offered = next(m for m in messages if m["sender"] == "bot" and m.get("choices"))
    chosen = next(c for c in offered["choices"] if c["label"] == PICK)
    after = [m for m in messages if m["seq"] > offered["seq"]]
    assert after[0]["sender"] == "customer" and after[0]["text"] == PICK
    answer = next(m for m in after if m["sender"] == "bot")
    assert answer["entry_id"] == chosen["entry_id"]
    last = [m for m in messages if m["sender"] == "bot"][-1]
    assert last["entry_id"] and last["entry_id"].startswith("installation-")
