"""``python -m bench kb``: knowledge base ingest and search at 10k and 100k entries.

For each size in ``--entries`` (default ``10000,100000``): a temporary SQLite KB of synthetic
bilingual entries (three texts each), ingested through ``KnowledgeBase.ingest`` (vectors
cached in ``~/.cache/kefu/vectors``: a first run embeds, later runs reuse; ``texts_embedded``
says which), then ``--queries`` unseen paraphrases searched end to end, twice: cold (the
query is embedded) and warm (its vector comes from the query cache). Reports entries/s,
search p50/p99, RSS, which faiss index the size got, and recall@1 of that index against an
exact search over the same vectors.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import Report, latency_summary, parser, peak_rss_mb, rss_mb
from bench.corpus import synthetic


def main(argv: list[str]) -> int:
    """Run the KB bench with ``argv`` options."""
    p = parser("kb", __doc__.splitlines()[0])
    p.add_argument("--entries", default="10000,100000", help="sizes, comma separated")
    p.add_argument("--queries", type=int, default=500, help="searches per size (500)")
    p.add_argument("--clients", type=int, default=1, help="(ignored: searches run one by one)")
    p.add_argument("--duration", type=float, default=None, help="(ignored)")
    args = p.parse_args(argv)
    report = Report("kb", args, argv)
    sizes = [int(s) for s in str(args.entries).split(",") if s.strip()]
    runs = [asyncio.run(_one(size, args.queries, report)) for size in sizes]
    result: dict[str, Any] = {"runs": runs}
    # The largest size's numbers are the headline ones.
    for key in ("ingest_entries_per_s", "query_p50_ms", "query_p99_ms", "recall_at_1", "index"):
        result[key] = runs[-1][key]
    result["entries"] = runs[-1]["entries"]
    keys = ["entries", "ingest_entries_per_s", "query_p50_ms", "query_p99_ms", "recall_at_1"]
    report.finish(result, [*keys, "index"])
    return 0


class _Counting:
    """An embedder wrapper that counts the texts really embedded (cache misses)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, 0

    def encode(self, texts: list[str]) -> Any:
        """Embed and count."""
        self.texts += len(texts)
        return self.inner.encode(texts)


async def _one(size: int, queries: int, report: Report) -> dict[str, Any]:
    from core.db import Database
    from core.models import Base, Counter
    from kb.commands import default_cache_dir
    from kb.embedders import make_embedder
    from kb.entries import TABLES
    from kb.service import KnowledgeBase
    from kb.settings import KbSettings
    from kb.vector_cache import CachedEmbedder

    settings = KbSettings()
    counting = _Counting(await asyncio.to_thread(make_embedder, settings))
    embedder = CachedEmbedder(counting, default_cache_dir())
    data = synthetic(size)
    with tempfile.TemporaryDirectory(prefix="kefu-bench-kb-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'kb.db'}")
        async with db.engine.begin() as conn:
            tables = [*TABLES, Counter.__table__]
            await conn.run_sync(Base.metadata.create_all, tables=tables)  # type: ignore[arg-type]
        kb = KnowledgeBase(db, settings, Path(tmp), embedder=embedder)
        await kb.load()  # the empty KB: loads the model, so ingest times ingest only
        rss_before = rss_mb()
        report.line(f"kb {size}: ingesting {size} entries ({3 * size} texts) ...")
        started = time.perf_counter()
        await kb.ingest(data)
        ingest_s = time.perf_counter() - started
        embedded = counting.texts
        await asyncio.to_thread(embedder.save)
        # Searches embed with the model itself, as the live KB does: the disk cache would
        # copy its whole matrix on every new text (it is built for eval corpora).
        kb._embedder = counting
        # A live server's model is loaded at start-up (the index load's warm-up); here that
        # warm-up came from the vector cache, so the model is loaded now, not by query one.
        await asyncio.to_thread(counting.inner.encode, ["warm-up"])
        step = max(1, size // queries)
        picked = list(range(0, size, step))[:queries]
        texts = [f"please help: {data[i].similar[0]} thanks" for i in picked]
        cold: list[float] = []
        warm: list[float] = []
        hits = 0
        for times in (cold, warm):
            for i, q in zip(picked, texts, strict=True):
                t0 = time.perf_counter()
                result = await kb.search(q)
                times.append((time.perf_counter() - t0) * 1000)
                if times is cold and result.hits and result.hits[0].entry_id == f"e{i}":
                    hits += 1
        recall, index_kind = _recall(kb, embedder, texts)
        rss = rss_mb()
        await kb.close()
        await db.dispose()
    del kb
    gc.collect()
    c, w = latency_summary(cold), latency_summary(warm)
    out = {
        "entries": size,
        "texts": 3 * size,
        "texts_embedded": embedded,
        "ingest_s": round(ingest_s, 2),
        "ingest_entries_per_s": round(size / ingest_s, 1),
        "query_p50_ms": c["p50_ms"],
        "query_p99_ms": c["p99_ms"],
        "warm_query_p50_ms": w["p50_ms"],
        "warm_query_p99_ms": w["p99_ms"],
        "top1_paraphrase": round(hits / max(1, len(cold)), 3),
        "index": index_kind,
        "recall_at_1": recall,
        "rss_mb": round(rss, 1),
        "rss_growth_mb": round(rss - rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    report.line(
        f"kb {size}: ingest {out['ingest_s']} s ({out['ingest_entries_per_s']} entries/s, "
        f"{embedded} texts embedded), search p50 {c['p50_ms']} ms p99 {c['p99_ms']} ms "
        f"(warm p99 {w['p99_ms']} ms), {index_kind} recall@1 {recall}, RSS {out['rss_mb']} MB"
    )
    return out


def _recall(kb: Any, embedder: Any, texts: list[str]) -> tuple[float, str]:
    """Share of queries whose top row in the live index is the exact nearest row."""
    snap = kb._snap  # the bench looks inside on purpose: it measures the index itself
    dense = snap.dense
    vectors = embedder.encode(texts)
    matrix = np.asarray(dense.matrix())
    exact = np.argmax(vectors @ matrix.T, axis=1)
    exact_sim = np.max(vectors @ matrix.T, axis=1)
    agree = 0
    for q, vec in enumerate(vectors):
        found = dense.search(vec, 1)
        if not found:
            continue
        sim, _row = max(found.values())
        # A tie (two rows with the same vector) counts as found.
        agree += bool(abs(sim - float(exact_sim[q])) < 1e-5 or _row == int(exact[q]))
    return round(agree / max(1, len(texts)), 4), type(dense.index).__name__
