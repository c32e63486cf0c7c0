"""Outgoing webhooks against a real local HTTP receiver: signed, in order, retried, disabled."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from sqlalchemy import select

from api.tables import ApiToken, WebhookDelivery
from api.webhooks import verify
from core.context import SERVICES
from tests.api.conftest import bearer, mint
from tests.api.webhook_support import Receiver, deliveries, open_ticket, subscribe, until
from tests.helpers import AGENT_HEADERS

TICKET_EVENTS = ["ticket.created", "ticket.assigned", "ticket.status_changed", "ticket.resolved"]


async def test_one_tickets_events_arrive_in_order_and_signed(
    api_client: Any, aiohttp_client: Any
) -> None:
    receiver = Receiver()
    url = await receiver.start()
    try:
        _, secret = await subscribe(api_client, url, TICKET_EVENTS)
        token = await mint(api_client, ["tickets:write"])
        erp = await aiohttp_client(api_client.server)
        ticket = await open_ticket(erp, token, "zhao@example.cn")
        number, conv = ticket["number"], ticket["conversation_id"]
        # An agent takes it in the console, then the ERP moves it to pending and resolves it.
        took = await api_client.post(
            f"/api/agent/conversations/{conv}/takeover", json={}, headers=AGENT_HEADERS
        )
        assert took.status == 200
        for status in ("pending", "resolved"):
            moved = await erp.post(
                f"/api/v1/tickets/{number}/status", json={"status": status}, headers=bearer(token)
            )
            assert moved.status == 200, await moved.text()

        async def six() -> bool:
            return len(receiver.got) >= 6

        await until(six)
        got = receiver.ok()
        assert [g["event"] for g in got] == [
            "ticket.created",
            "ticket.assigned",
            "ticket.status_changed",  # new -> open because the agent took it
            "ticket.status_changed",  # open -> pending
            "ticket.status_changed",  # pending -> resolved
            "ticket.resolved",
        ]
        assert [g["data"]["change"]["detail"].get("to") for g in got if g["event"].endswith("d")]
        assert [g["data"]["ticket"]["status"] for g in got][-1] == "resolved"
        assert all(g["data"]["ticket"]["number"] == number for g in got)
        now = int(time.time())
        for g in got:
            h = g["_headers"]
            assert verify(secret, h["X-Kefu-Signature"], g["_raw"], now)
            assert not verify("whsec_wrong", h["X-Kefu-Signature"], g["_raw"], now)
            assert h["X-Kefu-Event"] == g["event"] and h["X-Kefu-Delivery"] == g["id"]
        assert len({g["id"] for g in got}) == 6
        # An old signature is refused by the receiver's check (no replays).
        h = got[0]["_headers"]
        assert not verify(secret, h["X-Kefu-Signature"], got[0]["_raw"], now + 3600)
    finally:
        await receiver.stop()


async def test_receiver_down_for_a_while_gets_everything_once_in_order(
    make_api_client: Any, aiohttp_client: Any
) -> None:
    # Retries every 50-200 ms stand in for minutes: the clock is the config, not a sleep.
    api_client = await make_api_client(webhook_max_attempts=1000)
    receiver = Receiver()
    url = await receiver.start()
    await receiver.stop()  # the company's server is down: connections are refused
    try:
        _, secret = await subscribe(api_client, url, TICKET_EVENTS)
        token = await mint(api_client, ["tickets:write"])
        erp = await aiohttp_client(api_client.server)
        numbers = []
        for i in range(3):
            ticket = await open_ticket(erp, token, f"c{i}@example.cn")
            numbers.append(ticket["number"])
            moved = await erp.post(
                f"/api/v1/tickets/{ticket['number']}/status",
                json={"status": "pending"},
                headers=bearer(token),
            )
            assert moved.status == 200

        async def retried() -> bool:
            rows = await deliveries(api_client)
            heads = [r for r in rows if r.event == "ticket.created"]  # each ticket's first
            return len(rows) == 6 and all(r.attempts >= 3 for r in heads)

        await until(retried)  # tries kept failing with backoff while it was down
        rows = await deliveries(api_client)
        assert not any(r.status in ("sent", "dead") for r in rows)
        # A ticket's later event waits for its first: never tried while that one fails.
        assert all(r.attempts == 0 for r in rows if r.event != "ticket.created")
        await receiver.start()  # back up, on the same address

        async def all_sent() -> bool:
            return all(r.status == "sent" for r in await deliveries(api_client))

        await until(all_sent)
        got = receiver.ok()
        rows = await deliveries(api_client)
        assert sorted(g["id"] for g in got) == sorted(r.uid for r in rows)  # none lost, none twice
        for n in numbers:
            mine = [g["event"] for g in got if g["data"]["ticket"]["number"] == n]
            assert mine == ["ticket.created", "ticket.status_changed"]
        assert all(
            verify(secret, g["_headers"]["X-Kefu-Signature"], g["_raw"], int(time.time()))
            for g in got
        )
        assert max(r.attempts for r in rows) >= 2
    finally:
        await receiver.stop()


async def test_repeated_failure_disables_the_hook_and_a_retry_by_hand_delivers(
    api_client: Any, aiohttp_client: Any
) -> None:
    receiver = Receiver()
    receiver.failing = True
    url = await receiver.start()
    try:
        hook_id, _ = await subscribe(api_client, url, ["ticket.created"])
        token = await mint(api_client, ["tickets:write"])
        erp = await aiohttp_client(api_client.server)
        await open_ticket(erp, token, "sun@example.cn")
        max_attempts = api_client.app[SERVICES].settings.api.webhook_max_attempts

        async def disabled() -> bool:
            hooks = (await (await api_client.get("/api/admin/webhooks")).json())["webhooks"]
            return not hooks[0]["active"]

        await until(disabled)
        [hook] = (await (await api_client.get("/api/admin/webhooks")).json())["webhooks"]
        assert "HTTP 500" in hook["disabled_reason"] and "已停用" in hook["disabled_reason"]
        listing = await api_client.get(f"/api/admin/webhooks/{hook_id}/deliveries")
        [d] = (await listing.json())["deliveries"]
        assert d["status"] == "dead" and d["attempts"] == max_attempts == len(receiver.got)
        assert d["last_status"] == 500 and d["last_response"] == "boom: database locked"
        # Events while disabled are kept, not sent.
        await open_ticket(erp, token, "zhou@example.cn")
        assert len(receiver.got) == max_attempts

        receiver.failing = False
        retry = await api_client.post(
            f"/api/admin/webhooks/deliveries/{d['id']}/retry", headers=AGENT_HEADERS
        )
        assert retry.status == 200

        async def both() -> bool:
            return sum(1 for h, _ in receiver.got[max_attempts:]) >= 2

        await until(both)
        later = [orjson.loads(b) for _, b in receiver.got[max_attempts:]]
        assert [x["event"] for x in later] == ["ticket.created", "ticket.created"]
        # The same delivery id on a retry (the two tickets' rows go out side by side).
        assert d["uid"] in [x["id"] for x in later]
        [hook] = (await (await api_client.get("/api/admin/webhooks")).json())["webhooks"]
        assert hook["active"] and hook["disabled_reason"] is None
    finally:
        await receiver.stop()


async def test_webhook_admin_validates_and_needs_the_admin_role(api_client: Any) -> None:
    bad = await api_client.post(
        "/api/admin/webhooks",
        json={"url": "ftp://example.cn/x", "events": ["ticket.created"]},
        headers=AGENT_HEADERS,
    )
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_url"
    unknown = await api_client.post(
        "/api/admin/webhooks",
        json={"url": "https://example.cn/x", "events": ["ticket.exploded"]},
        headers=AGENT_HEADERS,
    )
    assert unknown.status == 400 and (await unknown.json())["error"]["code"] == "bad_events"


async def test_purge_forgets_old_keys_and_delivered_rows_only(api_client: Any) -> None:
    from datetime import timedelta

    from api.keys import LANE
    from api.tables import IdempotencyKey, Webhook
    from core.models import utcnow

    db = api_client.app[SERVICES].db
    secret = await mint(api_client, ["tickets:write"])
    long_ago = utcnow() - timedelta(days=40)
    async with db.transaction() as session:
        hook = Webhook(url="http://127.0.0.1:9/x", events=["ticket.created"], secret="s")
        session.add(hook)
        await session.flush()
        for i, (status, when) in enumerate(
            (("sent", long_ago), ("dead", long_ago), ("pending", long_ago), ("sent", utcnow()))
        ):
            session.add(
                WebhookDelivery(
                    uid=f"u{i}",
                    webhook_id=hook.id,
                    event="ticket.created",
                    order_key="ticket:1",
                    body="{}",
                    status=status,
                    next_attempt_at=utcnow() + timedelta(days=1),
                    created_at=when,
                    updated_at=when,
                )
            )
        token_id = (await session.execute(select(ApiToken.id))).scalar_one()
        session.add(
            IdempotencyKey(token_id=token_id, key="old", fingerprint="f", created_at=long_ago)
        )
        session.add(IdempotencyKey(token_id=token_id, key="new", fingerprint="f"))
    assert secret
    assert await api_client.app[LANE].purge() == (1, 1)
    async with db.reader() as session:
        left = sorted(r.uid for r in (await session.execute(select(WebhookDelivery))).scalars())
        keys = sorted(k.key for k in (await session.execute(select(IdempotencyKey))).scalars())
    assert left == ["u1", "u2", "u3"] and keys == ["new"]


def test_audit_entries_map_to_the_documented_events() -> None:
    from api.webhooks import EVENTS, events_for

    assert events_for("created", {"reason": "api"}) == ("ticket.created",)
    assert events_for("created", {"reason": "low_confidence"}) == (
        "ticket.created",
        "conversation.escalated",
    )
    assert events_for("escalated", {"reason": "customer_request"}) == ("conversation.escalated",)
    assert events_for("status", {"from": "open", "to": "pending"}) == ("ticket.status_changed",)
    assert events_for("status", {"from": "open", "to": "resolved"}) == (
        "ticket.status_changed",
        "ticket.resolved",
    )
    assert events_for("transferred", {}) == ("ticket.assigned",)
    assert events_for("fields", {"changes": {}}) == events_for("type", {}) == ("ticket.updated",)
    assert events_for("csat", {"score": 5}) == ("csat.submitted",)
    assert events_for("sla_breach", {"kind": "resolution"}) == ("sla.breach",)
    assert events_for("first_response", {}) == ()
    every = {
        e
        for a in (
            "created",
            "escalated",
            "status",
            "takeover",
            "priority",
            "csat",
            "sla_warning",
            "sla_breach",
        )
        for e in events_for(a, {"reason": "x", "to": "resolved"})
    }
    # The others come from a conversation's change of owner and from the message feed.
    from_elsewhere = {"conversation.created", "conversation.resolved", "message.created"}
    assert every == set(EVENTS) - from_elsewhere


async def test_a_bot_escalation_on_web_chat_is_announced(
    api_client: Any, aiohttp_client: Any
) -> None:
    from tests.helpers import Visitor

    receiver = Receiver()
    url = await receiver.start()
    try:
        _, secret = await subscribe(api_client, url, ["conversation.escalated"])
        v = await Visitor(await aiohttp_client(api_client.server)).start()
        await v.reply_to("转人工")

        async def one() -> bool:
            return len(receiver.got) >= 1

        await until(one)
        [got] = receiver.ok()
        assert got["event"] == "conversation.escalated"
        assert got["data"]["ticket"]["conversation_id"] == v.conversation_id
        assert got["data"]["change"]["detail"]["reason"] == "customer_request"
        assert verify(secret, got["_headers"]["X-Kefu-Signature"], got["_raw"], int(time.time()))
    finally:
        await receiver.stop()


async def test_a_slow_receiver_does_not_hold_the_other_webhooks(
    make_api_client: Any, aiohttp_client: Any
) -> None:
    # Two sends in flight at most; the slow receiver would hold both for 30 s without the
    # per-webhook cap.
    api_client = await make_api_client(webhook_concurrency=2, webhook_timeout_seconds=30.0)
    slow, fast = Receiver(), Receiver()
    slow.hold = asyncio.Event()
    slow_url, fast_url = await slow.start(), await fast.start()
    try:
        await subscribe(api_client, slow_url, ["ticket.created"])
        await subscribe(api_client, fast_url, ["ticket.created"])
        token = await mint(api_client, ["tickets:write"])
        erp = await aiohttp_client(api_client.server)
        for i in range(3):
            await open_ticket(erp, token, f"s{i}@example.cn")

        async def fast_done() -> bool:
            return len(fast.got) == 3

        await until(fast_done, seconds=10.0)
        assert len(slow.got) == 1  # still waiting on the first answer
        slow.hold.set()

        async def all_sent() -> bool:
            rows = await deliveries(api_client)
            return len(rows) == 6 and all(r.status == "sent" for r in rows)

        await until(all_sent)
        assert len(slow.got) == 3
    finally:
        if slow.hold is not None:
            slow.hold.set()
        await slow.stop()
        await fast.stop()
