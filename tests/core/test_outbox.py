"""The outbox delivers every stored reply at least once, retries, and records failures."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.config import OutboxSettings
from core.conversations import add_reply, record_inbound
from core.db import Database
from core.domain import InboundMessage, OutboundDelivery
from core.errors import DeliveryError, PermanentDeliveryError
from core.models import Message, OutboxItem, utcnow
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
    from core.outbox import claim_messages

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
    from core.outbox import claim

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
