"""``python -m bench search``: the console's search over N messages (default 100,000).

Builds a scratch database (SQLite in a temp dir, or ``--database-url``, which it writes to)
of ``--messages`` customer messages in conversations of 20, their texts real questions from
``../shared/eval`` (Chinese and English interleaved) with order numbers, indexes them with
the same code the server runs (``handoff.search_index``; messages/s), then runs
``--queries`` searches end to end through ``handoff.search.search`` (messages, contacts and
tickets, as ``GET /api/agent/search`` does, minus HTTP): a two-character Chinese word cut
from the middle of a random message, or one of its English words or numbers. Reports the
search p50/p95/p99 and how many conversations a search found on average.
"""

from __future__ import annotations

import asyncio
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Report, latency_summary, parser
from bench.corpus import questions

PER_CONVERSATION = 20
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{3,}")
_WORD = re.compile(r"[A-Za-z]{4,}|\d{4,}")


def main(argv: list[str]) -> int:
    """Run the search bench with ``argv`` options."""
    p = parser("search", __doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=100_000, help="messages to search (100000)")
    p.add_argument("--queries", type=int, default=300, help="searches (300)")
    p.add_argument("--database-url", default="", help="a scratch database (default: SQLite)")
    p.add_argument("--entries", type=int, default=None, help="(ignored)")
    p.add_argument("--clients", type=int, default=None, help="(ignored)")
    p.add_argument("--duration", type=float, default=None, help="(ignored)")
    args = p.parse_args(argv)
    report = Report("search", args, argv)
    with tempfile.TemporaryDirectory(prefix="kefu-bench-search-") as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'search.db'}"
        result = asyncio.run(_run(url, args.messages, args.queries, report))
    keys = ["messages", "index_messages_per_s", "p50_ms", "p95_ms", "p99_ms", "found_avg"]
    report.finish(result, keys)
    return 0


def _texts(count: int) -> list[str]:
    """``count`` distinct customer messages made of real questions and order numbers."""
    pool = questions() or ["我想申请退货，东西坏了", "When will my order arrive?"]
    return [f"{pool[i % len(pool)]} 订单 {2026000000 + i}" for i in range(count)]


async def _fill(db: Any, texts: list[str], report: Report) -> None:
    """One contact and conversation per ``PER_CONVERSATION`` messages, bulk inserted."""
    from sqlalchemy import insert, update

    from core.conversations import record_inbound
    from core.domain import InboundMessage
    from core.models import Conversation, Message, utcnow

    firsts: dict[int, tuple[int, int]] = {}  # conversation index -> (conversation id, inbox)
    async with db.transaction() as session:
        for c in range(0, len(texts), PER_CONVERSATION):
            got = await record_inbound(
                session,
                InboundMessage(
                    channel="webchat",
                    inbox="web",
                    external_id=f"visitor-{c}",
                    source_id=f"m{c}",
                    text=texts[c],
                ),
            )
            firsts[c] = (got.conversation.id, got.message.inbox_id)
    report.line(f"search: {len(firsts)} conversations made; inserting the messages ...")
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for i, text in enumerate(texts):
        c = i - i % PER_CONVERSATION
        if i == c:
            continue
        conv_id, inbox = firsts[c]
        rows.append(
            {
                "conversation_id": conv_id,
                "inbox_id": inbox,
                "seq": i - c + 1,
                "direction": "in",
                "sender": "customer",
                "kind": "text",
                "text": text,
                "attachments": [],
                "private": False,
                "source_id": f"m{i}",
                "delivery": "received",
                "meta": {},
                "created_at": now,
                "answered": True,
            }
        )
    for start in range(0, len(rows), 5000):
        async with db.transaction() as session:
            await session.execute(insert(Message), rows[start : start + 5000])
    async with db.transaction() as session:
        for c, (conv_id, _inbox) in firsts.items():
            last = min(PER_CONVERSATION, len(texts) - c)
            await session.execute(
                update(Conversation).where(Conversation.id == conv_id).values(last_seq=last)
            )


def _query(rng: random.Random, texts: list[str]) -> str:
    """A word from the middle of a random message: Chinese (two characters) or a word."""
    text = texts[rng.randrange(len(texts))]
    runs = _CJK_RUN.findall(text)
    if runs and rng.random() < 0.7:
        run = rng.choice(runs)
        at = rng.randrange(1, len(run) - 1)
        return str(run[at : at + 2])
    words = _WORD.findall(text)
    return rng.choice(words) if words else text[:2]


async def _run(url: str, count: int, queries: int, report: Report) -> dict[str, Any]:
    from core.db import Database, upgrade_sync
    from core.models import Agent
    from handoff.search import search
    from handoff.search_index import MessageIndex

    await asyncio.to_thread(upgrade_sync, url)
    db = Database(url)
    texts = _texts(count)
    report.line(f"search: building {count} messages ...")
    await _fill(db, texts, report)
    index = MessageIndex(db)
    started = time.perf_counter()
    while await index.catch_up(5000):
        pass
    index_s = time.perf_counter() - started
    report.line(f"search: indexed {count} messages in {index_s:.1f} s; searching ...")
    supervisor = Agent(id=0, name="bench", email="bench@kefu.local", role="admin")
    rng = random.Random(15)
    asked = [_query(rng, texts) for _ in range(queries)]
    for q in asked[:5]:  # warm-up: statement compilation and caches, not measured
        async with db.reader() as session:
            await search(session, index, supervisor, q, 20)
    times: list[float] = []
    found = 0
    for q in asked:
        t0 = time.perf_counter()
        async with db.reader() as session:
            body = await search(session, index, supervisor, q, 20)
        times.append((time.perf_counter() - t0) * 1000)
        found += len(body["conversations"])
    await db.dispose()
    lat = latency_summary(times)
    report.line(f"search: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms")
    return {
        "messages": count,
        "queries": queries,
        "index_s": round(index_s, 2),
        "index_messages_per_s": round(count / max(index_s, 1e-9), 1),
        **lat,
        "found_avg": round(found / max(1, queries), 2),
        "database": url.split(":", 1)[0],
    }
