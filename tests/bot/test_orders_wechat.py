"""An Official Account (公众号) customer asks about orders while the order system hangs
(issue 18): the answer comes back in the customer's language within WeChat's window (the
passive reply, through ``kefu wechat simulate`` and a signed push of the local WeChat user),
a retried push is not answered twice, each turn is stored once, and once the order system has
failed ``breaker_failures`` times in a row it is not asked (nor waited for) again for a while.
On SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from channels.wechat import cli
from core.app import create_app
from core.context import SERVICES
from core.models import Contact, ContactIdentity, Conversation, Message, OutboxItem
from tests.bot.test_orders import FakeErp, erp, erp_settings  # noqa: F401 - the fixture
from tests.channels.fakes.wechat_api import FakeWechat
from tests.channels.fakes.wechat_client import (
    PLAIN,
    WechatUser,
    all_settled,
    start_fake,
    wechat_inboxes,
    with_inboxes,
)
from tests.conftest import make_settings
from tests.helpers import until

SORRY_EN = 'Sorry, the order system cannot be reached right now. Try again later, or type "human".'
FOUND_EN = (
    "Order A1001: Shipped. Carrier: 顺丰速运, tracking number SF1234567890. Expected: 2026-12-05."
)
OPENID = "oOrderEnglish01"


Start = Callable[[float], Awaitable[tuple[Any, FakeWechat]]]


@pytest.fixture
def start(
    demo_settings: Any,
    database_url: str,
    embedder: Any,
    aiohttp_client: Any,
    aiohttp_server: Any,
    erp: tuple[FakeErp, str],  # noqa: F811
) -> Start:
    """Starts the demo app on SQLite or PostgreSQL with the WeChat inboxes (passive replies
    within the given seconds) and the local order system (1 s timeout, the breaker after 2
    failures in a row)."""

    async def make(deadline: float) -> tuple[Any, FakeWechat]:
        fake, base = await start_fake(aiohttp_server)
        orders = erp_settings(erp[1], timeout_seconds=1.0, breaker_failures=2, breaker_seconds=600)
        settings = make_settings(Path(demo_settings.storage.data_dir), database_url, orders=orders)
        settings = with_inboxes(settings, wechat_inboxes(base, reply_deadline_seconds=deadline))
        return await aiohttp_client(create_app(settings, demo=True, embedder=embedder)), fake

    return make


async def with_phone(client: Any, openid: str, phone: str) -> int:
    """The WeChat customer's contact gets the phone the order system knows; their
    conversation."""
    async with client.app[SERVICES].db.transaction() as session:
        conv_id, contact_id = (
            await session.execute(
                select(Conversation.id, Conversation.contact_id)
                .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                .where(ContactIdentity.external_id == openid)
            )
        ).one()
        await session.execute(update(Contact).where(Contact.id == contact_id).values(phone=phone))
    return int(conv_id)


async def stored(client: Any, conv_id: int) -> list[tuple[str, bool, str]]:
    """The conversation's messages: (sender, private, text), in order."""
    async with client.app[SERVICES].db.reader() as session:
        rows = await session.execute(
            select(Message.sender, Message.private, Message.text)
            .where(Message.conversation_id == conv_id)
            .order_by(Message.seq)
        )
        return [(s, bool(p), t or "") for s, p, t in rows]


async def outbox_count(client: Any) -> int:
    async with client.app[SERVICES].db.reader() as session:
        return len((await session.execute(select(OutboxItem.id))).all())


async def test_a_hanging_order_system_through_the_wechat_simulator(
    start: Start,
    erp: tuple[FakeErp, str],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    orders, _ = erp
    client, wechat = await start(4.0)
    services = client.app[SERVICES]
    base = str(client.make_url("")).rstrip("/")

    async def simulate(text: str) -> str:
        """``kefu wechat simulate``: what the customer sees in WeChat for this push."""
        args = argparse.Namespace(inbox="wx-main", url=base, user=OPENID, text=text)
        capsys.readouterr()
        assert await cli.simulate(args, services.settings) == 0
        return capsys.readouterr().out.strip()

    await simulate("hello")
    conv_id = await with_phone(client, OPENID, "13800138000")
    # The order system up: the status code in English.
    assert await simulate("where is my order A1001") == FOUND_EN
    # It hangs: the polite answer in English, in the push's own (passive) reply.
    assert await simulate("where is my order T7777?") == SORRY_EN

    # WeChat pushes again, and retries that push (same MsgId: its first response was lost).
    user = WechatUser(client, PLAIN, openid=OPENID)
    msg_id = 6054768590064799999
    assert await user.say("where's my order T7777 now", msg_id=msg_id) == SORRY_EN
    asked = len(orders.asked)
    assert await user.say("where's my order T7777 now", msg_id=msg_id) == "success"
    assert len(orders.asked) == asked  # no second turn, no second lookup

    # Two failures in a row: the order system is not asked (nor waited for) for a while.
    assert await simulate("where is my order C3003") == SORRY_EN
    assert len(orders.asked) == asked
    await services.pipeline.drain(grace_seconds=30)
    await until(lambda: all_settled(client))

    messages = await stored(client, conv_id)
    customer = [t for s, _, t in messages if s == "customer"]
    assert customer == [
        "hello",
        "where is my order A1001",
        "where is my order T7777?",
        "where's my order T7777 now",
        "where is my order C3003",
    ]  # each push stored once, the retry not
    replies = [t for s, private, t in messages if s == "bot" and not private]
    assert replies[1:] == [FOUND_EN, SORRY_EN, SORRY_EN, SORRY_EN]  # one answer per push
    notes = [t for _, private, t in messages if private]
    assert len(notes) == 3
    assert all("no answer within 1.0 s" in n for n in notes[:2])
    assert "C3003" in notes[2] and "not asked again for 600 s" in notes[2]
    # Every answer rode a passive reply: nothing went out through the customer service API.
    assert wechat.sent == []


async def test_an_answer_later_than_the_passive_window_is_sent_once(start: Start) -> None:
    """The order system hangs longer than the push's reply window (here 0.2 s): WeChat gets
    ``success``, retries the push, and the customer gets the English answer once, through the
    customer service message API."""
    client, wechat = await start(0.2)
    user = WechatUser(client, PLAIN, openid=OPENID)
    await user.say("hello")
    services = client.app[SERVICES]
    await services.pipeline.drain(grace_seconds=30)
    await until(lambda: all_settled(client))
    conv_id = await with_phone(client, OPENID, "13800138000")
    sent_before = len(wechat.sent)

    msg_id = 6054768590064788888
    assert await user.say("where is my order T7777", msg_id=msg_id) == "success"
    assert await user.say("where is my order T7777", msg_id=msg_id) == "success"  # the retry
    await services.pipeline.drain(grace_seconds=30)
    await until(lambda: all_settled(client))
    await until(lambda: len(wechat.sent) > sent_before)

    answers = [m for m in wechat.sent[sent_before:] if m["touser"] == OPENID]
    assert [m["text"]["content"] for m in answers] == [SORRY_EN]
    messages = await stored(client, conv_id)
    assert [t for s, _, t in messages if s == "customer"] == ["hello", "where is my order T7777"]
    assert [t for s, p, t in messages if s == "bot" and not p][-1] == SORRY_EN
    assert len([t for s, p, t in messages if s == "bot" and not p]) == 2  # hello's, this one
    assert await outbox_count(client) == 2  # one row per reply (hello's rode its push)
