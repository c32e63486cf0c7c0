"""A large knowledge base: rare terms (model numbers) still pick the one right entry.

Speed is measured in bench/, not here.
"""

from __future__ import annotations

from pathlib import Path

from core.db import Database
from kb.service import KnowledgeBase
from kb.settings import KbSettings
from kb.types import EntryIn
from tests.kb.conftest import SpyEmbedder

N_ENTRIES = 3_000


async def test_model_number_picks_one_entry_among_many_alike(
    kb_db: Database,
    kb_settings: KbSettings,
    data_dir: Path,
    spy: SpyEmbedder,
    demo_entries: list[EntryIn],
) -> None:
    base = [e for e in demo_entries if e.language == "zh"]
    entries = [
        EntryIn(
            id=f"m{i:05d}",
            question=f"{base[i % len(base)].question}（型号 QH-{i:05d}）",
            answer=f"型号 QH-{i:05d} 的答案",
            category=base[i % len(base)].category,
        )
        for i in range(N_ENTRIES)
    ]
    kb = KnowledgeBase(kb_db, kb_settings, data_dir, embedder=spy)
    await kb.load()
    assert await kb.ingest(entries) == N_ENTRIES

    # a model number picks the one entry among the ~45 that share its question
    i = 19 * len(base)  # base[0] is 怎么申请退货？
    assert base[0].id == "returns-apply-zh"
    result = await kb.search(f"QH-{i:05d} 怎么申请退货")
    assert result.hits[0].entry_id == f"m{i:05d}"
    assert result.hits[0].answer == f"型号 QH-{i:05d} 的答案"

    await kb.close()
