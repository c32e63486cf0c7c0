"""Search (issue 15): Chinese words inside sentences, on SQLite and PostgreSQL, and the
console's ``GET /api/agent/search``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import true

from core.conversations import record_inbound
from core.db import Database
from core.domain import InboundMessage
from handoff.search_index import MessageIndex, query_terms, terms
from tests.handoff.test_desk import escalate
from tests.helpers import AGENT_HEADERS, Visitor, login

H = AGENT_HEADERS


def said(source_id: str, text: str, who: str) -> InboundMessage:
    return InboundMessage(
        channel="webchat", inbox="web", external_id=who, source_id=source_id, text=text
    )


def test_terms_cut_chinese_into_pairs_and_keep_words_whole() -> None:
    assert terms("我想申请退货") == ["我想", "想申", "申请", "请退", "退货", "货"]
    assert terms("订单ＡＢ１２３，iPhone 15") == ["订单", "单", "ab123", "iphone", "15"]
    assert query_terms("退货") == [("退货", False)]
    assert query_terms("退") == [("退", True)]
    assert query_terms("KFR 35") == [("kfr", True), ("35", True)]


async def test_a_word_inside_a_chinese_sentence_is_found(db: Database) -> None:
    """On both databases: 退货 in 我想申请退货, never the message without it."""
    async with db.transaction() as s:
        await record_inbound(s, said("a1", "我想申请退货，订单 20261203", "alice"))
        await record_inbound(s, said("b1", "请问什么时候发货", "bob"))
        await record_inbound(s, said("c1", "申请了但是退回来的货坏了", "carol"))  # pairs apart
        await record_inbound(s, said("d1", "The KFR-35 makes noise", "dave"))
    index = MessageIndex(db)
    assert await index.catch_up() == 4
    assert await index.catch_up() == 0  # indexed once

    async def found(query: str) -> list[str]:
        async with db.reader() as s:
            return [m.text or "" for m in await index.candidates(s, query, [true()], 50)]

    assert await found("退货") == ["我想申请退货，订单 20261203"]
    assert await found("发货") == ["请问什么时候发货"]
    assert await found("2026") == ["我想申请退货，订单 20261203"]  # number prefix
    assert await found("kfr") == ["The KFR-35 makes noise"]
    assert set(await found("货")) == {
        "我想申请退货，订单 20261203",
        "请问什么时候发货",
        "申请了但是退回来的货坏了",
    }
    assert await found("换货") == []


class ReadTogether:
    """The database as two indexers see it when both read before either writes: each
    write transaction waits until both have read."""

    def __init__(self, db: Database) -> None:
        self.db, self.engine, self.reads, self.both = db, db.engine, 0, asyncio.Event()

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[Any]:
        async with self.db.reader() as session:
            yield session
        self.reads += 1
        if self.reads >= 2:
            self.both.set()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        await asyncio.wait_for(self.both.wait(), 10)
        async with self.db.transaction() as session:
            yield session


async def test_two_workers_indexing_at_once_index_each_message_once(db: Database) -> None:
    """Rows are read and cut outside the write lock; under it only the missing ones are
    written, so two workers' indexers (or a search's catch-up beside the worker) that read the
    same rows never write a row twice (SQLite's rowid would refuse it) nor skip one."""
    async with db.transaction() as s:
        for i in range(30):
            await record_inbound(s, said(f"m{i}", f"第{i}条消息：洗衣机不脱水", f"who{i}"))
    together = cast(Database, ReadTogether(db))
    first, second = MessageIndex(together), MessageIndex(together)
    done = await asyncio.gather(first.catch_up(), second.catch_up())
    assert 30 in done  # one wrote them all (on PostgreSQL both may have, ON CONFLICT keeps one)
    index = MessageIndex(db)
    assert await index.catch_up() == 0
    async with db.reader() as s:
        rows = await s.execute(sa.text("SELECT count(*) FROM message_search"))
        assert rows.scalar() == 30
        hits = await index.candidates(s, "脱水", [true()], 100)
    assert len(hits) == 30 and len({h.id for h in hits}) == 30


async def test_the_console_search_finds_conversations_and_tickets(client: Any) -> None:
    await login(client)
    await client.post("/api/agent/status", json={"status": "away"}, headers=H)
    v = await escalate(client, "我想申请退货，东西坏了")
    other = await Visitor(client).start()
    await other.reply_to("你们几点上班")
    # The first conversation is resolved: it stays findable.
    await client.post(f"/api/agent/conversations/{v.conversation_id}/resolve", json={}, headers=H)

    body = await (await client.get("/api/agent/search", params={"q": "退货"})).json()
    [conv] = [c for c in body["conversations"] if c["id"] == v.conversation_id]
    assert conv["owner"] == "resolved" and conv["matched"] == "message"
    snip = conv["snippet"]
    assert snip["text"][snip["start"] : snip["end"]] == "退货"
    assert snip["seq"] >= 1 and snip["sender"] in ("customer", "bot")  # the newest hit
    assert other.conversation_id not in [c["id"] for c in body["conversations"]]
    [ticket] = body["tickets"]
    assert ticket["conversation_id"] == v.conversation_id and "退货" in ticket["snippet"]["text"]

    by_number = await (
        await client.get("/api/agent/search", params={"q": f"#{ticket['number']}"})
    ).json()
    assert [t["number"] for t in by_number["tickets"]] == [ticket["number"]]

    # Filters narrow the same search.
    resolved = await client.get("/api/agent/search", params={"q": "退货", "owner": "resolved"})
    assert [c["id"] for c in (await resolved.json())["conversations"]] == [v.conversation_id]
    on_bot = await client.get("/api/agent/search", params={"q": "退货", "owner": "bot"})
    assert v.conversation_id not in [c["id"] for c in (await on_bot.json())["conversations"]]
    future = await client.get("/api/agent/search", params={"q": "退货", "since": "2999-01-01"})
    assert (await future.json())["conversations"] == []
    bad = await client.get("/api/agent/search", params={"q": "退货", "since": "yesterday"})
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_date"

    # The customer of the resolved conversation writes again: it is found by the old words
    # and by the new ones, one conversation.
    await v.reply_to("还有，换货要等几天")
    for word in ("退货", "换货"):
        again = await (await client.get("/api/agent/search", params={"q": word})).json()
        assert [c["id"] for c in again["conversations"]].count(v.conversation_id) == 1

    empty = await client.get("/api/agent/search", params={"q": "  "})
    assert empty.status == 400 and (await empty.json())["error"]["code"] == "bad_query"
    await client.post("/api/agent/logout", json={}, headers=H)
    assert (await client.get("/api/agent/search", params={"q": "退货"})).status == 401


async def test_system_lines_are_not_found_and_conditions_narrow(db: Database) -> None:
    """A system line ("小李 已接入") is indexed with no terms; conditions on Conversation
    narrow the index's hits before the messages are read, on both databases."""
    from core.conversations import add_reply
    from core.models import Conversation

    async with db.transaction() as s:
        first = await record_inbound(s, said("a1", "小李你好，我想退货", "alice"))
        await add_reply(s, first.conversation, sender="system", text="人工客服 小李 已接入")
        second = await record_inbound(s, said("b1", "小李在吗", "bob"))
        conv_a, conv_b = first.conversation.id, second.conversation.id
    index = MessageIndex(db)
    assert await index.catch_up() == 3

    async def found(query: str, *where: Any) -> list[tuple[int, str | None]]:
        async with db.reader() as s:
            hits = await index.candidates(s, query, [true(), *where], 50)
            return [(h.conversation_id, h.text) for h in hits]

    assert await found("已接入") == []
    assert await found("小李") == [(conv_b, "小李在吗"), (conv_a, "小李你好，我想退货")]
    assert await found("小李", Conversation.id == conv_a) == [(conv_a, "小李你好，我想退货")]
    assert await found("退货", Conversation.id == conv_b) == []
