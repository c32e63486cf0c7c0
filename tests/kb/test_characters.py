"""Character evidence for Chinese one-question KBs (kb/characters.py) and the classifier's
in-scope gate (kb/classifier.py ``in_scope``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from kb import classifier as intent
from kb.ranking import dense_many, rank
from kb.scoring import Weights, fuse
from kb.settings import KbSettings
from kb.snapshot import build_snapshot
from kb.text import character_tokens

DIM = 8


class SameEmbedder:
    """Every text gets the same vector: only lexical evidence can tell entries apart."""

    name = "same"
    dim = DIM

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """One unit vector per text."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        out[:, 0] = 1.0
        return out


def _row(entry_id: str, question: str, similar: list[str] | None = None) -> tuple[object, ...]:
    return (entry_id, None, "zh", "", question, similar or [], "answer")


def test_character_tokens_are_single_ideographs_without_stopwords() -> None:
    assert character_tokens("花呗的还款日") == ["花", "呗", "款", "日"]  # 的, 还: stopwords
    assert character_tokens("ＴＧ１００ 漏水了") == ["tg100", "漏", "水"]
    assert character_tokens("refund my order") == []  # no ideographs: nothing to add


def test_shared_characters_decide_when_words_tie(tmp_path: Path) -> None:
    # 运费 ("shipping fee") shares no word and no bigram with either entry; the second one
    # says 运输费用 ("cost of shipping"): two of its characters, where the first has one.
    rows = [_row("time", "运输时间长吗"), _row("fee", "运输费用怎么算")]
    snap = build_snapshot(tmp_path, SameEmbedder(), 1, rows, None, False, False, KbSettings())
    assert snap.chars is not None and snap.classifier is None
    query = "运费多少"
    vector = SameEmbedder().encode([query])[0]
    (found,) = dense_many([(snap, query, vector, 2)], [vector])
    ranked = rank(snap, query, vector, found, KbSettings())
    assert snap.entries[ranked[0].pos].id == "fee"
    assert ranked[0].lexical > ranked[1].lexical


def test_no_character_index_where_entries_have_examples(tmp_path: Path) -> None:
    rows = [_row("a", "花呗借款", ["怎么借花呗"]), _row("b", "花呗还款", ["花呗怎么还"])]
    snap = build_snapshot(tmp_path, SameEmbedder(), 1, rows, None, False, False, KbSettings())
    assert snap.chars is None  # the classifier learns paraphrases from the examples


def _clusters() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
    rng = np.random.default_rng(7)
    x = np.zeros((60, DIM), dtype=np.float64)
    x[:30, 0], x[30:, 1] = 1.0, 1.0
    x[:, 2:4] += rng.normal(0.0, 0.1, (60, 2))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.r_[np.zeros(30), np.ones(30)].astype(np.int32)


def test_in_scope_gate_is_low_only_for_questions_unlike_every_entry() -> None:
    x, labels = _clusters()
    clf = intent.train(x, labels, 2)
    assert clf.spread > 0.0
    near = x[0]
    far = np.zeros(DIM, dtype=np.float32)
    far[5] = 1.0  # orthogonal to both entries' examples
    p_near, gate_near = clf.read(near)
    p_far, gate_far = clf.read(far)
    assert p_near.shape == (2,) and float(gate_near) == pytest.approx(1.0)
    assert float(gate_far) < 0.5 and float(p_far.sum()) == pytest.approx(1.0)
    both = clf.read(np.stack([near, far]))[1]
    assert both.shape == (2,) and both[1] < both[0]


def test_fusion_scales_by_the_in_scope_share_unless_the_classifier_is_off() -> None:
    args = (
        np.asarray([0.8], np.float32),
        np.asarray([0.5], np.float32),
        np.asarray([0.9], np.float32),
        np.asarray([True]),
    )
    full = fuse(*args, Weights(0.3, 0.3))
    half = fuse(*args, Weights(0.3, 0.3), in_scope=0.5)
    assert half[0] == pytest.approx(full[0] / 2, abs=1e-6)
    # A one-word question is scored without the classifier, so without its gate too.
    assert fuse(*args, Weights(0.3, 0.3), 0.0, None, 0.5)[0] == pytest.approx(
        fuse(*args, Weights(0.3, 0.3), 0.0)[0]
    )
    assert fuse(*args, Weights(0.3, 0.0), in_scope=0.5)[0] == pytest.approx(
        fuse(*args, Weights(0.3, 0.0))[0]
    )
