"""Search latency with 10,000 entries: median and p95 of ``KnowledgeBase.search``.

    .venv/bin/python bench/kb_search.py [--entries 10000] [--queries 500]

Builds a temporary knowledge base (SQLite in a temp dir) of synthetic bilingual FAQ entries,
each with a question and two similar questions, and times searches of unseen paraphrases
end to end (cleaning, embedding with the query cache cold, BM25, faiss, classifier, fusion,
decision). Vectors are cached in ~/.cache/kefu/vectors, so only the first run embeds the
corpus. Prints numbers; asserts nothing (speed is not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import KbSettings
from core.db import Database
from core.models import Base, Counter, KbEntry
from kb.commands import default_cache_dir
from kb.embedders import make_embedder
from kb.service import KnowledgeBase
from kb.types import EntryIn
from kb.vector_cache import CachedEmbedder

PRODUCTS = "washing machine|fridge|dishwasher|air conditioner|water heater|oven|TV|vacuum".split(
    "|"
)
TOPICS = [
    ("How do I return my {p} (order {n})?", "return the {p} from order {n}", "退货 {p} 订单{n}"),
    ("My {p} model X{n} shows error E{n}", "error E{n} on the {p}", "{p} X{n} 显示故障码E{n}"),
    (
        "When will the {p} from order {n} arrive?",
        "delivery time for order {n}",
        "订单{n}什么时候到",
    ),
    ("Is the {p} X{n} still under warranty?", "warranty of {p} X{n}", "{p} X{n} 保修期"),
    ("Book an installer for my {p}, order {n}", "installation for order {n}", "预约安装 订单{n}"),
]


def entries(count: int) -> list[EntryIn]:
    """Synthetic entries: topics x products x numbers, each with two similar questions."""
    out: list[EntryIn] = []
    for i, (topic, product) in zip(
        range(count), itertools.cycle(itertools.product(TOPICS, PRODUCTS))
    ):
        n = 1000 + i
        q, s1, s2 = (t.format(p=product, n=n) for t in topic)
        out.append(EntryIn(id=f"e{i}", question=q, similar=(s1, s2), answer=f"Answer {i}."))
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    settings = KbSettings()
    embedder = CachedEmbedder(make_embedder(settings), default_cache_dir())
    data = entries(args.entries)
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        async with db.engine.begin() as conn:
            await conn.run_sync(
                Base.metadata.create_all,
                tables=[KbEntry.__table__, Counter.__table__],  # type: ignore[list-item]
            )
        kb = KnowledgeBase(db, settings, Path(tmp), embedder=embedder)
        started = time.perf_counter()
        await kb.ingest(data)
        build = time.perf_counter() - started
        embedder.save()
        # Unseen paraphrases: the query cache is cold and the vector cache does not have them.
        step = max(1, args.entries // args.queries)
        queries = [
            f"please help: {data[i].similar[0]} thanks" for i in range(0, args.entries, step)
        ]
        queries = queries[: args.queries]
        cold: list[float] = []
        warm: list[float] = []
        hits = 0
        for times in (cold, warm):  # second pass: query vectors come from the LRU cache
            for i, q in enumerate(queries):
                t0 = time.perf_counter()
                result = await kb.search(q)
                times.append((time.perf_counter() - t0) * 1000)
                if times is cold:
                    hits += bool(result.hits) and result.hits[0].entry_id == f"e{i * step}"
        await kb.close()
        await db.dispose()
    print(f"entries: {args.entries}, texts: {3 * args.entries}, build: {build:.1f} s")
    for name, times in (("cold (embeds the query)", cold), ("warm (query vector cached)", warm)):
        times.sort()
        print(
            f"search {name}, {len(times)} queries: median {statistics.median(times):.2f} ms, "
            f"p95 {times[int(0.95 * (len(times) - 1))]:.2f} ms"
        )
    print(f"top-1 on the paraphrases: {hits / len(cold):.3f}")


if __name__ == "__main__":
    asyncio.run(main())
