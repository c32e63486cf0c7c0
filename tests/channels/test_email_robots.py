"""Robots without a robot's headers: notices, notifications, lists and mailings, unanswered.

Real-world automatic mail often carries no Auto-Submitted, Precedence or List-* header: an
order system's "此邮件为系统自动发送，请勿回复", a code host's notification, a list post that
only its envelope or Sender betrays, a calendar invitation, a mailing to undisclosed
recipients, a newsletter with a "view in browser" banner, a mail sent through a mailing
service. Each is stored with its reason and never answered. Customers whose mail only looks
like that (quoting a robot's notice, asking to be taken off a list, writing from a mailbox
named like a word the rules know, mail that came in through a mail service) are answered.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from channels.email.bulk import BULK_REASONS
from channels.email.loops import LOOP_REASONS
from channels.email.parse import parse_email
from tests.channels.email_support.app import EmailEnv, customer_mail
from tests.helpers import AGENT_HEADERS, login


def _calendar(method: str | None) -> EmailMessage:
    """A mail with an iCalendar part: an iTIP invitation (``method``) or a plain .ics file."""
    msg = customer_mail("Install appointment", "See the attached date.")
    ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Install\r\nEND:VEVENT\r\n"
    params = {"method": method} if method else {}
    if method:
        msg.add_alternative(ics + "END:VCALENDAR\r\n", subtype="calendar", params=params)
    else:
        msg.add_attachment(
            (ics + "END:VCALENDAR\r\n").encode(), "text", "calendar", filename="install.ics"
        )
    return msg


SHOP = "service@shop.example"
PERSON = "li@customer.example"


def _shop(subject: str, body: str, **headers: str) -> EmailMessage:
    """A mail from a shop's ordinary-looking mailbox, with ``headers`` (``_`` for ``-``)."""
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return customer_mail(subject, body, sender=SHOP, headers=extra)


def _from(sender: str, **headers: str) -> EmailMessage:
    """A short mail from ``sender`` with ``headers`` (``_`` for ``-``)."""
    extra = {k.replace("_", "-"): v for k, v in headers.items()}
    return customer_mail("Hello", "Hello there.", sender=sender, headers=extra)


ROBOTS = [
    # Notices of automation in the mail's own words, from an ordinary-looking mailbox.
    (
        _shop("订单已发货", "您的订单 A1001 已发货。\n\n此邮件为系统自动发送，请勿回复。"),
        "automated_notice",
    ),
    (
        _shop(
            "Password", "Your password was changed.\nThis is an automated\nmessage, do not reply."
        ),
        "automated_notice",
    ),
    (
        _shop(
            "Shipped",
            "Your order shipped.\n\nTrack it online.\n\nThis email was sent automatically.",
        ),
        "automated_notice",
    ),
    (
        _shop(
            "验证码",
            "尊敬的用户：\n您的验证码为 123456。\n温馨提示：此邮件由系统自动发出，请勿直接回复。",
        ),
        "automated_notice",
    ),
    # A mailing's banner and footers.
    (
        _shop("Spring sale", "View this email in your browser\n\nSpring sale: 20% off."),
        "bulk_content",
    ),
    (
        _shop("News", "New models.\n\nYou are receiving this email because you signed up with us."),
        "bulk_content",
    ),
    (_shop("新品", "新品上市，欢迎选购。\n如果您不想再收到此类邮件，请点击这里。"), "bulk_content"),
    (
        _shop(
            "Hours",
            "Our hours change.\nPlease do not reply to this email. Manage your preferences.",
        ),
        "bulk_content",
    ),
    # The sender's mailbox, the agent that sent it, the envelope.
    (_from("CI <notifications@ci.example>"), "noreply_sender"),
    (_from(PERSON, Sender="calendar-notification@cal.example"), "noreply_sender"),
    (_from(PERSON, Sender="pumps-bounces@lists.example"), "list_sender"),
    (_from(PERSON, Return_Path="<owner-pumps@lists.example>"), "list_sender"),
    (_from("anonymous@web.example"), "system_sender"),
    (_from("www-data@web.example"), "system_sender"),
    (_from(PERSON, Return_Path="<MAILER-DAEMON>"), "bounce"),
    # Auto-replies that only their subject or an unusual header gives away.
    (
        customer_mail("Automatische Antwort: Ihre Anfrage", "Bis Montag.", sender=PERSON),
        "auto_reply_subject",
    ),
    (_from(PERSON, X_Autoresponder="on"), "x_autoreply"),
    (_from(PERSON, X_Precedence="bulk"), "precedence_bulk"),
    # Headers of notification systems, mailing services, list managers.
    (_from(PERSON, X_GitHub_Reason="subscribed"), "notification_system"),
    (_shop("Receipt", "Thanks", X_Mailgun_Sid="WyI0In0="), "bulk_mailer"),
    (_shop("Receipt", "Thanks", X_PM_Message_Id="a1b2"), "bulk_mailer"),
    (_shop("Offer", "Hi", X_SES_Configuration_Set="promo"), "bulk_mailer"),
    (_shop("Offer", "Hi", CFBL_Address="fbl@shop.example"), "bulk_mailer"),
    (_shop("Offer", "Hi", X_Mailer="phplist v3.6"), "bulk_mailer"),
    (
        _shop("Offer", "Hi", List_Unsubscribe_Post="List-Unsubscribe=One-Click"),
        "list_unsubscribe_post",
    ),
    (_from(PERSON, X_Mailman_Version="2.1.39"), "x_mailman_version"),
    # A calendar's invitation, a mailing to a hidden list, a machine's XML.
    (_calendar("REQUEST"), "calendar"),
    (
        customer_mail("I-D ACTION", "A new draft.", sender=PERSON, to="IETF-Announce:;"),
        "undisclosed_recipients",
    ),
    (
        customer_mail("Lead #11", '<?xml version="1.0"?>\n<adf><prospect/></adf>', sender=PERSON),
        "machine_generated",
    ),
]

