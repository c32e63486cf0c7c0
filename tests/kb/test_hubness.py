"""Hubness correction (kb/hubness.py): a generic question no longer wins by closeness to all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from core.db import Database
from kb import hubness
from kb.service import KnowledgeBase
from kb.settings import KbSettings
from kb.types import EntryIn

DIM = 16
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()


def _unit(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    return (v / np.linalg.norm(v)).astype(np.float32)


def _axis(i: int) -> npt.NDArray[np.float64]:
    e = np.zeros(DIM)
    e[i] = 1.0
    return e


class TableEmbedder:
    """Vectors from a table (anything else: the last axis), to build a known geometry."""

    name = "table"
    dim = DIM

    def __init__(self, table: dict[str, npt.NDArray[np.float32]]) -> None:
        self.table = table

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """The table's vector of each text."""
        other = _unit(_axis(DIM - 1))
        return np.stack([self.table.get(t, other) for t in texts]).astype(np.float32)


def _geometry() -> dict[str, npt.NDArray[np.float32]]:
    # "hub" is the domain's generic question: every topic question is 0.75 from it and
    # 0.56 from each other. The customer's question is nearer the hub (.95) than the topic it
    # is about (.92): plain nearest neighbour answers the generic question.
    table = {"hub question": _unit(_axis(0))}
    for i, word in enumerate(WORDS, start=1):
        table[f"{word} topic"] = _unit(0.75 * _axis(0) + 0.66 * _axis(i))
    table["zulu yankee"] = _unit(0.95 * _axis(0) + 0.31 * _axis(1))
    return table


def test_offsets_discount_the_row_close_to_everything() -> None:
    table = _geometry()
    texts = ["hub question", *(f"{w} topic" for w in WORDS)]
    vectors = np.stack([table[t] for t in texts])
    off = hubness.offsets(vectors, np.arange(len(texts), dtype=np.int32))
    assert off is not None
    assert int(np.argmax(off)) == 0 and off[0] > 0.05
    assert abs(float(off.mean())) < 1e-6  # the scores' average level is kept
    assert hubness.offsets(vectors[:5], np.arange(5, dtype=np.int32)) is None  # too few rows


def test_rows_of_the_same_entry_are_not_its_neighbourhood() -> None:
    table = _geometry()
    texts = ["hub question", *(f"{w} topic" for w in WORDS)]
    vectors = np.stack([table[t] for t in texts])
    # The hub's twin (same vector) inside the hub's entry does not make it more of a hub;
    # in an entry of its own, it does.
    twin = np.vstack([vectors, vectors[:1]])
    own = np.r_[np.arange(len(texts)), 0].astype(np.int32)
    apart = np.arange(len(texts) + 1, dtype=np.int32)
    r_own = hubness.offsets(twin, own)
    r_apart = hubness.offsets(twin, apart)
    assert r_own is not None and r_apart is not None
    assert r_apart[0] - r_apart.mean() > r_own[0] - r_own.mean()


@pytest.mark.parametrize("with_examples", [False, True])
async def test_one_question_entries_are_ranked_with_the_correction(
    kb_db: Database, tmp_path: Path, with_examples: bool
) -> None:
    table = _geometry()
    entries = [EntryIn(id="hub", question="hub question", answer="a")]
    entries += [EntryIn(id=w, question=f"{w} topic", answer="a") for w in WORDS]
    if with_examples:  # entries with similar questions: the classifier's job, no correction
        entries = [
            EntryIn(id=e.id, question=e.question, similar=(f"{e.question} again",), answer="a")
            for e in entries
        ]
        for e in list(table):
            table[f"{e} again"] = table[e]
    kb = KnowledgeBase(kb_db, KbSettings(), tmp_path / "data", embedder=TableEmbedder(table))
    try:
        await kb.ingest(entries)
        result = await kb.search("zulu yankee")
        snap = kb._snap
        assert snap is not None
        if with_examples:
            assert snap.hub is None and snap.classifier is not None
            assert snap.centroids is not None
        else:
            assert snap.hub is not None and snap.centroids is None
            assert result.hits[0].entry_id == "alpha"
            assert result.hits[0].dense == pytest.approx(0.917, abs=0.01)  # the raw cosine
            assert result.hits[1].entry_id == "hub"
    finally:
        await kb.close()
