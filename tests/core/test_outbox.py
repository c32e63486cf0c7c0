"""The outbox delivers every stored reply at least once, retries, and records failures."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from sqlalchemy import select, update

from core.config import OutboxSettings
from core.conversations import add_reply, record_inbound
from core.db import Database
from core.domain import InboundMessage, OutboundDelivery
from core.errors import DeliveryError, PermanentDeliveryError
from core.models import Conversation, Message, OutboxItem, utcnow
from core.outbox import OutboxDispatcher


class ScriptedChannel:
    """A channel whose platform fails the first ``failures`` sends (the network edge)."""

    def __init__(self, failures: int = 0, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.sent: list[OutboundDelivery] = []
        self.calls = 0

    async def send(self, delivery: OutboundDelivery) -> None:
        self.calls += 1
        if self.permanent:
            raise PermanentDeliveryError("45015: response out of time limit")
        if self.calls <= self.failures:
            raise DeliveryError(f"temporary failure {self.calls}")
        self.sent.append(delivery)


class HeldChannel:
    """A slow platform: every send waits until the test lets it through."""

    def __init__(self, delivered: list[int] | None = None) -> None:
        self.calls: list[int] = []
        self.delivered: list[int] = [] if delivered is None else delivered
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = asyncio.Event()

    async def send(self, delivery: OutboundDelivery) -> None:
        self.calls.append(delivery.message_id)
        self.started.set()
        await self.release.wait()
        self.delivered.append(delivery.message_id)
        self.finished.set()


async def stored_reply(db: Database, channel: str = "webchat") -> Message:
    async with db.transaction() as s:
        conv = (
            await record_inbound(
                s,
                InboundMessage(
                    channel=channel, inbox="main", external_id="u1", source_id="m1", text="hi"
                ),
            )
        ).conversation
        return await add_reply(s, conv, sender="bot", text="hello")


async def reply_on(db: Database, channel: str) -> Message:
    """A customer message on ``channel`` (its own inbox) and a bot reply waiting to go out."""
    async with db.transaction() as s:
        inbound = InboundMessage(
            channel=channel, inbox=f"{channel}-main", external_id="u1", source_id="m1", text="hi"
        )
        conv = (await record_inbound(s, inbound)).conversation
        return await add_reply(s, conv, sender="bot", text=f"hello on {channel}")


async def follow_up(db: Database, msg: Message, text: str) -> Message:
    """Another bot reply in the conversation of ``msg``."""
    async with db.transaction() as s:
        conv = await s.get(Conversation, msg.conversation_id)
        assert conv is not None
        return await add_reply(s, conv, sender="bot", text=text)


async def make_due(db: Database) -> None:
    async with db.transaction() as s:
        await s.execute(update(OutboxItem).values(next_attempt_at=utcnow() - timedelta(seconds=1)))


async def state(db: Database, message_id: int) -> tuple[str, str, int, str | None]:
    async with db.reader() as s:
        item = (
            await s.execute(select(OutboxItem).where(OutboxItem.message_id == message_id))
        ).scalar_one()
        msg = await s.get(Message, message_id)
        assert msg is not None
        return item.status, msg.delivery, item.attempts, msg.delivery_error


async def test_delivers_once_with_the_stored_text(db: Database) -> None:
    msg = await stored_reply(db)
    channel = ScriptedChannel()
    dispatcher = OutboxDispatcher(db, {"webchat": channel}, OutboxSettings())
    assert await dispatcher.run_once() == 1
    assert await dispatcher.run_once() == 0  # nothing left: not sent twice
    [d] = channel.sent
    assert (d.text, d.external_id, d.seq, d.inbox) == ("hello", "u1", msg.seq, "main")
    assert await state(db, msg.id) == ("sent", "sent", 1, None)


async def test_retries_with_backoff_then_succeeds(db: Database) -> None:
    msg = await stored_reply(db)
    channel = ScriptedChannel(failures=2)
    dispatcher = OutboxDispatcher(db, {"webchat": channel}, OutboxSettings(base_delay_seconds=30.0))
    await dispatcher.run_once()
    status, delivery, attempts, _ = await state(db, msg.id)
    assert (status, delivery, attempts) == ("pending", "pending", 1)
    assert await dispatcher.run_once() == 0  # backing off: not due yet
    await make_due(db)
    await dispatcher.run_once()
    await make_due(db)
    await dispatcher.run_once()
    assert await state(db, msg.id) == ("sent", "sent", 3, None)
    assert len(channel.sent) == 1


async def test_dead_letter_after_max_attempts_keeps_the_reason(db: Database) -> None:
    msg = await stored_reply(db)
    dispatcher = OutboxDispatcher(
        db, {"webchat": ScriptedChannel(failures=99)}, OutboxSettings(max_attempts=3)
    )
    for _ in range(3):
        await make_due(db)
        await dispatcher.run_once()
    assert await state(db, msg.id) == ("dead", "failed", 3, "temporary failure 3")


async def test_permanent_refusal_is_not_retried(db: Database) -> None:
    msg = await stored_reply(db)
    channel = ScriptedChannel(permanent=True)
    dispatcher = OutboxDispatcher(db, {"webchat": channel}, OutboxSettings())
    await dispatcher.run_once()
    await make_due(db)
    await dispatcher.run_once()
    assert channel.calls == 1
    status, delivery, _, error = await state(db, msg.id)
    assert (status, delivery) == ("dead", "failed") and "45015" in (error or "")


async def test_unknown_channel_is_a_dead_letter(db: Database) -> None:
    msg = await stored_reply(db, channel="carrier-pigeon")
    dispatcher = OutboxDispatcher(db, {}, OutboxSettings())
    await dispatcher.run_once()
    status, _, _, error = await state(db, msg.id)
    assert status == "dead" and "carrier-pigeon" in (error or "")


async def test_a_crashing_adapter_is_retried_not_fatal(db: Database) -> None:
    class Buggy:
        async def send(self, delivery: OutboundDelivery) -> None:
            raise KeyError("bug in adapter")

    msg = await stored_reply(db)
    dispatcher = OutboxDispatcher(db, {"webchat": Buggy()}, OutboxSettings())
    assert await dispatcher.run_once() == 1
    status, delivery, attempts, _ = await state(db, msg.id)
    assert (status, delivery, attempts) == ("pending", "pending", 1)


def test_backoff_grows_and_is_capped() -> None:
    d = OutboxDispatcher(None, {}, OutboxSettings(base_delay_seconds=1, max_delay_seconds=60))  # type: ignore[arg-type]
    assert 0.5 <= d.backoff(1) <= 1
    assert 4 <= d.backoff(4) <= 8
    assert 30 <= d.backoff(20) <= 60


async def test_two_dispatchers_never_send_one_row_twice(db: Database) -> None:
    import asyncio

    msgs = [await stored_reply_n(db, i) for i in range(6)]
    channel = ScriptedChannel()
    a = OutboxDispatcher(db, {"webchat": channel}, OutboxSettings())
    b = OutboxDispatcher(db, {"webchat": channel}, OutboxSettings())
    await asyncio.gather(a.run_once(), b.run_once())
    assert sorted(d.message_id for d in channel.sent) == sorted(m.id for m in msgs)


async def test_inline_delivery_claims_rows_so_the_dispatcher_skips_them(db: Database) -> None:
    from core.outbox_rows import claim_messages

    msg = await stored_reply(db)
    async with db.transaction() as s:
        assert await claim_messages(s, [msg.id]) == [msg.id]
    async with db.transaction() as s:
        assert await claim_messages(s, [msg.id]) == []  # only once
    channel = ScriptedChannel()
    await OutboxDispatcher(db, {"webchat": channel}, OutboxSettings()).run_once()
    assert channel.sent == []
    assert (await state(db, msg.id))[:2] == ("sent", "sent")


async def test_a_claim_left_by_a_crash_expires_and_is_retried(db: Database) -> None:
    from core.outbox_rows import claim

    msg = await stored_reply(db)
    async with db.transaction() as s:
        item_id = (
            await s.execute(select(OutboxItem.id).where(OutboxItem.message_id == msg.id))
        ).scalar_one()
        assert await claim(s, item_id, lease_seconds=300)
    channel = ScriptedChannel()
    dispatcher = OutboxDispatcher(db, {"webchat": channel}, OutboxSettings())
    await dispatcher.run_once()
    assert channel.sent == []  # the lease still holds
    await make_due(db)  # the lease expired (the claimer died)
    await dispatcher.run_once()
    assert [d.message_id for d in channel.sent] == [msg.id]


async def stored_reply_n(db: Database, n: int) -> Message:
    async with db.transaction() as s:
        conv = (
            await record_inbound(
                s,
                InboundMessage(
                    channel="webchat",
                    inbox="main",
                    external_id=f"u{n}",
                    source_id=f"m{n}",
                    text="hi",
                ),
            )
        ).conversation
        return await add_reply(s, conv, sender="bot", text=f"hello {n}")


# -- concurrent delivery ---------------------------------------------------------------------


async def test_a_slow_channel_never_holds_another(db: Database) -> None:
    slow_msg = await reply_on(db, "slow")  # the older row: first in line
    fast_msg = await reply_on(db, "fast")
    slow, fast = HeldChannel(), HeldChannel()
    fast.release.set()
    dispatcher = OutboxDispatcher(db, {"slow": slow, "fast": fast}, OutboxSettings())
    passing = asyncio.create_task(dispatcher.run_once())
    try:
        async with asyncio.timeout(10):  # a hang guard: serial sending never gets here
            await slow.started.wait()
            await fast.finished.wait()
        assert fast.delivered == [fast_msg.id]
        assert slow.delivered == []  # still in flight, still claimed
        assert (await state(db, slow_msg.id))[:2] == ("sending", "pending")
    finally:
        slow.release.set()
        await passing
    assert slow.delivered == [slow_msg.id]
    assert await state(db, slow_msg.id) == ("sent", "sent", 1, None)
    assert await state(db, fast_msg.id) == ("sent", "sent", 1, None)


async def test_a_send_that_outlasts_its_lease_is_not_sent_again(db: Database) -> None:
    msg = await stored_reply(db)
    lease = OutboxSettings(claim_seconds=0.4)
    platform = HeldChannel()
    first = OutboxDispatcher(db, {"webchat": platform}, lease)
    second = OutboxDispatcher(db, {"webchat": platform}, lease, poll_seconds=0.05)
    sending = asyncio.create_task(first.run_once())
    await platform.started.wait()
    other_worker = asyncio.create_task(second.run())
    try:
        await asyncio.sleep(3 * lease.claim_seconds)  # the platform takes three leases to answer
        assert platform.calls == [msg.id]  # the second dispatcher kept its hands off
    finally:
        platform.release.set()
        await sending
        other_worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await other_worker
    assert platform.delivered == [msg.id]
    assert await state(db, msg.id) == ("sent", "sent", 1, None)


async def test_one_conversation_goes_out_in_order_across_dispatchers(db: Database) -> None:
    delivered: list[int] = []
    held, quick = HeldChannel(delivered), HeldChannel(delivered)
    quick.release.set()
    a = OutboxDispatcher(db, {"webchat": held}, OutboxSettings())
    b = OutboxDispatcher(db, {"webchat": quick}, OutboxSettings())
    first = await stored_reply(db)
    passing = asyncio.create_task(a.run_once())
    await held.started.wait()  # the first reply is on its way, slowly
    later = [await follow_up(db, first, f"part {n}") for n in (2, 3)]
    try:
        await b.run_once()  # another worker must not overtake the reply in flight
        assert delivered == []
    finally:
        held.release.set()
        await passing
    await b.run_once()
    assert delivered == [first.id, *(m.id for m in later)]
    for m in (first, *later):
        assert await state(db, m.id) == ("sent", "sent", 1, None)


async def test_a_send_cut_short_by_shutdown_is_retried_never_marked_sent(db: Database) -> None:
    msg = await stored_reply(db)
    platform = HeldChannel()
    dispatcher = OutboxDispatcher(db, {"webchat": platform}, OutboxSettings())
    running = asyncio.create_task(dispatcher.run())
    await platform.started.wait()
    running.cancel()  # the worker stops while the platform still has the reply
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert await state(db, msg.id) == ("pending", "pending", 0, None)
    restarted = HeldChannel()
    restarted.release.set()
    assert await OutboxDispatcher(db, {"webchat": restarted}, OutboxSettings()).run_once() == 1
    assert restarted.delivered == [msg.id]
    assert await state(db, msg.id) == ("sent", "sent", 1, None)
