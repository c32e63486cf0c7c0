"""Browser test: agents see the mail nobody answers, with its reason in zh and en, filtered.

The real server runs with an email inbox listening for SMTP; a real vacation auto-reply
(sisimai's RFC 3834 sample) and a mail from a sender no reply can reach go in over SMTP.
A web form's submission, which only weighed signs give away, goes in too. The console's
"Not answered" page lists them with their reasons (and the signs), filters by reason, and
shows a hostile subject as text.
"""

from __future__ import annotations

import base64
import os
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest

from bench.common import shared_dir
from tests.e2e.conftest import _free_port
from tests.e2e.login import login

pytestmark = pytest.mark.e2e

FIXTURES = shared_dir("fixtures/email")
HOSTILE = '<img src=x onerror="document.title=1">退货'


@pytest.fixture(scope="module")
def smtp_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A kefu.toml with an email inbox on a free SMTP port, in $KEFU_CONFIG for the server."""
    port = _free_port()
    config = tmp_path_factory.mktemp("kefu-config") / "kefu.toml"
    config.write_text(
        "[[inboxes]]\n"
        'name = "support-mail"\n'
        'channel = "email"\n'
        'address = "support@example.com"\n'
        f'smtp_listen = "127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    before = os.environ.get("KEFU_CONFIG")
    os.environ["KEFU_CONFIG"] = str(config)
    yield port
    if before is None:
        os.environ.pop("KEFU_CONFIG", None)
    else:
        os.environ["KEFU_CONFIG"] = before


@pytest.fixture(scope="module")
def email_server(smtp_port: int, kefu_server: str) -> tuple[str, int]:
    """The server (started after the config is in place) and its SMTP port."""
    return kefu_server, smtp_port


def test_not_answered_page_lists_reasons_and_filters(email_server: Any, new_page: Any) -> None:
    from playwright.sync_api import expect

    base, port = email_server
    vacation = (FIXTURES / "sisimai" / "maildir" / "bsd" / "rfc3834-01.eml").read_bytes()
    nobody = (
        "From: root <root@localhost>\r\nTo: support@example.com\r\n"
        f"Subject: =?UTF-8?B?{base64.b64encode(HOSTILE.encode()).decode()}?=\r\n"
        "Message-ID: <e2e.nobody.1@localhost>\r\n\r\n怎么申请退货？\r\n"
    ).encode()
    form = (  # a web form's submission: no robot header, two weighed signs
        "From: web@shop.example\r\nTo: support@example.com\r\n"
        f"Subject: =?UTF-8?B?{base64.b64encode('网站留言通知'.encode()).decode()}?=\r\n"
        "Date: Fri, 04 Dec 2026 10:00:00 +0800\r\n"
        "Message-ID: <e2e.form.1@shop.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "姓名：李雷\r\n电话：13900001111\r\n邮箱：lilei@qq.example\r\n留言内容：空调不制冷\r\n"
    ).encode()
    spam = (  # a spam tool's mail: MIME no client writes, no Date
        b"From: Ron <rtate@hq.example>\r\nTo: support@example.com\r\nSubject: IGTS\r\n"
        b"Message-ID: <e2e.spam.1@hq.example>\r\nContent-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: plain\r\n\r\nBig mover next week.\r\n"
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.sendmail("kijitora@example.net", ["support@example.com"], vacation)
        smtp.sendmail("root@localhost", ["support@example.com"], nobody)
        smtp.sendmail("web@shop.example", ["support@example.com"], form)
        smtp.sendmail("rtate@hq.example", ["support@example.com"], spam)

    agent = new_page("agent-unanswered")
    ap = agent.page
    login(ap, base, lang="zh")
    ap.click("#nav-unanswered")
    rows = ap.locator("#unanswered tbody tr")
    expect(rows).to_have_count(4)
    # A verdict of weighed signs shows them beside its reason.
    expect(ap.locator('tr[data-reason="web_form"] .reason')).to_have_text(
        "网站表单 / 线索通知（非客户本人发出） (web_form) · 迹象: form_subject, form_fields"
    )
    expect(ap.locator('tr[data-reason="auto_submitted"] .reason')).to_have_text(
        "自动发送的邮件 (auto_submitted)"
    )
    expect(ap.locator('tr[data-reason="broken_mime"] .reason')).to_have_text(
        "垃圾邮件迹象（邮件客户端不会写出的错误 MIME 头等） (broken_mime)"
        " · 迹象: broken_mime, no_date"
    )
    nobody_row = ap.locator('tr[data-reason="no_sender"]')
    expect(nobody_row.locator(".reason")).to_have_text("无法回复的发件人 (no_sender)")
    expect(nobody_row).to_contain_text(HOSTILE)  # shown as text, not markup
    assert ap.locator("#unanswered img").count() == 0

    ap.select_option("#reason", "no_sender")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-reason", "no_sender")
    ap.click("#lang")
    expect(nobody_row.locator(".reason")).to_have_text("No sender to reply to (no_sender)")
    expect(ap.locator("h1")).to_have_text("Not answered")
    ap.select_option("#reason", "")
    expect(ap.locator('tr[data-reason="web_form"] .reason')).to_contain_text(
        "(web_form) · signs: form_subject, form_fields"
    )
    expect(ap.locator('tr[data-reason="broken_mime"] .reason')).to_have_text(
        "Spam signs (MIME headers no mail client writes, and others) (broken_mime)"
        " · signs: broken_mime, no_date"
    )
    link = nobody_row.locator("a")
    assert (link.get_attribute("href") or "").startswith("/agent/#/c/")
    assert ap.title() != "1"
    # The conversation says, under the customer's message, why nobody answers it.
    link.click()
    why = ap.locator(".msg-customer .msg-no-reply")
    expect(why).to_have_text("The bot does not answer this message · no_sender")
    expect(ap.locator(".msg-bot")).to_have_count(0)
    assert not agent.page_errors, agent.page_errors
    assert not agent.csp_violations(), agent.csp_violations()
