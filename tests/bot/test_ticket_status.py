"""Customers ask about their own tickets on every channel (issue 16).

Each channel receives through its own path (web chat over its socket, a raw email through
the email intake, a signed Official Account push with the API on a local server speaking
WeChat's wire format, the testing channel's call), on SQLite and on PostgreSQL. A ticket
number that belongs to another customer gets exactly the answer a number that does not exist
gets. (WeCom kf goes through the same bot turn; it is not driven here.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

import channels.registry
from bot.ticket_status import ASK_KEYS, ASKS, NUMBER, NUMBER_KEYS, _has_any
from channels.testing import TestingChannel
from core.app import ADAPTERS_KEY, create_app
from core.config import InboxSettings
from core.context import SERVICES
from core.domain import EscalationRequest, ThreadHint
from core.models import Agent, ContactIdentity, Conversation, Message, Ticket
from handoff.desk import DeskActions
from tests.channels.email_support.app import customer_mail, with_email_inbox
from tests.channels.fakes.wechat_api import FakeWechat
from tests.channels.fakes.wechat_client import start_fake
from tests.channels.test_wecom_kf import OPTIONS as KF_OPTIONS
from tests.channels.test_wecom_kf import customer as kf_customer
from tests.channels.test_wecom_kf import notify as kf_notify
from tests.helpers import Visitor, until

CHANNELS = ("testing", "webchat", "email", "wechat", "wecom_kf")
WX_TOKEN = "statusToken1"
Send = Callable[[str], Awaitable[None]]
_ids = itertools.count(1)
KF_FAKE = web.AppKey("kf_fake", FakeWechat)


@pytest.fixture
async def env(
    demo_settings: Any,
    database_url: str,
    embedder: Any,
    aiohttp_client: Any,
    aiohttp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """Web chat, email, an Official Account (its API a local server speaking WeChat's wire
    format) and the testing channel on one app, on SQLite and on PostgreSQL."""
    monkeypatch.setitem(channels.registry.ADAPTERS, "testing", TestingChannel)
    server = await aiohttp_server(wechat_api())
    options = {
        "token": WX_TOKEN,
        "app_id": "wx00000000000000d4",
        "app_secret": "s3cret",
        "api_base": str(server.make_url("")).rstrip("/"),
    }
    storage = dataclasses.replace(demo_settings.storage, database_url=database_url)
    settings = with_email_inbox(dataclasses.replace(demo_settings, storage=storage))
    wx = InboxSettings("wx-status", "wechat", options)
    # WeCom 微信客服: callbacks, sync_msg and send_msg on a local server speaking its format.
    fake, base = await start_fake(aiohttp_server)
    kf = InboxSettings("kf-main", "wecom_kf", {**KF_OPTIONS, "api_base": base})
    settings = dataclasses.replace(settings, inboxes=(*settings.inboxes, wx, kf))
    app = create_app(settings, demo=True, embedder=embedder)
    app[KF_FAKE] = fake
    return await aiohttp_client(app)


def wechat_api() -> web.Application:
    """The Official Account API calls a reply may need: a token, custom/send, typing."""

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "ACCESS", "expires_in": 7200})

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    app = web.Application()
    app.router.add_post("/cgi-bin/stable_token", token)
    app.router.add_post("/cgi-bin/message/custom/send", ok)
    app.router.add_post("/cgi-bin/message/custom/typing", ok)
    return app


async def post_wechat_text(client: Any, inbox: str, token: str, openid: str, text: str) -> str:
    """A text message from ``openid`` to the Official Account ``inbox``, signed as WeChat
    signs its pushes; the response body (``success`` or the passive reply's XML)."""
    now = str(int(time.time()))
    xml = (
        f"<xml><ToUserName><![CDATA[gh_kefu]]></ToUserName><FromUserName><![CDATA["
        f"{openid}]]></FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA["
        f"text]]></MsgType><Content><![CDATA[{text}]]></Content><MsgId>"
        f"{time.time_ns() % 10**16}</MsgId></xml>"
    )
    sig = hashlib.sha1("".join(sorted((token, now, "n1"))).encode()).hexdigest()
    resp = await client.post(
        f"/channels/wechat/{inbox}?signature={sig}&timestamp={now}&nonce=n1", data=xml.encode()
    )
    body: str = await resp.text()
    assert resp.status == 200, body
    return body


async def settle(services: Any) -> None:
    """Every bot turn started so far has finished."""
    await services.pipeline.drain(grace_seconds=30)


async def customer(client: Any, channel: str) -> tuple[int, Send]:
    """A new customer on ``channel`` who asked one question; (conversation id, send)."""
    n = next(_ids)
    services = client.app[SERVICES]
    if channel == "testing":
        testing = client.app[ADAPTERS_KEY]["testing"]
        user = f"t-status-{n}"

        async def send_testing(text: str) -> None:
            await testing.receive(user, text)

        conv = (await testing.receive(user, "怎么申请退货")).conversation_id
        send: Send = send_testing
    elif channel == "webchat":
        visitor = await Visitor(client).start()

        async def send_webchat(text: str) -> None:
            await visitor.say(text)
            await visitor.until(
                lambda f: f["type"] == "message" and f["sender"] == "customer" and f["text"] == text
            )

        await send_webchat("怎么申请退货")
        conv, send = visitor.conversation_id, send_webchat
    elif channel == "wechat":
        openid = f"oStatusUser{n:04d}"

        async def send_wechat(text: str) -> None:
            await post_wechat_text(client, "wx-status", WX_TOKEN, openid, text)

        await send_wechat("怎么申请退货")
        async with services.db.reader() as session:
            conv = (
                await session.execute(
                    select(Conversation.id)
                    .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                    .where(ContactIdentity.external_id == openid)
                )
            ).scalar_one()
        send = send_wechat
    elif channel == "wecom_kf":
        fake = client.app[KF_FAKE]
        user = f"wmStatus{n:04d}"

        async def send_kf(text: str) -> None:
            msgid = f"kf-{time.time_ns()}"
            fake.kf_pages.append({"msg_list": [kf_customer(msgid, text, user=user)]})
            assert (await kf_notify(client)).status == 200
            await until(lambda: _stored(services, user, text))

        await send_kf("怎么申请退货")
        async with services.db.reader() as session:
            conv = (
                await session.execute(
                    select(Conversation.id)
                    .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                    .where(ContactIdentity.external_id == user)
                )
            ).scalar_one()
        send = send_kf
    else:
        intake = next(iter(client.app[ADAPTERS_KEY]["email"].intakes.values()))
        address = f"status{n}@example.net"
        first = customer_mail("退货", "怎么申请退货", sender=address)
        first_id = str(first["Message-ID"]).strip("<>")

        async def send_email(text: str) -> None:
            mail = customer_mail("Re: 退货", text, sender=address, in_reply_to=first_id)
            await intake.receive(bytes(mail), via="smtp")

        await intake.receive(bytes(first), via="smtp")
        async with services.db.reader() as session:
            conv = (
                await session.execute(
                    select(Conversation.id)
                    .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                    .where(ContactIdentity.external_id == address)
                )
            ).scalar_one()
        send = send_email
    await settle(services)
    return conv, send


async def _stored(services: Any, external_id: str, text: str) -> bool:
    """Whether the customer behind ``external_id`` said ``text`` (it was pulled and stored)."""
    async with services.db.reader() as session:
        found = await session.execute(
            select(Message.id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
            .where(ContactIdentity.external_id == external_id, Message.text == text)
        )
        return found.first() is not None


async def escalate_and_take(services: Any, conv_id: int) -> int:
    """Escalate the conversation and let the demo admin take it; the ticket number."""
    handoff = services.pipeline.handoff
    async with services.db.transaction() as session:
        conv = await session.get(Conversation, conv_id)
        number = await handoff.escalate(
            session, conv, EscalationRequest("customer_request", "转人工")
        )
    await handoff.takeover(await first_agent(services), conv_id)
    return int(number)


async def first_agent(services: Any) -> Agent:
    async with services.db.reader() as session:
        found: Agent = (await session.execute(select(Agent).limit(1))).scalar_one()
        return found


async def said_after(services: Any, conv_id: int, text: str) -> str:
    """What kefu answered to the customer's ``text`` (the public messages after it)."""
    async with services.db.reader() as session:
        msgs = list(
            (
                await session.execute(
                    select(Message)
                    .where(Message.conversation_id == conv_id, Message.private.is_(False))
                    .order_by(Message.seq)
                )
            ).scalars()
        )
    asked = max(m.seq for m in msgs if m.sender == "customer" and m.text == text)
    return "\n".join(m.text for m in msgs if m.seq > asked and m.direction == "out")


async def agent_reply(services: Any, conv_id: int, text: str) -> None:
    await services.pipeline.handoff.reply(await first_agent(services), conv_id, text)


@pytest.mark.parametrize("channel", CHANNELS)
async def test_status_of_own_ticket_and_nothing_of_a_forged_number(env: Any, channel: str) -> None:
    services = env.app[SERVICES]
    # Someone else's ticket, with a reply that must never leak.
    other, _ = await customer(env, "testing")
    foreign = await escalate_and_take(services, other)
    await agent_reply(services, other, "王女士您好，工程师周五上门")
    # This customer's ticket: answered by a person, then resolved; the bot holds it again.
    conv, send = await customer(env, channel)
    mine = await escalate_and_take(services, conv)
    await agent_reply(services, conv, "已更换主板，请您试用")
    await services.pipeline.handoff.resolve(await first_agent(services), conv)
    await settle(services)

    asked = f"我的工单 #{mine} 处理到哪一步了？"
    await send(asked)
    await settle(services)
    answer = await said_after(services, conv, asked)
    assert f"工单 #{mine}" in answer and "已解决" in answer, answer
    assert "已更换主板" in answer and "Demo" in answer  # last reply, the agent's first name

    forged = f"#{foreign} 维修进度"
    await send(forged)
    await settle(services)
    refused = await said_after(services, conv, forged)
    assert f"没有找到工单 #{foreign}" in refused, refused
    assert "工程师周五" not in refused and "状态" not in refused
    # The same words as for a number nobody has.
    missing = "#99999 维修进度"
    await send(missing)
    await settle(services)
    nobody = await said_after(services, conv, missing)
    assert nobody.replace("99999", "N") == refused.replace(str(foreign), "N")


async def test_several_open_tickets_the_customer_picks_one(env: Any) -> None:
    services = env.app[SERVICES]
    testing = env.app[ADAPTERS_KEY]["testing"]
    user = "t-many"
    numbers = []
    for text in ("热水器不加热", "洗衣机不脱水"):
        got = await testing.receive(user, text, thread=ThreadHint(new_conversation=True))
        await settle(services)
        numbers.append(await escalate_and_take(services, got.conversation_id))
    agent = await first_agent(services)
    await agent_reply(services, got.conversation_id, "请拍一张铭牌照片发给我们")
    await DeskActions(services.pipeline.handoff).set_ticket_status(agent, numbers[1], "pending")
    # A new conversation with the bot: "where is my repair?"
    fresh = await testing.receive(
        user, "where is my repair?", thread=ThreadHint(new_conversation=True)
    )
    await settle(services)
    listing = await said_after(services, fresh.conversation_id, "where is my repair?")
    assert "2 open tickets" in listing and f"#{numbers[0]}" in listing, listing
    second = next(line for line in listing.splitlines() if f"#{numbers[1]}" in line)
    await testing.receive(user, second.split(".")[0], conversation_id=fresh.conversation_id)
    await settle(services)
    picked = await said_after(services, fresh.conversation_id, second.split(".")[0])
    assert f"Ticket #{numbers[1]}" in picked and "waiting for your reply" in picked, picked
    assert "What we need from you: 请拍一张铭牌照片" in picked
    async with services.db.reader() as session:
        statuses = (
            await session.execute(select(Ticket.status).where(Ticket.number.in_(numbers)))
        ).scalars()
        assert sorted(statuses) == ["open", "pending"]  # asking changed nothing


_PIECES = (
    "工单", "维修", "处理", "进度", "进展", "到哪", "一步", "什么状态", "得怎么样", "结果", "报修",
    "师傅", "什么时候", "几点", "来", "上门", "号", "编号", "：", "#", " ", "my ", "the ",
    "Ticket", "CASE", "repair", "claim", "s", " number", " no", "where's ", "where is ",
    "technician", "engineer", "status", " of my", "update on my", "any ", "news", " on",
    "1001", "123456", "?", "我的", "冰箱", "how do I ", "a",
)  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))
def test_the_substring_prefilter_never_hides_a_ticket_question(text: str) -> None:
    """Whatever ASKS or NUMBER matches contains one of the words the handler checks first."""
    low = text.lower()
    if ASKS.search(text):
        assert _has_any(low, ASK_KEYS), text
    if NUMBER.search(text):
        assert _has_any(low, NUMBER_KEYS), text
