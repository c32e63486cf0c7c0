"""Automatic mail that no header and no single rule gives away, told by weighed signs.

A newsletter whose list headers a forwarder stripped, a shop's shipping notice with a
tracking pixel, a web form's submission, a lead system's notice, marketing marked "(AD)",
a notice sent through a mailing service, spam that a filter scored or flagged in its own
words: each is stored with its reason and never answered, not even by the recovery. The
labelled set (tests/channels/email_support/samples.py and the modules it gathers) holds 60+
customers' mails in Chinese and English that look like that in part (signatures with links
and logos, pasted and forwarded confirmations, quoted replies, company gateways, mail
trackers, form-like repair requests): every one is answered.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from channels.email.parse import parse_email
from channels.email.signs import Sign, decide, filter_verdict
from tests.channels.email_support.app import EmailEnv, customer_mail
from tests.channels.email_support.samples import CUSTOMERS, ROBOTS, mail
from tests.helpers import AGENT_HEADERS, login

OWN = frozenset({"support@example.com"})


def test_the_labelled_set_is_large_enough() -> None:
    assert len(CUSTOMERS) >= 60 and len(ROBOTS) >= 20


@pytest.mark.parametrize(("name", "msg"), CUSTOMERS, ids=[n for n, _ in CUSTOMERS])
def test_customers_are_answerable(name: str, msg: EmailMessage) -> None:
    parsed = parse_email(msg.as_bytes(), OWN)
    assert parsed.auto_reason is None, (name, [s.name for s in parsed.signs])


@pytest.mark.parametrize(("name", "msg", "reason"), ROBOTS, ids=[n for n, _, _ in ROBOTS])
def test_automatic_mail_without_headers_is_not_answerable(
    name: str, msg: EmailMessage, reason: str
) -> None:
    assert parse_email(msg.as_bytes(), OWN).auto_reason == reason, name


def test_one_sign_never_decides_and_weak_signs_need_more() -> None:
    strong, weak = Sign("tracking_pixel", 2), Sign("sender_mismatch", 1)
    assert decide([strong]) is None
    assert decide([weak, Sign("fake_reply", 1)]) is None
    assert decide([weak, Sign("fake_reply", 1), Sign("machine_address", 1)]) is None
    assert decide([weak, weak, weak]) is None  # the same sign twice is one sign
    assert decide([strong, weak]) == "tracking_pixel"
    four = [weak, Sign("fake_reply", 1), Sign("machine_address", 1), Sign("hidden_text", 1)]
    assert decide(four) == "hidden_text"
    # Two signs of one reason add up: the web form's subject and its fields.
    form = [Sign("form_subject", 2, "web_form"), Sign("form_fields", 2, "web_form")]
    assert decide([*form, Sign("tracking_pixel", 2)]) == "web_form"


def test_a_filters_own_threshold_is_respected() -> None:
    def verdict(**headers: str) -> int:
        extra = {k.replace("_", "-"): v for k, v in headers.items()}
        return filter_verdict(customer_mail("Hi", "Hi", headers=extra), "Hi")

    assert verdict(X_Spam_Status="No, score=7.1 required=15.0", X_Spam_Level="*******") == 0
    assert verdict(X_Spam_Status="No, score=9.5 required=15.0") == 1
    assert verdict(X_Spam_Status="Yes, score=7.1 required=5.0") == 2
    assert verdict(X_Spam_Level="******") == 1  # stars alone: a sign, not a verdict
    assert verdict(X_MS_Exchange_Organization_SCL="1") == 0
    assert verdict(X_Forefront_Antispam_Report="CIP:1.2.3.4;SFV:SPM;") == 2


@pytest.fixture
def env(email_db_env: EmailEnv) -> EmailEnv:
    """The app on SQLite or PostgreSQL (tests/channels/conftest.py)."""
    return email_db_env


WEEKLY = "Weekly update: the winter catalogue is online."


async def test_over_smtp_no_reply_to_machines_and_one_to_each_customer(env: EmailEnv) -> None:
    """Over the SMTP listener: the machines get no bot turn (nor one from the recovery), each
    stored with its reason and signs and listed for agents; the customers are answered once.
    A sender who only ever sent machine mail is a machine on fewer signs (``automatic_before``);
    one whose earlier mail was an out-of-office is a person."""
    by_name = {name: (msg, reason) for name, msg, reason in ROBOTS}
    robots: dict[str, str] = {}
    for name in (
        "promo html with pixel and links",
        "web form submission zh",
        "saas notice via sendgrid message-id",
        "ad subject zh",
    ):
        msg, reason = by_name[name]
        robots[await env.deliver(msg)] = reason
    # The shop's list mail first (a rule), then its plain mail with one weak sign.
    shop = "Shop <service@shop.example>"
    gateway = {"Return-Path": "<srs=ab=shop.example=service@relay.example>"}
    robots[
        await env.deliver(
            mail("Catalogue", WEEKLY, sender=shop, headers={"List-Id": "<news.shop.example>"})
        )
    ] = "list_id"
    robots[await env.deliver(mail("Catalogue", WEEKLY, sender=shop, headers=gateway))] = (
        "automatic_before"
    )
    # A person whose out-of-office answered us once, then the same mail: answered.
    lucy = "Lucy <lucy@x.example>"
    robots[
        await env.deliver(mail("Automatic reply: Order 1200", "Back on Monday.", sender=lucy))
    ] = "auto_reply_subject"
    people = {
        await env.deliver(mail("Catalogue", WEEKLY, sender=lucy, headers=gateway)): "lucy@x.example"
    }
    for i, (_name, msg) in enumerate(CUSTOMERS[:4]):
        sender = f"customer{i}@people.example"
        again = mail(str(msg["Subject"]), "I need help with my order, please.", sender=sender)
        people[await env.deliver(again)] = sender

    await env.check_answers(robots, people)
    signed = await env.message_by_source(
        next(s for s, r in robots.items() if r == "automatic_before")
    )
    assert signed.meta["auto_signs"] == ["sender_mismatch", "automatic_before"]

    await login(env.client)
    resp = await env.client.get("/api/agent/unanswered", headers=AGENT_HEADERS)
    listed = await resp.json()
    counts = {r["reason"]: r["count"] for r in listed["reasons"]}
    expected: dict[str, int] = {}
    for reason in robots.values():
        expected[reason] = expected.get(reason, 0) + 1
    assert counts == expected
    shown = {m["reason"]: m["signs"] for m in listed["messages"]}
    assert shown["automatic_before"] == ["sender_mismatch", "automatic_before"]
    assert shown["list_id"] == []  # a rule's verdict has no signs
