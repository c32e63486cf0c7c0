"""The hot-path store: on SQLite the group writer (jobs waiting together commit together, each
in its own savepoint), on PostgreSQL the same statements in Core; on both the owner, customer
and answered checks hold and what it writes reads back through the ORM like the general path's
rows."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.conversations import identity_for, inbox_id, start_conversation
from core.db import Database
from core.message_meta import MessageMeta
from core.models import Conversation, Message, OutboxItem, utcnow
from core.store import AlreadyAnswered, HotStore, NotBot


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    target = tmp_path / "kefu.db"
    shutil.copy(sqlite_template, target)
    database = Database(f"sqlite+aiosqlite:///{target}")
    yield database
    await database.dispose()


async def visitors(db: Database, n: int) -> list[tuple[str, int]]:
    """``n`` web chat visitors, each with a bot-held conversation: (visitor, conversation)."""
    out = []
    async with db.transaction() as s:
        ibx = await inbox_id(s, "web", "webchat")
        for i in range(n):
            ident = await identity_for(s, "webchat", ibx, f"v{i}")
            conv = await start_conversation(s, ident)
            out.append((f"v{i}", conv.id))
    return out


async def say(store: HotStore, visitor: str, conv: int, source: str, text: str = "你好") -> object:
    return await store.record_customer_text(
        conv,
        channel="webchat",
        inbox="web",
        external_id=visitor,
        source_id=source,
        text=text,
        now=utcnow(),
    )


async def test_concurrent_writes_share_commits_and_a_resend_fails_alone(
    sqlite_db: Database,
) -> None:
    store = HotStore(sqlite_db)
    assert store.writer is not None
    people = await visitors(sqlite_db, 40)
    first = await asyncio.gather(*(say(store, v, c, f"{v}:1") for v, c in people))
    assert all(r is not None for r in first)
    batches_before = store.writer.batches
    # The same 40 again, plus a resend of v0's first message among them: the resend is
    # refused (None: the caller's general path reports the duplicate), the rest are stored.
    again = await asyncio.gather(
        say(store, people[0][0], people[0][1], "v0:1"),
        *(say(store, v, c, f"{v}:2") for v, c in people),
    )
    assert again[0] is None and all(r is not None for r in again[1:])
    assert store.writer.batches - batches_before < 41  # group commit: fewer commits than jobs
    async with sqlite_db.reader() as s:
        rows = (await s.execute(select(Message).order_by(Message.id))).scalars().all()
        convs = {c.id: c for c in (await s.execute(select(Conversation))).scalars()}
    assert len(rows) == 80
    for msg in rows:  # read back through the ORM like the general path's rows
        assert msg.direction == "in" and msg.sender == "customer" and not msg.answered
        assert msg.created_at.tzinfo is not None and msg.meta == {} and msg.attachments == []
    assert {c.last_seq for c in convs.values()} == {2}
    assert all(c.first_customer_message_at is not None for c in convs.values())
    await store.close()


async def test_someone_elses_conversation_or_another_owner_is_left_to_the_general_path(
    db: Database,
) -> None:
    sqlite_db = db  # SQLite (group writer) and PostgreSQL (Core statements)
    store = HotStore(sqlite_db)
    (a, conv_a), (b, _conv_b) = await visitors(sqlite_db, 2)
    assert await say(store, b, conv_a, "b:1") is None  # not b's conversation
    async with sqlite_db.transaction() as s:
        await s.execute(update(Conversation).where(Conversation.id == conv_a).values(owner="agent"))
    assert await say(store, a, conv_a, "a:1") is None  # a person holds it
    async with sqlite_db.reader() as s:
        assert (await s.execute(select(Message))).first() is None
    await store.close()


async def test_replies_commit_once_and_only_while_the_bot_holds_the_conversation(
    db: Database,
) -> None:
    sqlite_db = db  # SQLite (group writer) and PostgreSQL (Core statements)
    store = HotStore(sqlite_db)
    (v, conv), (w, conv_w) = await visitors(sqlite_db, 2)
    asked = await say(store, v, conv, "v:1")
    assert asked is not None
    replies: list[tuple[str, MessageMeta]] = [
        ("答案", {"entry_id": "e1"}),
        ("还有别的问题吗？", {}),
    ]
    stored = await store.add_bot_replies(
        conv, 1, replies, {"misses": 0}, "zh", live_channels=frozenset(), now=utcnow()
    )
    assert [r.seq for r in stored] == [2, 3]
    with pytest.raises(AlreadyAnswered):  # a second turn for the same question writes nothing
        await store.add_bot_replies(
            conv, 1, replies, {"misses": 9}, "zh", live_channels=frozenset(), now=utcnow()
        )
    # A person took the other conversation while the bot was thinking: nothing is written.
    assert await say(store, w, conv_w, "w:1") is not None
    async with sqlite_db.transaction() as s:
        await s.execute(update(Conversation).where(Conversation.id == conv_w).values(owner="agent"))
    with pytest.raises(NotBot):
        await store.add_bot_replies(
            conv_w, 1, replies, {}, "zh", live_channels=frozenset(), now=utcnow()
        )
    async with sqlite_db.reader() as s:
        c = await s.get(Conversation, conv)
        msgs = (
            (await s.execute(select(Message).where(Message.conversation_id == conv)))
            .scalars()
            .all()
        )
        outbox = (await s.execute(select(OutboxItem))).scalars().all()
        others = (
            (await s.execute(select(Message).where(Message.conversation_id == conv_w)))
            .scalars()
            .all()
        )
    assert c is not None and c.last_seq == 3 and c.bot_state == {"misses": 0}
    assert [(m.seq, m.sender, m.answered) for m in msgs] == [
        (1, "customer", True),
        (2, "bot", False),
        (3, "bot", False),
    ]
    assert msgs[1].meta == {"entry_id": "e1"} and msgs[1].delivery == "pending"
    assert sorted(o.message_id for o in outbox) == [msgs[1].id, msgs[2].id]
    assert [m.sender for m in others] == ["customer"]
    await store.close()


async def test_live_socket_replies_are_stored_as_sent_without_outbox_rows(
    db: Database,
) -> None:
    sqlite_db = db  # SQLite (group writer) and PostgreSQL (Core statements)
    store = HotStore(sqlite_db)
    ((v, conv),) = await visitors(sqlite_db, 1)
    await say(store, v, conv, "v:1")
    stored = await store.add_bot_replies(
        conv, 1, [("hi", {})], {}, "en", live_channels=frozenset({"webchat"}), now=utcnow()
    )
    async with sqlite_db.reader() as s:
        msg = await s.get(Message, stored[0].message_id)
        assert msg is not None and msg.delivery == "sent"
        assert (await s.execute(select(OutboxItem))).first() is None
    await store.close()


def test_no_writer_on_postgresql_or_in_memory() -> None:
    memory = HotStore(Database("sqlite+aiosqlite:///:memory:"))
    assert memory.writer is None and not memory.enabled  # the general path, always
    pg = HotStore(Database("postgresql+asyncpg://u@127.0.0.1/x"))
    assert pg.writer is None and pg.enabled  # Core statements in ordinary transactions


async def test_a_new_visitor_reads_back_like_the_core_path(db: Database) -> None:
    """The group writer's new visitor and the Core statements' one are the same rows."""
    from core.channel_store import open_conversation
    from core.models import Contact, ContactIdentity

    store = HotStore(db)
    fast = await store.open_conversation("webchat", "web", "fast-visitor", "zh", utcnow())
    assert (fast is None) == (store.writer is None)  # PostgreSQL: no writer, the Core path
    if fast is None:
        fast = await open_conversation(db, "webchat", "web", "fast-visitor", language="zh")
    core = await open_conversation(db, "webchat", "web", "core-visitor", language="zh")
    ignore = {"id", "contact_id", "identity_id", "external_id", "created_at", "updated_at"}

    def plain(row: object) -> dict[str, object]:
        table = type(row).__table__  # type: ignore[attr-defined]
        return {c.name: getattr(row, c.name) for c in table.c if c.name not in ignore}

    async with db.reader() as s:
        a, b = await s.get(Conversation, fast), await s.get(Conversation, core)
        assert a is not None and b is not None
        assert plain(a) | {"last_activity_at": None} == plain(b) | {"last_activity_at": None}
        assert a.owner == "bot" and a.language == "zh" and a.bot_state == {}
        assert a.last_activity_at.tzinfo is not None  # stored as SQLAlchemy stores it
        ia, ib = (
            await s.get(ContactIdentity, a.identity_id),
            await s.get(ContactIdentity, b.identity_id),
        )
        assert ia is not None and ib is not None and ia.external_id == "fast-visitor"
        assert plain(ia) == plain(ib)
        ca, cb = await s.get(Contact, a.contact_id), await s.get(Contact, b.contact_id)
        assert ca is not None and cb is not None and plain(ca) == plain(cb)
    await store.close()


def test_hot_path_inserts_name_every_required_column() -> None:
    """A NOT NULL column without a database default, added to a model later, must be
    written by the hot path's raw INSERTs too (or get a server default)."""
    from core.schema import metadata
    from core.store import INSERTS

    for table_name, sql in INSERTS.items():
        table = metadata.tables[table_name]
        named = sql.split("VALUES")[0]
        for c in table.c:
            if c.primary_key or c.nullable or c.server_default is not None:
                continue
            assert f"{c.name}," in named or f"{c.name})" in named, (table_name, c.name)


async def test_a_sockets_conversation_check_reads_like_the_general_path(db: Database) -> None:
    """The reader thread's check at socket connect gives the ORM reader's answer: the last
    seq for the visitor's own conversation (a commit just made included), else none."""
    from core.channel_store import users_conversation

    store = HotStore(db)
    (a, conv_a), (b, conv_b) = await visitors(db, 2)
    await say(store, a, conv_a, "a:1")
    asks = [
        ("webchat", a, conv_a),  # a's own, one message in: 1
        ("webchat", b, conv_a),  # someone else's
        ("webchat", b, conv_b),  # b's own, empty: 0
        ("email", a, conv_a),  # the same id on another channel
        ("webchat", a, conv_b + 100),  # gone
    ]
    general = [await users_conversation(db, *ask) for ask in asks]
    assert general == [1, None, 0, None, None]
    hot = [await store.users_conversation(*ask) for ask in asks]
    if store.writer is None:  # PostgreSQL: the caller reads it the general way
        assert hot == [None] * len(asks)
    else:
        assert [h[0] for h in hot if h is not None] == general and None not in hot
    await store.close()
