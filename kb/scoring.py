"""How evidence becomes one confidence, and a confidence becomes a decision.

One formula for the live search, the self-calibration and ``kefu kb eval``::

    dense   = clip(best cosine of the query vs the entry's texts, 0, 1)
    lexical = BM25 / the query's reference score, in [0, 1]
    prob    = the intent classifier's P(entry | query)   (0 without a classifier)
    fused   = (1 - w) * dense + w * lexical                  w = [kb] bm25_weight
    score   = (1 - c) * fused + c * prob * dense             c = [kb] classifier_weight
    score   = (1 - t) * score + t * clip(typical, 0, 1)      t = 0.2, with a classifier

``typical`` is the cosine to the entry's centroid in the space whitened by how the entries'
own examples vary (:mod:`kb.centroids`): low for a question unlike every entry's examples,
which a nearest example or a softmax does not show.

The classifier's probability is gated by the dense similarity: a softmax always sums to one,
so in a small knowledge base an unrelated question still gets a confident-looking class;
multiplied by the cosine it only counts when the question is also near the entry's examples.
Without a classifier (entries without similar questions) c is 0. A one-word question
("发票", "refund") is weak evidence however it is scored: the classifier, trained on whole
questions, would still pick one entry with confidence, so its weight (and typical's) is scaled by
``evidence(query)``: 0 for a single distinct content token, else 1. Such a question is
answered on retrieval evidence alone (usually: clarify between the entries of that topic).

An entry whose group has no text in the query's language cannot have lexical evidence, so its
missing BM25 is not held against it: score = max(score, dense).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.domain import Decision
from kb.centroids import WEIGHT as TYPICAL_WEIGHT
from kb.settings import KbSettings

CONFIDENT_LEAD = 0.15  # this far above the answer threshold, a close runner-up does not matter

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Weights:
    """The fusion weights of one search mode."""

    bm25: float
    classifier: float  # 0 = no classifier

    @classmethod
    def of(cls, settings: KbSettings, has_classifier: bool) -> Weights:
        """The weights the settings ask for (no classifier weight without a classifier)."""
        return cls(settings.bm25_weight, settings.classifier_weight if has_classifier else 0.0)


@dataclass(frozen=True)
class Thresholds:
    """Where a confidence turns into answer, clarify or escalate."""

    answer: float
    clarify: float
    margin: float
    source: str = "config"  # "config" | "calibrated"


def fuse(
    cosine: FloatArray,
    lexical: FloatArray,
    prob: FloatArray,
    same_language: npt.NDArray[np.bool_],
    weights: Weights,
    evidence: float | FloatArray = 1.0,
    typical: FloatArray | None = None,
) -> FloatArray:
    """Scores for arrays of candidates (see the module docstring)."""
    dense = np.clip(cosine, 0.0, 1.0)
    fused = (1.0 - weights.bm25) * dense + weights.bm25 * lexical
    if weights.classifier > 0.0:
        c = weights.classifier * evidence
        fused = (1.0 - c) * fused + c * prob * dense
    if typical is not None:
        t = TYPICAL_WEIGHT * evidence
        fused = (1.0 - t) * fused + t * np.clip(typical, 0.0, 1.0)
    out: FloatArray = np.where(same_language, fused, np.maximum(fused, dense)).astype(np.float32)
    return out


def evidence(tokens: list[str]) -> float:
    """How much the classifier may count for a query with these BM25 tokens (see above)."""
    return 0.0 if len(set(tokens)) <= 1 else 1.0


def decide(top: float, second: float, t: Thresholds) -> Decision:
    """Answer only when confident and clearly ahead; offer choices when close."""
    if top >= t.answer and (top - second >= t.margin or top >= t.answer + CONFIDENT_LEAD):
        return "answer"
    if top >= t.clarify:
        return "clarify"
    return "escalate"


def configured(settings: KbSettings) -> Thresholds:
    """The thresholds written in the configuration."""
    return Thresholds(settings.answer_threshold, settings.clarify_threshold, settings.margin)
