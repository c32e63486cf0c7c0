"""Done-when flow: a customer emails support, gets an answer, replies, is escalated, an agent
answers, and a vacation auto-reply gets nothing back -- over real SMTP both ways."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from channels.email.threads import reply_token
from core.config import Settings
from core.models import Conversation, Message, OutboxItem, Ticket
from tests.channels.email_support.app import (
    ADDRESS,
    EmailEnv,
    customer_mail,
    email_env,
)
from tests.channels.email_support.sink import Received
from tests.helpers import AGENT_HEADERS, login

CUSTOMER = "wang.fang@customer.example"


@pytest.fixture
async def env(
    demo_settings: Settings, embedder: Any, aiohttp_client: Any
) -> AsyncIterator[EmailEnv]:
    """The app with an email inbox: SMTP listener in, the sink out."""
    async with email_env(demo_settings, aiohttp_client, embedder) as env:
        yield env


async def settle(env: EmailEnv, conversation_id: int) -> list[Message]:
    """Wait until bot turns finished and every reply of the conversation left the outbox."""
    async with asyncio.timeout(60):
        while True:
            await env.services.pipeline.drain(grace_seconds=30)
            async with env.services.db.reader() as session:
                pending = (
                    await session.execute(
                        select(OutboxItem.id).where(
                            OutboxItem.conversation_id == conversation_id,
                            OutboxItem.status.in_(("pending", "sending")),
                        )
                    )
                ).all()
            if not pending:
                return await env.messages(conversation_id)
            env.services.outbox.notify()
            await asyncio.sleep(0.05)


def text_of(mail: Received) -> str:
    """The plain-text part of a received mail."""
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def test_email_conversation_end_to_end(env: EmailEnv) -> None:
    """Bot answer, vacation reply ignored, reply by headers, escalation, subject token,
    agent reply, reply by address token: one conversation, threaded both ways."""
    # 1. A customer asks a question the knowledge base answers.
    first = customer_mail("退货问题", "你好，怎么申请退货？\n\n王芳")
    m1 = await env.deliver(first)
    stored = await env.message_by_source(m1)
    conv_id = stored.conversation_id
    assert stored.meta["subject"] == "退货问题" and stored.text.startswith("你好，怎么申请退货")
    await settle(env, conv_id)
    assert len(env.sink.mails) == 1
    answer = env.sink.mails[0]
    assert answer.rcpt_tos == [CUSTOMER]
    assert answer.message["Subject"] == "Re: 退货问题"
    assert answer.message["In-Reply-To"] == f"<{m1}>"
    assert f"<{m1}>" in answer.message["References"]
    assert answer.message["Auto-Submitted"] == "auto-replied"
    assert answer.message["Reply-To"] == (
        f"support+{reply_token(env.services.secret, conv_id)}@example.com"
    )
    assert "申请退货" in text_of(answer) and "转人工" in text_of(answer)
    assert answer.message.get_body(preferencelist=("html",)) is not None
    answer_id = str(answer.message["Message-ID"]).strip("<>")

    # 2. The customer's vacation auto-reply is stored but gets no answer.
    vacation = customer_mail(
        "自动回复: Re: 退货问题",
        "我正在休假，5月6日回来。",
        in_reply_to=answer_id,
        headers={"Auto-Submitted": "auto-replied"},
    )
    vid = await env.deliver(vacation)
    await settle(env, conv_id)
    v = await env.message_by_source(vid)
    assert v.conversation_id == conv_id and v.meta["auto"] == "auto_submitted"
    assert (await env.messages(conv_id))[-1].id == v.id  # nothing was said after it
    assert len(env.sink.mails) == 1

    # 3. The customer replies from a real client (threaded by headers), asks for a person.
    reply = customer_mail(
        "Re: 退货问题",
        f"转人工\n\n在 2026年11月22日，客服 <{ADDRESS}> 写道：\n> 在青禾家电App进入“我的订单”",
        in_reply_to=answer_id,
        references=[m1, answer_id],
    )
    m2 = await env.deliver(reply)
    r2 = await env.message_by_source(m2)
    assert r2.conversation_id == conv_id and r2.meta["thread"] == "headers"
    assert r2.text == "转人工" and "在青禾家电App" in r2.meta["full_text"]
    await settle(env, conv_id)
    async with env.services.db.reader() as session:
        ticket = (
            await session.execute(select(Ticket).where(Ticket.conversation_id == conv_id))
        ).scalar_one()
        conv = await session.get(Conversation, conv_id)
        assert conv is not None and conv.owner == "queued"
    after_escalation = env.sink.mails[1:]
    acks = [m for m in after_escalation if f"#{ticket.number}" in text_of(m)]
    assert len(acks) == 1, [text_of(m) for m in after_escalation]
    for mail in after_escalation:  # the acknowledgement, and any notice the handoff adds
        assert mail.message["Subject"] == f"Re: 退货问题 [#{ticket.number}]"
        assert mail.message["In-Reply-To"] == f"<{m2}>"
        assert mail.message["Auto-Submitted"] == "auto-replied"

    # 4. A new mail with only the subject token lands in the same conversation...
    follow = customer_mail(f"Re: 退货问题 [#{ticket.number}]", "我的订单号是 A1001。")
    m3 = await env.deliver(follow)
    r3 = await env.message_by_source(m3)
    assert r3.conversation_id == conv_id and r3.meta["thread"] == "subject"
    # ...but not when someone else uses the token: never thread on subject alone.
    stranger = customer_mail(
        f"Re: 退货问题 [#{ticket.number}]", "我也要退货", sender="li@other.example"
    )
    s_id = await env.deliver(stranger)
    assert (await env.message_by_source(s_id)).conversation_id != conv_id

    # 5. The agent takes over and replies; the email threads under the customer's last mail.
    await login(env.client)
    resp = await env.client.post(
        f"/api/agent/conversations/{conv_id}/takeover", headers=AGENT_HEADERS
    )
    assert resp.status == 200, await resp.text()
    resp = await env.client.post(
        f"/api/agent/conversations/{conv_id}/messages",
        json={"text": "您好，我是客服小李，已为您登记退货，快递员明天上门取件。"},
        headers=AGENT_HEADERS,
    )
    assert resp.status == 201, await resp.text()
    await settle(env, conv_id)
    agent_mails = [m for m in env.sink.mails if "快递员明天上门取件" in text_of(m)]
    assert len(agent_mails) == 1
    agent_mail = agent_mails[0]
    assert agent_mail.rcpt_tos == [CUSTOMER]
    assert agent_mail.message["Subject"] == f"Re: 退货问题 [#{ticket.number}]"
    assert agent_mail.message["In-Reply-To"] == f"<{m3}>"
    refs = agent_mail.message["References"]
    assert f"<{m1}>" in refs and f"<{answer_id}>" in refs
    assert agent_mail.message["Auto-Submitted"] is None
    async with env.services.db.reader() as session:
        sent = (
            await session.execute(
                select(Message).where(Message.conversation_id == conv_id, Message.sender == "agent")
            )
        ).scalar_one()
    assert f"<{sent.external_id}>" == agent_mail.message["Message-ID"]

    # 6. The customer answers to the Reply-To address only (a client that drops headers).
    token_only = customer_mail("谢谢", "好的，明天在家。", to=str(agent_mail.message["Reply-To"]))
    m4 = await env.deliver(token_only, rcpt=str(agent_mail.message["Reply-To"]))
    r4 = await env.message_by_source(m4)
    assert r4.conversation_id == conv_id and r4.meta["thread"] == "token"

    # The same mail delivered twice is stored once.
    await env.deliver(token_only, rcpt=ADDRESS)
    assert [m.source_id for m in await env.messages(conv_id)].count(m4) == 1


async def test_reply_to_resolved_conversation_reopens_it_for_the_bot(env: EmailEnv) -> None:
    """A reply after the agent resolved the case reopens the same conversation, as on every
    channel: the bot answers it by email, threaded; the resolved ticket keeps its status."""
    m1 = await env.deliver(customer_mail("发票", "转人工"))
    conv_id = (await env.message_by_source(m1)).conversation_id
    await settle(env, conv_id)
    ack = env.sink.mails[-1]
    await login(env.client)
    for action in ("takeover", "resolve"):
        resp = await env.client.post(
            f"/api/agent/conversations/{conv_id}/{action}", headers=AGENT_HEADERS
        )
        assert resp.status == 200, await resp.text()
    await settle(env, conv_id)
    sent_before = len(env.sink.mails)
    again = customer_mail(
        str(ack.message["Subject"]),
        "怎么申请退货？",
        in_reply_to=str(ack.message["Message-ID"]).strip("<>"),
    )
    m2 = await env.deliver(again)
    r2 = await env.message_by_source(m2)
    assert r2.conversation_id == conv_id and r2.meta["thread"] == "headers"
    msgs = await settle(env, conv_id)
    assert msgs[-1].sender == "bot" and msgs[-1].seq > r2.seq
    async with env.services.db.reader() as session:
        conv = await session.get(Conversation, conv_id)
        assert conv is not None and conv.owner == "bot"
    assert len(env.sink.mails) == sent_before + 1
    assert env.sink.mails[-1].message["In-Reply-To"] == f"<{m2}>"


async def test_auto_reply_opening_a_conversation_is_never_answered_by_recovery(
    env: EmailEnv,
) -> None:
    """Regression: an out-of-office reply that starts a conversation is stored unanswered,
    and the lost-turn recovery (which once only looked at a JSON mark) leaves it alone."""
    from core.recovery import TurnRecovery

    vacation = customer_mail(
        "自动回复：我正在休假",
        "我正在休假，5月6日回来。",
        headers={"Auto-Submitted": "auto-replied"},
    )
    mid = await env.deliver(vacation)
    stored = await env.message_by_source(mid)
    assert stored.no_reply == "auto_submitted" and not stored.answered
    recovery = TurnRecovery(env.services.db, env.services.pipeline, grace_seconds=0)
    assert await recovery.check() == 0
    msgs = await settle(env, stored.conversation_id)
    assert [m.id for m in msgs] == [stored.id]
    assert env.sink.mails == []


async def test_customer_email_on_a_pending_ticket_reopens_it(env: EmailEnv) -> None:
    """Regression: an email from the customer on a pending ticket moves it back to open, as
    the same message over web chat does; an auto-reply leaves it pending."""
    m1 = await env.deliver(customer_mail("发票", "转人工"))
    conv_id = (await env.message_by_source(m1)).conversation_id
    await settle(env, conv_id)
    await login(env.client)
    resp = await env.client.post(
        f"/api/agent/conversations/{conv_id}/takeover", headers=AGENT_HEADERS
    )
    assert resp.status == 200, await resp.text()
    async with env.services.db.reader() as session:
        number = (
            await session.execute(select(Ticket.number).where(Ticket.conversation_id == conv_id))
        ).scalar_one()
    resp = await env.client.post(
        f"/api/agent/tickets/{number}/status", json={"status": "pending"}, headers=AGENT_HEADERS
    )
    assert resp.status == 200, await resp.text()

    async def status() -> str:
        async with env.services.db.reader() as session:
            ticket = (
                await session.execute(select(Ticket).where(Ticket.number == number))
            ).scalar_one()
        return ticket.status

    away = customer_mail(
        "Re: 发票",
        "I am out of office.",
        in_reply_to=m1,
        headers={"Auto-Submitted": "auto-replied"},
    )
    await env.deliver(away)
    assert await status() == "pending"
    await env.deliver(customer_mail("Re: 发票", "发票抬头是青禾公司。", in_reply_to=m1))
    assert await status() == "open"
