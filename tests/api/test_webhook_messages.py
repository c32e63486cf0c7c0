"""Webhooks for messages and for conversations without a ticket, against a real local
receiver: announced once, in order per conversation, signed, and never in the message path's
way."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from sqlalchemy import select

from api.tables import WebhookDelivery
from api.webhook_feed import MessageFeed
from api.webhooks import verify
from core.context import SERVICES
from core.coordination import LocalHub
from core.events import AGENTS_TOPIC
from core.models import Conversation
from tests.api.conftest import bearer, mint
from tests.api.webhook_support import Receiver, deliveries, subscribe, until
from tests.helpers import AGENT_HEADERS, Visitor

FEED = ["conversation.created", "message.created"]


async def test_each_message_is_announced_once_in_order_after_the_conversation(
    make_api_client: Any, aiohttp_client: Any
) -> None:
    api_client = await make_api_client(webhook_max_attempts=1000)
    receiver = Receiver()
    url = await receiver.start()
    await receiver.stop()  # down at first: the deliveries wait and arrive later
    try:
        _, secret = await subscribe(api_client, url, FEED)
        v = await Visitor(await aiohttp_client(api_client.server)).start()
        await v.reply_to("你好")  # the customer (hot path) and the bot's answer
        await v.reply_to("营业时间")
        cid = v.conversation_id
        took = await api_client.post(
            f"/api/agent/conversations/{cid}/takeover", json={}, headers=AGENT_HEADERS
        )
        assert took.status == 200
        for text, private in (("内部备注：老客户", True), ("您好，我是客服小王", False)):
            sent = await api_client.post(
                f"/api/agent/conversations/{cid}/messages",
                json={"text": text, "private": private},
                headers=AGENT_HEADERS,
            )
            assert sent.status in (200, 201), await sent.text()
        await v.until(lambda f: f["type"] == "message" and f.get("text") == "您好，我是客服小王")

        token = await mint(api_client, ["conversations:read"])
        reader = await aiohttp_client(api_client.server)
        listing = await reader.get(f"/api/v1/conversations/{cid}/messages", headers=bearer(token))
        stored = (await listing.json())["messages"]

        async def all_queued() -> bool:
            rows = [r for r in await deliveries(api_client) if r.event == "message.created"]
            return len(rows) == len(stored)

        await until(all_queued)
        await receiver.start()

        async def all_sent() -> bool:
            rows = await deliveries(api_client)
            return bool(rows) and all(r.status == "sent" for r in rows)

        await until(all_sent)
        got = receiver.ok()
        assert [g["event"] for g in got] == ["conversation.created"] + ["message.created"] * len(
            stored
        )
        assert got[0]["data"]["conversation"]["id"] == cid
        msgs = [g["data"]["message"] for g in got[1:]]
        assert [m["seq"] for m in msgs] == [m["seq"] for m in stored]  # in order, none twice
        assert [m["text"] for m in msgs] == [m["text"] for m in stored]
        assert msgs[0]["sender"] == "customer" and msgs[0]["text"] == "你好"
        assert any(m["sender"] == "bot" for m in msgs)
        note = next(m for m in msgs if m["text"] == "内部备注：老客户")
        assert note["private"] is True
        assert len({g["id"] for g in got}) == len(got)  # each delivery once
        now = int(time.time())
        assert all(verify(secret, g["_headers"]["X-Kefu-Signature"], g["_raw"], now) for g in got)
    finally:
        await receiver.stop()


async def test_a_conversation_without_ticket_is_escalated_and_resolved(
    api_client: Any, aiohttp_client: Any
) -> None:
    receiver = Receiver()
    url = await receiver.start()
    try:
        events = ["conversation.escalated", "conversation.resolved", "ticket.created"]
        _, secret = await subscribe(api_client, url, events)
        v = await Visitor(await aiohttp_client(api_client.server)).start()
        await v.reply_to("你好")
        cid = v.conversation_id
        # An agent takes the bot's conversation (no ticket), then resolves it.
        took = await api_client.post(
            f"/api/agent/conversations/{cid}/takeover", json={}, headers=AGENT_HEADERS
        )
        assert took.status == 200
        done = await api_client.post(
            f"/api/agent/conversations/{cid}/resolve", json={}, headers=AGENT_HEADERS
        )
        assert done.status == 200, await done.text()

        async def two() -> bool:
            return len(receiver.got) >= 2

        await until(two)
        await asyncio.sleep(0.3)  # nothing else comes (no ticket was opened)
        got = receiver.ok()
        assert [g["event"] for g in got] == ["conversation.escalated", "conversation.resolved"]
        assert [g["data"]["change"] for g in got] == [
            {"from": "bot", "to": "agent"},
            {"from": "agent", "to": "resolved"},
        ]
        assert all(g["data"]["ticket"] is None for g in got)
        assert got[1]["data"]["conversation"]["id"] == cid
        now = int(time.time())
        assert all(verify(secret, g["_headers"]["X-Kefu-Signature"], g["_raw"], now) for g in got)
    finally:
        await receiver.stop()


async def test_a_bot_escalation_with_a_ticket_is_announced_once(
    api_client: Any, aiohttp_client: Any
) -> None:
    receiver = Receiver()
    url = await receiver.start()
    try:
        await subscribe(api_client, url, ["conversation.escalated", "conversation.resolved"])
        v = await Visitor(await aiohttp_client(api_client.server)).start()
        await v.reply_to("转人工")

        async def one() -> bool:
            return len(receiver.got) >= 1

        await until(one)
        await asyncio.sleep(0.3)
        got = receiver.ok()
        assert [g["event"] for g in got] == ["conversation.escalated"]
        assert "ticket" in got[0]["data"]  # the ticket's audit entry announced it
    finally:
        await receiver.stop()


async def test_a_dead_receiver_never_slows_the_customer(
    make_api_client: Any, aiohttp_client: Any
) -> None:
    api_client = await make_api_client(webhook_timeout_seconds=30.0, webhook_concurrency=2)
    receiver = Receiver()
    receiver.hold = asyncio.Event()  # accepts the connection and never answers
    url = await receiver.start()
    try:
        await subscribe(api_client, url, [*FEED, "conversation.escalated"])
        v = await Visitor(await aiohttp_client(api_client.server)).start()
        started = time.monotonic()
        for text in ("你好", "营业时间", "谢谢"):
            await v.reply_to(text)
        assert time.monotonic() - started < 5.0  # the bot answers as if nobody listened

        async def queued() -> bool:
            rows = await deliveries(api_client)
            return len([r for r in rows if r.event == "message.created"]) >= 6

        await until(queued)

        async def first_sent() -> bool:
            return len(receiver.got) >= 1

        await until(first_sent)
        await asyncio.sleep(0.3)
        assert len(receiver.got) == 1  # the lane waits on its first send, alone
    finally:
        receiver.hold.set()
        await receiver.stop()


async def test_a_sweep_finds_what_no_wake_up_announced_and_never_twice(
    make_api_client: Any, aiohttp_client: Any, monkeypatch: Any
) -> None:
    """Lost wake-ups (or a restart): a feed that never heard of the messages finds them,
    and announces each once however many feeds look."""
    api_client = await make_api_client(webhook_poll_seconds=60.0)  # no sweep of its own
    services = api_client.app[SERVICES]
    hub = services.hub
    publish = hub.publish

    async def lossy(topic: str, event: dict[str, Any]) -> None:
        if topic != AGENTS_TOPIC:  # the customer's socket still hears everything
            await publish(topic, event)

    monkeypatch.setattr(hub, "publish", lossy)
    await subscribe(api_client, "http://127.0.0.1:9/unused", ["message.created"])
    v = await Visitor(await aiohttp_client(api_client.server)).start()
    await v.reply_to("你好")
    await v.reply_to("营业时间")
    await asyncio.sleep(0.2)

    async def announced() -> list[int]:
        async with services.db.reader() as session:
            rows = (
                await session.execute(
                    select(WebhookDelivery.body).where(WebhookDelivery.event == "message.created")
                )
            ).scalars()
            return sorted(orjson.loads(b)["data"]["message"]["seq"] for b in rows)

    assert await announced() == []  # nobody was told
    feeds = [MessageFeed(services.db, LocalHub(), services.settings.api) for _ in range(3)]
    made = await asyncio.gather(*(f.step() for f in feeds))
    async with services.db.reader() as session:
        conv = await session.get(Conversation, v.conversation_id)
        assert conv is not None and conv.last_seq >= 4
    assert sum(made) == conv.last_seq
    assert await announced() == list(range(1, conv.last_seq + 1))  # each message once
    assert [await f.step() for f in feeds] == [0, 0, 0]


def test_a_change_of_owner_maps_to_the_documented_events() -> None:
    from api.webhooks import EVENTS, conversation_events

    assert conversation_events("bot", "agent", False) == ("conversation.escalated",)
    assert conversation_events("bot", "queued", False) == ("conversation.escalated",)
    assert conversation_events("bot", "queued", True) == ()  # the ticket's entry says it
    assert conversation_events("agent", "resolved", True) == ("conversation.resolved",)
    assert conversation_events("queued", "resolved", False) == ("conversation.resolved",)
    assert conversation_events("resolved", "bot", False) == ()
    assert conversation_events("agent", "bot", False) == ()  # handed back: not a resolution
    assert {"conversation.created", "message.created", "conversation.resolved"} <= set(EVENTS)
