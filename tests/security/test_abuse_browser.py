"""Script injection: every text a customer controls is shown as text in the agent console.

A customer writes by email (their display name, subject and body are theirs) and by web chat,
each carrying a script payload; an agent opens the queue and the conversations in Chromium.
Nothing may run (no dialog, no injected element), and the payload must be visible verbatim.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from tests.e2e.conftest import _free_port, browser, kefu_server, new_page  # noqa: F401
from tests.e2e.login import login
from tests.e2e.test_browser_flow import (
    _assert_clean,
    _choose_status,
    _open_widget,
    _visitor_send,
)

pytestmark = pytest.mark.e2e

XSS = '<img src=x onerror="alert(1)">'
SUBJECT = '"><script>alert(2)</script> 退货'
NAME = "<svg onload=alert(3)>王芳"


@pytest.fixture(scope="module", autouse=True)
def smtp_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """An email inbox listening for SMTP, in the config the module's server starts with."""
    port = _free_port()
    config = tmp_path_factory.mktemp("mail-config") / "kefu.toml"
    config.write_text(
        '[[inboxes]]\nname = "mail"\nchannel = "email"\naddress = "support@example.com"\n'
        f'smtp_listen = "127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KEFU_CONFIG", str(config))  # read by kefu_server, which starts after this
        yield port


def test_customer_text_is_rendered_as_text_in_the_console(
    smtp_port: int,
    kefu_server: str,  # noqa: F811
    new_page: Any,  # noqa: F811
) -> None:
    """Name, subject and body of an email, and a web chat message, all carrying scripts."""
    from playwright.sync_api import expect

    base = kefu_server
    mail = EmailMessage()
    mail["From"] = f'"{NAME}" <wang@customer.example>'
    mail["To"] = "support@example.com"
    mail["Subject"] = SUBJECT
    mail.set_content(f"{XSS}\n转人工")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
        smtp.send_message(mail)

    visitor = new_page("visitor")
    _open_widget(visitor, base)
    _visitor_send(visitor.page, XSS)
    _visitor_send(visitor.page, "转人工")

    agent = new_page("agent")
    ap = agent.page
    # Away: with the console open an online agent would be given the queued customers at once.
    _choose_status(ap, base, "away")
    login(ap, base, "demo@kefu.local", "demo")
    owners = {}
    for owner in ("queued", "bot"):
        got = ap.request.get(f"{base}/api/agent/conversations?owner={owner}").json()
        owners.update({c["id"]: (owner, c) for c in got["conversations"]})
    email = [c for _, c in owners.values() if c["channel"] == "email"]
    assert email and email[0]["contact"]["name"] == NAME, owners  # stored verbatim
    assert len(owners) == 2, owners
    for conv_id, (owner, _conv) in owners.items():
        ap.click(f'.tab[data-owner="{owner}"]')
        item = ap.locator(f'#conv-list .conv-item[data-id="{conv_id}"]')
        expect(item).to_be_visible()
        if _conv["channel"] == "email":
            expect(item).to_contain_text(NAME)  # the name, shown as text
        item.click()
        texts = ap.locator('#messages .msg[data-sender="customer"] .msg-text')
        expect(texts.first).to_contain_text(XSS)
        ap.wait_for_timeout(500)  # let any (hypothetical) onerror/onload fire
    assert ap.locator("#conv-list img, #conv-list svg, #conv-list script").count() == 0
    assert (
        ap.locator("#messages img:not(.attachment img), #messages script, #messages svg").count()
        == 0
    )
    _assert_clean(visitor, agent)
