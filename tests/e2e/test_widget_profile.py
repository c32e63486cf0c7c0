"""Browser test of the web chat's pre-chat form and offline contact card (issue 15, in
Chromium): the server is configured with ``[desk] prechat_fields = name, phone, email`` and
``prechat_required = name``; the customer gives only a name, no agent is online, so after
asking for a person the widget asks for an email or phone. What they give lands on the
contact."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.login import api_login
from tests.e2e.test_browser_flow import _ask, _assert_clean, _conversation_id

pytestmark = pytest.mark.e2e
ENV = {
    "KEFU_DESK__PRECHAT_FIELDS": "name, phone, email",
    "KEFU_DESK__PRECHAT_REQUIRED": "name",
}


@pytest.fixture(scope="module")
def prechat_env() -> Iterator[Any]:
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def server(prechat_env: Any, kefu_server: Any) -> Any:
    return kefu_server


def test_pre_chat_form_then_the_offline_ask(server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    visitor = new_page("visitor")
    vp = visitor.page
    vp.goto(server + "/")
    vp.click("#kefu-launcher")
    form = vp.locator("#kefu-prechat")
    expect(form).to_be_visible()
    expect(vp.locator("#kefu-input")).to_be_hidden()  # the form comes first
    expect(form.locator(".kefu-profile-skip")).to_have_count(0)  # a field is required
    form.locator('input[name="name"]').fill("李娜")
    form.locator('input[name="phone"]').fill("12345")
    form.locator(".kefu-profile-send").click()
    expect(form.locator(".kefu-profile-error")).to_have_text("手机号码不正确")
    form.locator('input[name="phone"]').fill("")
    form.locator('input[name="name"]').fill("")
    form.locator(".kefu-profile-send").click()
    expect(form.locator(".kefu-profile-error")).to_have_text("请填写必填项")
    form.locator('input[name="name"]').fill("李娜")
    form.locator(".kefu-profile-send").click()
    expect(form).to_have_count(0)
    expect(vp.locator("#kefu-input")).to_be_visible()

    vp.wait_for_selector('#kefu-status[data-state="online"]', timeout=20000)
    _ask(vp, "洗衣机不转了", ".", senders=("bot", "system"))
    _ask(vp, "转人工", "人工|客服", senders=("bot", "system"))
    ask = vp.locator("#kefu-offline-ask")
    expect(ask).to_be_visible()  # nobody is online: leave a way to answer later
    ask.locator('input[name="email"]').fill("li.na@example.com")
    ask.locator(".kefu-profile-send").click()
    expect(ask).to_contain_text("已收到")
    cid = _conversation_id(vp)

    # A reload does not show the form again.
    vp.reload()
    vp.click("#kefu-launcher")
    expect(vp.locator("#kefu-input")).to_be_visible()
    expect(vp.locator("#kefu-prechat")).to_have_count(0)

    agent = new_page("agent")
    ap = agent.page
    api_login(ap, server)
    c360 = ap.request.get(f"{server}/api/agent/conversations/{cid}/customer").json()
    contact = c360["contact"]
    assert (contact["name"], contact["phone"], contact["email"]) == (
        "李娜",
        None,
        "li.na@example.com",
    )
    _assert_clean(visitor)
