"""Storage on SQLite and PostgreSQL: exactly-once inbound, ordering, outbox rows, counters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.conversations import (
    add_reply,
    identity_for,
    inbox_id,
    messages_after,
    record_inbound,
    start_conversation,
)
from core.db import Database, next_counter, read_counter
from core.domain import InboundMessage
from core.errors import NotFound
from core.models import ContactIdentity, Conversation, Message, OutboxItem


def inbound(
    source_id: str, text: str = "你好", external_id: str = "openid-1", **kw: object
) -> InboundMessage:
    return InboundMessage(
        channel="webchat",
        inbox="web",
        external_id=external_id,
        source_id=source_id,
        text=text,
        **kw,  # type: ignore[arg-type]
    )


async def count(db: Database, model: type) -> int:
    async with db.reader() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar() or 0)


async def test_inbound_is_recorded_once_in_one_conversation(db: Database) -> None:
    async with db.transaction() as s:
        first = await record_inbound(s, inbound("m1", "怎么申请退货"))
    async with db.transaction() as s:
        again = await record_inbound(s, inbound("m1", "怎么申请退货"))
    async with db.transaction() as s:
        second = await record_inbound(s, inbound("m2", "还有一个问题"))
    assert not first.duplicate and again.duplicate and not second.duplicate
    assert again.message.id == first.message.id
    assert second.conversation.id == first.conversation.id  # one conversation per customer
    assert [first.message.seq, second.message.seq] == [1, 2]
    assert await count(db, Message) == 2
    assert await count(db, Conversation) == 1
    assert first.conversation.first_customer_message_at is not None


async def test_same_source_id_in_another_inbox_is_a_different_message(db: Database) -> None:
    async with db.transaction() as s:
        a = await record_inbound(s, inbound("m1"))
        b = await record_inbound(
            s,
            InboundMessage(
                channel="webchat", inbox="web-2", external_id="openid-1", source_id="m1", text="hi"
            ),
        )
    assert not b.duplicate and a.message.id != b.message.id
    assert a.conversation.id != b.conversation.id


async def test_unique_source_id_is_enforced_by_the_database(db: Database) -> None:
    async with db.transaction() as s:
        rec = await record_inbound(s, inbound("m1"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            s.add(
                Message(
                    conversation_id=rec.conversation.id,
                    inbox_id=rec.message.inbox_id,
                    seq=99,
                    direction="in",
                    sender="customer",
                    text="x",
                    source_id="m1",
                    meta={},
                )
            )
    assert await count(db, Message) == 1  # nothing half-written


async def test_unique_identity_per_channel_inbox_external_id(db: Database) -> None:
    async with db.transaction() as s:
        ibx = await inbox_id(s, "web", "webchat")
        ident = await identity_for(s, "webchat", ibx, "visitor-1")
        same = await identity_for(s, "webchat", ibx, "visitor-1")
        assert same.id == ident.id
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            s.add(
                ContactIdentity(
                    contact_id=ident.contact_id,
                    channel="webchat",
                    inbox_id=ibx,
                    external_id="visitor-1",
                )
            )


async def test_concurrent_deliveries_of_one_message_store_it_once(db: Database) -> None:
    async def deliver() -> bool:
        for _ in range(3):
            try:
                async with db.transaction() as s:
                    return (await record_inbound(s, inbound("dup-1"))).duplicate
            except IntegrityError:
                continue  # lost the race: the next pass sees the stored message
        raise AssertionError("never stored")

    results = await asyncio.gather(*(deliver() for _ in range(8)))
    assert results.count(False) == 1
    assert await count(db, Message) == 1


async def test_seq_is_gapless_under_concurrent_writers(db: Database) -> None:
    async with db.transaction() as s:
        conv = (await record_inbound(s, inbound("first"))).conversation

    async def reply(i: int) -> int:
        async with db.transaction() as s:
            c = await s.get(Conversation, conv.id)
            assert c is not None
            return (await add_reply(s, c, sender="bot", text=f"reply {i}")).seq

    seqs = await asyncio.gather(*(reply(i) for i in range(10)))
    assert sorted(seqs) == list(range(2, 12))


async def test_replies_get_outbox_rows_private_notes_do_not(db: Database) -> None:
    async with db.transaction() as s:
        conv = (await record_inbound(s, inbound("m1"))).conversation
        bot = await add_reply(s, conv, sender="bot", text="answer")
        note = await add_reply(s, conv, sender="agent", text="internal", private=True)
    assert bot.delivery == "pending" and note.delivery == "received"
    async with db.reader() as s:
        rows = list((await s.execute(select(OutboxItem))).scalars())
        public = await messages_after(s, conv.id, 0)
        everything = await messages_after(s, conv.id, 0, include_private=True)
    assert [r.message_id for r in rows] == [bot.id]
    assert [m.text for m in public] == ["你好", "answer"]
    assert [m.text for m in everything] == ["你好", "answer", "internal"]


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            conv = (await record_inbound(s, inbound("m1"))).conversation
            await add_reply(s, conv, sender="bot", text="answer")
            raise RuntimeError("crash mid-turn")
    assert await count(db, Message) == 0
    assert await count(db, OutboxItem) == 0


async def test_conversation_id_must_belong_to_the_identity(db: Database) -> None:
    async with db.transaction() as s:
        ibx = await inbox_id(s, "web", "webchat")
        other = await start_conversation(s, await identity_for(s, "webchat", ibx, "someone"))
    with pytest.raises(NotFound):
        async with db.transaction() as s:
            await record_inbound(s, inbound("m1", conversation_id=other.id))
    assert await count(db, Message) == 0


async def test_counters_and_utc_timestamps(db: Database) -> None:
    async with db.transaction() as s:
        numbers = [await next_counter(s, "ticket_number", start=1001) for _ in range(3)]
    assert numbers == [1001, 1002, 1003]
    async with db.reader() as s:
        assert await read_counter(s, "ticket_number") == 1003
        assert await read_counter(s, "never") == 0
    when = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
    async with db.transaction() as s:
        rec = await record_inbound(s, inbound("m1", received_at=when))
    async with db.reader() as s:
        stored = await s.get(Message, rec.message.id)
    assert stored is not None and stored.created_at == when and stored.created_at.tzinfo


async def test_first_use_of_an_inbox_is_safe_when_raced(db: Database) -> None:
    async def first_visitor() -> int:
        async with db.transaction() as s:
            return await inbox_id(s, "raced-inbox", "webchat")

    ids = await asyncio.gather(*(first_visitor() for _ in range(4)))
    assert len(set(ids)) == 1  # one inbox, and nobody got an error


async def test_a_connection_stopped_while_it_closes_does_not_hang(tmp_path: Path) -> None:
    """Regression (the rare hang at shutdown): SQLAlchemy invalidates a connection whose task
    was cancelled mid-statement by starting a graceful close, then, cancelled, stopping the
    connection's thread; the close, cancelled in turn, must end instead of waiting forever."""
    from core.db import Database, _connect_aiosqlite

    conn = await _connect_aiosqlite(str(tmp_path / "x.db"))
    closing = asyncio.create_task(conn.close())
    await asyncio.sleep(0)  # the close waits for the thread
    conn.stop()  # SQLAlchemy's forced close
    closing.cancel()
    done, _ = await asyncio.wait({closing}, timeout=10)
    assert closing in done  # stock aiosqlite leaves this task pending forever

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")  # the engine uses it
    async with db.engine.connect() as c:
        raw = await c.get_raw_connection()
        assert type(raw.driver_connection).__name__ == "_AiosqliteConnection"
    await db.dispose()
