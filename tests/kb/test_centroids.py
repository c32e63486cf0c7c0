"""Entry centroids in the whitened space (kb/centroids.py) and their share of the confidence."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from kb import centroids
from kb.scoring import Weights, fuse

DIM = 8


def _unit(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    unit: npt.NDArray[np.float32] = (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(
        np.float32
    )
    return unit


def _axis(i: int) -> npt.NDArray[np.float64]:
    e = np.zeros(DIM)
    e[i] = 1.0
    return e


def _model() -> centroids.CentroidModel:
    # Two entries whose own questions vary a lot along axis 2 (as paraphrases vary in
    # wording) and never along axis 3.
    rows = [_axis(0) + t * _axis(2) for t in (-1.0, -0.5, 0.5, 1.0)]
    rows += [_axis(1) + t * _axis(2) for t in (-1.0, -0.5, 0.5, 1.0)]
    labels = np.asarray([0] * 4 + [1] * 4, dtype=np.int32)
    return centroids.fit(_unit(np.stack(rows)), labels, 2)


def test_a_question_unlike_every_entry_is_not_typical_of_any() -> None:
    model = _model()
    paraphrase = _unit(_axis(0) + 0.9 * _axis(2))  # varies the way entry 0's questions do
    unrelated = _unit(_axis(0) + 0.9 * _axis(3))  # varies in a way no entry's questions do
    # Raw cosines to entry 0's examples cannot tell them apart...
    example = _unit(_axis(0))
    assert float(paraphrase @ example) == pytest.approx(float(unrelated @ example), abs=1e-6)
    # ...the whitened centroid cosine does.
    typical = model.typical(np.stack([paraphrase, unrelated]))
    assert typical.shape == (2, 2)
    assert typical[0, 0] > 0.85 and typical[1, 0] < typical[0, 0] - 0.25
    assert typical[0, 0] > typical[0, 1]  # and it still points at the right entry
    only = model.typical(paraphrase, np.asarray([1], dtype=np.int64))
    assert only.shape == (1,) and only[0] == pytest.approx(typical[0, 1], abs=1e-5)


def test_typical_takes_its_share_of_the_confidence() -> None:
    w = Weights(bm25=0.3, classifier=0.3)
    cos = np.asarray([0.8, 0.8], np.float32)
    lex = np.asarray([0.5, 0.5], np.float32)
    prob = np.asarray([0.9, 0.9], np.float32)
    same = np.asarray([True, True])
    base = fuse(cos, lex, prob, same, w)
    s = fuse(cos, lex, prob, same, w, 1.0, np.asarray([0.9, -0.4], np.float32))
    t = centroids.WEIGHT
    assert s[0] == pytest.approx((1 - t) * base[0] + t * 0.9, abs=1e-6)
    assert s[1] == pytest.approx((1 - t) * base[1], abs=1e-6)  # clipped at 0
    # A one-word question: no share, as for the classifier.
    one = fuse(cos, lex, prob, same, w, 0.0, np.asarray([0.0, 0.0], np.float32))
    assert one == pytest.approx(fuse(cos, lex, prob, same, w, 0.0))