QUOTING = customer_mail(
    "快递", "我收到一封邮件说“此邮件为系统自动发送，请勿回复”，订单没到，怎么办？"
)
REMOVE_ME = customer_mail(
    "Emails", "I no longer wish to receive your emails. Please remove me from your list."
)
CUSTOMERS = [
    # Quoting a robot's notice, in quotation marks or pasted after "I got this:".
    QUOTING,
    customer_mail(
        "Parcel",
        "I got this from you:\n\nYour order shipped.\nThis is an automated message, please do "
        "not reply.\n\nNothing arrived. Where is the parcel?",
    ),
    customer_mail(
        "Order",
        'The email said "This is an automated message. Please do not reply." Where is it?',
    ),
    customer_mail(
        "Signup",
        "Your site says: You are receiving this email because you registered. Never did!",
    ),
    # Asking to be taken off a list, with the link they clicked: a request, not a newsletter.
    REMOVE_ME,
    customer_mail("Emails", "I want to be removed from your mailing list."),
    customer_mail(
        "Emails", "I clicked the unsubscribe link https://shop.example/u?id=8f2e, still get mail."
    ),
    customer_mail("Emails", "Your unsubscribe link https://shop.example/u?id=8f2e does not work!"),
    # One weak sign alone, and a complaint that names the robot.
    customer_mail("新邮箱", "请不要回复这个邮箱，改发到 li@new.example。谢谢"),
    customer_mail("验证码", "你们系统自动发送的验证码邮件收不到，请帮忙看看。"),
    # Mailboxes and headers that only look like a robot's.
    customer_mail(
        "Repair", "My fridge is broken.", sender="Norman Mailer <norman.mailer@x.example>"
    ),
    customer_mail("Repair", "My fridge is broken.", headers={"X-Mailgun-Incoming": "Yes"}),
    customer_mail(
        "Repair", "Broken.", to="undisclosed-recipients:;", headers={"Cc": "support@example.com"}
    ),
    _calendar(None),
]


@pytest.mark.parametrize(("mail", "reason"), ROBOTS)
def test_robots_without_robot_headers_are_not_answerable(mail: EmailMessage, reason: str) -> None:
    assert parse_email(mail.as_bytes()).auto_reason == reason


@pytest.mark.parametrize("mail", CUSTOMERS)
def test_customers_whose_mail_looks_like_a_robots_are_answerable(mail: EmailMessage) -> None:
    assert parse_email(mail.as_bytes()).auto_reason is None


def test_every_reason_is_labelled_in_both_languages() -> None:
    """The "Not answered" page shows each reason the email rules give, in zh and in en."""
    script = (Path(__file__).parents[2] / "handoff/static/unanswered.js").read_text("utf-8")
    reasons = script.split("const REASONS = {", 1)[1]
    zh, en = reasons.split("\n  en: {", 1)
    en = en.split("\n  },", 1)[0]
    for code in sorted(LOOP_REASONS | BULK_REASONS):
        for block in (zh, en):
            assert re.search(rf"\b{code}: \"[^\"]+\"", block), code


@pytest.fixture
def env(email_db_env: EmailEnv) -> EmailEnv:
    """The app on SQLite or PostgreSQL (tests/channels/conftest.py)."""
    return email_db_env


async def test_robots_over_smtp_get_no_reply_and_customers_do(env: EmailEnv) -> None:
    """Over the SMTP listener: no bot turn for a robot, not even from the lost-turn recovery;
    the look-alike customers are answered, each once; agents see every robot with its reason."""
    by_reason = {reason: mail for mail, reason in ROBOTS}
    chosen = (
        "automated_notice",
        "bulk_content",
        "noreply_sender",
        "list_sender",
        "system_sender",
        "notification_system",
        "undisclosed_recipients",
    )
    robots = {await env.deliver(by_reason[reason]): reason for reason in chosen}
    people: dict[str, str] = {}
    for mail, sender in ((QUOTING, "wang.fang@customer.example"), (REMOVE_ME, PERSON)):
        again = customer_mail(str(mail["Subject"]), mail.get_content(), sender=sender)
        people[await env.deliver(again)] = sender
    await env.check_answers(robots, people)

    await login(env.client)
    resp = await env.client.get("/api/agent/unanswered", headers=AGENT_HEADERS)
    listed = await resp.json()
    assert {r["reason"]: r["count"] for r in listed["reasons"]} == {r: 1 for r in robots.values()}
