"""Mail nobody can answer: no bot turn on any path, and agents see it, filtered by reason.

Real fixtures (a sisimai RFC 3834 vacation reply and a bounce) plus the cases the issue
found in real mail: a sender no reply can be addressed to (its bot turn used to end as a dead
outbox row), and a sender over the hourly limit. Each goes in over the SMTP listener; the
lost-turn recovery then runs with no grace period; nothing may be said or queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import func, select

from bench.common import shared_dir
from core.config import Settings
from core.models import Message, OutboxItem
from core.recovery import TurnRecovery
from tests.channels.email_support.app import (
    EmailEnv,
    customer_mail,
    email_env,
)
from tests.helpers import AGENT_HEADERS, login

FIXTURES = shared_dir("fixtures/email")
SISIMAI = FIXTURES / "sisimai" / "maildir" / "bsd"


@pytest.fixture
async def env(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[EmailEnv]:
    """The app with an email inbox (2 bot answers per sender and hour)."""
    async with email_env(demo_settings, aiohttp_client, embedder, replies_per_hour=2) as env:
        yield env


async def deliver_raw(env: EmailEnv, raw: bytes, mail_from: str) -> None:
    """``raw`` over our SMTP listener, as a relay would hand it on."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=env.listen_port) as smtp:
        await smtp.sendmail(mail_from, ["support@example.com"], raw)


async def test_mail_nobody_can_answer_gets_no_turn_and_is_listed(env: EmailEnv) -> None:
    """No turn, no reply, no outbox row, none after recovery; the console lists each with its
    reason and filters by it."""
    vacation = (SISIMAI / "rfc3834-01.eml").read_bytes()
    bounce = next(p for p in sorted(SISIMAI.glob("lhost-postfix-*.eml"))).read_bytes()
    await deliver_raw(env, vacation, "kijitora@example.net")
    await deliver_raw(env, bounce, "")
    # A sender no reply can be addressed to (a host without a domain).
    await env.deliver(customer_mail("退货", "怎么申请退货？", sender="root <root@localhost>"))
    # Over the limit: the third question of the hour from one sender is stored, not answered.
    for n in range(3):
        await env.deliver(
            customer_mail(f"问题 {n}", "怎么申请退货？", sender="li@customer.example")
        )
    services = env.services
    await services.pipeline.drain(grace_seconds=30)
    recovery = TurnRecovery(services.db, services.pipeline, grace_seconds=0)
    assert await recovery.check() == 0
    await services.pipeline.drain(grace_seconds=30)
    async with services.db.reader() as session:
        reasons = dict(
            (
                await session.execute(
                    select(Message.no_reply, func.count())
                    .where(Message.sender == "customer", Message.no_reply.is_not(None))
                    .group_by(Message.no_reply)
                )
            ).all()
        )
        outbox_to = (
            (
                await session.execute(
                    select(Message.conversation_id).join(
                        OutboxItem, OutboxItem.message_id == Message.id
                    )
                )
            )
            .scalars()
            .all()
        )
        bot_replies = (
            await session.execute(select(func.count()).where(Message.sender == "bot"))
        ).scalar_one()
    assert reasons == {
        "auto_submitted": 2,  # the vacation reply, and the bounce (its first mark)
        "no_sender": 1,
        "rate_limited": 1,
    }, reasons
    assert bot_replies == 2 and len(outbox_to) == 2  # li's first two questions only
    await env.sink.wait_for(2)
    assert sorted({r for m in env.sink.mails for r in m.rcpt_tos}) == ["li@customer.example"]

    await login(env.client)
    resp = await env.client.get("/api/agent/unanswered", headers=AGENT_HEADERS)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert {r["reason"]: r["count"] for r in body["reasons"]} == reasons
    assert {m["reason"] for m in body["messages"]} == set(reasons)
    by_reason = {m["reason"]: m for m in body["messages"]}
    assert by_reason["no_sender"]["from"] == "root@localhost"
    assert "Away until May 5" in {m["subject"] for m in body["messages"]}
    resp = await env.client.get(
        "/api/agent/unanswered?reason=rate_limited&channel=email", headers=AGENT_HEADERS
    )
    only = (await resp.json())["messages"]
    assert [(m["reason"], m["subject"]) for m in only] == [("rate_limited", "问题 2")]
    resp = await env.client.get("/api/agent/unanswered?reason=<script>", headers=AGENT_HEADERS)
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "bad_reason"
    # The conversation view says why, per message.
    conv_id = by_reason["no_sender"]["conversation_id"]
    resp = await env.client.get(f"/api/agent/conversations/{conv_id}", headers=AGENT_HEADERS)
    msgs = (await resp.json())["conversation"]["messages"]
    assert [m["no_reply"] for m in msgs] == ["no_sender"]


async def test_unanswered_list_needs_an_agent(env: EmailEnv) -> None:
    """No session, no list."""
    resp = await env.client.get("/api/agent/unanswered", headers=AGENT_HEADERS)
    assert resp.status == 401


async def test_mail_from_our_own_plus_address_is_not_answered(env: EmailEnv) -> None:
    """A reply of ours that a forwarder sent back (From: support+c1x...@example.com) is
    stored as our own mail, not answered: answering it would start a loop."""
    mid = await env.deliver(
        customer_mail(
            "Re: 退货", "怎么申请退货？", sender="客服 <support+c1x0123456789ab@example.com>"
        )
    )
    await env.services.pipeline.drain(grace_seconds=30)
    stored = await env.message_by_source(mid)
    assert stored.no_reply == "own_address"
    assert [m.id for m in await env.messages(stored.conversation_id)] == [stored.id]
