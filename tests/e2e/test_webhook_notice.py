"""Browser test: a webhook disabled after repeated failure is a notice in the admin's console
(issue 18: "disabled with a notice after repeated failure"), not only a line on the
integrations page nobody opens. One failed try disables it on this server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.login import CSRF, login
from tests.e2e.test_browser_flow import _assert_clean

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def _one_try_disables() -> Iterator[None]:
    """Before this module's server starts: a webhook is disabled after its first failure."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KEFU_API__WEBHOOK_MAX_ATTEMPTS", "1")
        yield


def test_the_admin_console_says_a_webhook_was_disabled(kefu_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base = kefu_server
    admin = new_page("admin")
    page = admin.page
    login(page, base, lang="zh")
    badge = page.locator("#webhooks-disabled")
    expect(page.locator("#agent-name")).not_to_be_empty()
    expect(badge).to_have_count(0)  # nothing disabled yet

    made = page.request.post(
        base + "/api/admin/webhooks",
        data={"url": "http://127.0.0.1:9/hooks", "events": ["ticket.created"]},
        headers=CSRF,
    )
    assert made.status == 201, made.text()
    secret = page.request.post(
        base + "/api/admin/tokens",
        data={"name": "erp", "scopes": ["tickets:write"]},
        headers=CSRF,
    ).json()["secret"]
    opened = page.request.post(
        base + "/api/v1/tickets",
        data={"contact": {"email": "hook@example.cn"}, "subject": "漏水", "text": ""},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert opened.status == 201, opened.text()
    for _ in range(100):  # nothing listens on port 9: the one try fails within a moment
        hooks = page.request.get(base + "/api/admin/webhooks").json()["webhooks"]
        if hooks[0]["disabled_reason"]:
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError("the webhook was never disabled")

    page.reload()
    expect(badge).to_have_text("⚠ 1 个 Webhook 已停用")
    assert "http://127.0.0.1:9/hooks" in (badge.get_attribute("title") or "")
    assert "已停用" in (badge.get_attribute("title") or "")
    page.click("#lang-toggle")
    expect(badge).to_have_text("⚠ 1 webhook(s) disabled")
    badge.click()
    expect(page.locator("h1")).to_have_text("Integrations")
    state = page.locator("#hooks-table tbody tr").first.locator("td").nth(2)
    expect(state).to_contain_text("Disabled")
    expect(state).to_contain_text("ClientConnectorError")
    _assert_clean(admin)
