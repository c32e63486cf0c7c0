"""Newsletters and offers that carry no list or RFC 3834 header are still not answered.

Real-world bulk mail often comes without ``List-Unsubscribe`` or ``Precedence: bulk``: a shop's
newsletter sent from ``news@...``, a mailing service's campaign (its own headers), a spam offer
with an unsubscribe link at the bottom. None of them has a person behind it; an answer is
backscatter at best. A customer who *asks* about unsubscribing, or forwards a newsletter with a
question, is a customer and is answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

from channels.email.parse import parse_email
from core.config import Settings
from core.models import Message
from core.recovery import TurnRecovery
from tests.channels.email_support.app import EmailEnv, customer_mail, email_env


def _html_mail(sender: str, subject: str, html: str, plain: str | None = None) -> EmailMessage:
    """An HTML mail, with a plain-text alternative when ``plain`` is given."""
    msg = customer_mail(subject, plain or "", sender=sender)
    if plain is None:
        msg.set_content(html, subtype="html")
    else:
        msg.add_alternative(html, subtype="html")
    return msg


NEWSLETTER_HTML = (
    "<p>冬季大促：全场家电八折！</p><p>Winter sale: 20% off all appliances.</p>"
    '<p style="font-size:10px"><a href="https://mail.shop.example/u?id=8f2e">退订邮件</a></p>'
)
NEWSLETTER_PLAIN = (
    "冬季大促：全场家电八折！\nWinter sale: 20% off all appliances.\n\n"
    "退订邮件: https://mail.shop.example/u?id=8f2e\n"
)


@pytest.mark.parametrize(
    ("mail", "reason"),
    [
        # A newsletter mailbox, no header at all.
        (
            customer_mail("Holiday deals", "40% off!", sender="E-News <enews@shop.example>"),
            "bulk_sender",
        ),
        (
            customer_mail("新品上市", "新品上市", sender="announcements@brand.example"),
            "bulk_sender",
        ),
        # A mailing service's own headers.
        (
            customer_mail(
                "Spring offers",
                "Hello",
                sender="hello@brand.example",
                headers={"X-Campaign": "c-42"},
            ),
            "bulk_mailer",
        ),
        (
            customer_mail(
                "Your update",
                "Hello",
                sender="team@brand.example",
                headers={"Feedback-ID": "1:2:3:ses"},
            ),
            "bulk_mailer",
        ),
        # An unsubscribe link in HTML, in plain text on the next line, a removal notice.
        (_html_mail("sales@shop.example", "冬季大促", NEWSLETTER_HTML), "bulk_content"),
        (
            _html_mail("sales@shop.example", "冬季大促", NEWSLETTER_HTML, NEWSLETTER_PLAIN),
            "bulk_content",
        ),
        (
            customer_mail(
                "Link exchange",
                "Get more hits now.\n\nUnsubscribe:\nhttp://offers.example/u.php?id=5",
                sender="admin@offers.example",
            ),
            "bulk_content",
        ),
        (
            customer_mail(
                "You have a survey waiting",
                "Earn points. If you wish to be removed from the panel, reply REMOVE.",
                sender="carol@survey.example",
            ),
            "bulk_content",
        ),
    ],
)
def test_bulk_mail_without_list_headers_is_not_answerable(mail: EmailMessage, reason: str) -> None:
    assert parse_email(mail.as_bytes()).auto_reason == reason


@pytest.mark.parametrize(
    "mail",
    [
        # Questions about unsubscribing carry no link: a customer asking.
        customer_mail("Emails", "How do I unsubscribe from your newsletter? Too many mails."),
        customer_mail("邮件太多", "你们的促销邮件怎么取消订阅？"),
        # 退订 also means cancelling a booking: a customer.
        customer_mail("退订", "我要退订上门安装的预约，订单号A1001"),
        # A customer forwarding a newsletter with a question: its link is quoted, not theirs.
        customer_mail(
            "Fwd: Winter sale",
            "Does the 20% apply to the TG100 washer?\n\n---------- Forwarded message ---------\n"
            "Winter sale! Unsubscribe: https://mail.shop.example/u?id=8f2e",
        ),
        # A reply to one of our mails (In-Reply-To) with a quoted footer.
        customer_mail(
            "Re: 退货",
            "好的，谢谢\n\n> To unsubscribe visit https://x.example/unsub",
            in_reply_to="reply-1@support.example.com",
        ),
        # An Outlook reply without In-Reply-To: the newsletter's link is in the quote.
        customer_mail(
            "Repair",
            "Is this covered?\n\nFrom: News Desk [mailto:desk@shop.example]\nSent: Monday\n"
            "To: Li\nSubject: Winter sale\n\nWinter sale!\n"
            "Unsubscribe<https://shop.example/unsubscribe?u=li>",
        ),
        # An HTML question about unsubscribing (mail clients send HTML): no link.
        _html_mail("li@customer.example", "Emails", "<p>How do I <b>unsubscribe</b>?</p>"),
        # A person whose mailbox only looks like a role word.
        customer_mail("Repair", "My fridge is broken.", sender="newton.li@customer.example"),
        customer_mail("Repair", "My fridge is broken.", sender="dealsky@customer.example"),
    ],
)
def test_customers_are_still_answerable(mail: EmailMessage) -> None:
    assert parse_email(mail.as_bytes()).auto_reason is None


@pytest.fixture
async def env(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[EmailEnv]:
    async with email_env(demo_settings, aiohttp_client, embedder) as env:
        yield env


async def test_a_newsletter_over_smtp_gets_no_reply_on_any_path(env: EmailEnv) -> None:
    """Stored with its reason, no bot turn, none from the lost-turn recovery; the customer's
    question next to it is answered."""
    letter = await env.deliver(_html_mail("sales@shop.example", "冬季大促", NEWSLETTER_HTML))
    asked = await env.deliver(customer_mail("退货", "怎么申请退货？"))
    services = env.services
    await services.pipeline.drain(grace_seconds=30)
    assert await TurnRecovery(services.db, services.pipeline, grace_seconds=0).check() == 0
    await services.pipeline.drain(grace_seconds=30)
    stored = await env.message_by_source(letter)
    assert stored.no_reply == "bulk_content"
    assert [m.sender for m in await env.messages(stored.conversation_id)] == ["customer"]
    question = await env.message_by_source(asked)
    assert question.no_reply is None
    await env.sink.wait_for(1)
    assert [r for m in env.sink.mails for r in m.rcpt_tos] == ["wang.fang@customer.example"]
    async with services.db.reader() as session:
        bot = await session.execute(select(func.count()).where(Message.sender == "bot"))
    assert bot.scalar_one() == 1
