"""One search's ranking, off the event loop: the dense candidates of a batch of queries in one
index call, then each query's candidates widened by BM25 and the intent classifier, fused into
one confidence (:mod:`kb.scoring`) and collapsed to each translation group's best."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kb import characters
from kb.scoring import Weights, evidence, fuse
from kb.settings import KbSettings
from kb.snapshot import Snapshot
from kb.text import detect_language, tokenize

DENSE_ROWS = 50  # nearest rows fetched from faiss per query
LEXICAL_CANDIDATES = 20  # best BM25 entries added to the candidates even if dense missed them
CLASSIFIER_CANDIDATES = 5  # the classifier's best entries join the candidates
# A search for the batcher: snapshot, query, cached vector, how many ranked hits it needs.
Query = tuple["Snapshot", str, "npt.NDArray[np.float32] | None", int]
Searched = tuple["npt.NDArray[np.float32]", "list[Scored]"]  # its vector and ranking


MAX_RANKED = 50  # a search returns at most this many hits (``k`` is capped there too)


@dataclass(frozen=True)
class Scored:
    """One candidate entry's evidence."""

    pos: int
    score: float
    dense: float
    lexical: float
    row: int


def rank(
    snap: Snapshot,
    query: str,
    vector: npt.NDArray[np.float32],
    found: dict[int, tuple[float, int]],
    settings: KbSettings,
    keep: int = MAX_RANKED,
) -> list[Scored]:
    """Fuse the dense candidates ``found`` with BM25 and the classifier: the best ``keep``,
    best first."""
    tokens = tokenize(query)
    lexical = snap.bm25.normalized(tokens) if tokens else None
    if lexical is not None and snap.chars is not None:  # kb/characters.py
        lexical = characters.mix(lexical, snap.chars, query)
    if lexical is not None:
        n = min(LEXICAL_CANDIDATES, lexical.size)
        top = np.argpartition(-lexical, n - 1)[:n] if n < lexical.size else np.arange(n)
        extra = [int(p) for p in top if lexical[p] > 0 and int(p) not in found]
        found.update(snap.dense.score_entries(vector, extra))
    prob = None
    if snap.classifier is not None and settings.classifier_weight > 0:
        prob = snap.classifier.probabilities(vector)
        n = min(CLASSIFIER_CANDIDATES, prob.size)
        top = np.argpartition(-prob, n - 1)[:n] if n < prob.size else np.arange(n)
        extra = [int(p) for p in top if int(p) not in found]
        found.update(snap.dense.score_entries(vector, extra))
    weights = Weights.of(settings, prob is not None)
    query_lang = detect_language(query)
    n = len(found)
    if not n:
        return []
    pos_arr = np.fromiter(found, dtype=np.int64, count=n)
    cos = np.fromiter((c for c, _ in found.values()), dtype=np.float32, count=n)
    lex = lexical[pos_arr] if lexical is not None else np.zeros_like(cos)
    probs = prob[pos_arr] if prob is not None else np.zeros_like(cos)
    same = snap.group_speaks(query_lang)[pos_arr]
    near = cos
    if snap.hub is not None:  # hubness-corrected cosines (kb/hubness.py)
        rows_arr = np.fromiter((r for _, r in found.values()), dtype=np.int64, count=n)
        near = cos - snap.hub[rows_arr]
    typical = None
    if prob is not None and snap.centroids is not None:
        typical = snap.centroids.typical(vector, pos_arr)
    scores = fuse(near, lex, probs, same, weights, evidence(tokens), typical)
    # Per group its best candidate (the first one on a tie), then best first by score
    # and position: sorted by group, score down, candidate order; the first of each group.
    groups = snap.entry_group[pos_arr]
    order = np.lexsort((np.arange(n), -scores, groups))
    first = np.ones(n, dtype=bool)
    first[1:] = groups[order[1:]] != groups[order[:-1]]
    winners = order[first]
    ranked = winners[np.lexsort((pos_arr[winners], -scores[winners]))][: min(keep, MAX_RANKED)]
    rows = list(found.values())
    return [
        Scored(
            int(pos_arr[i]),
            float(scores[i]),
            min(float(cos[i]), 1.0),
            float(lex[i]),
            rows[i][1],
        )
        for i in ranked.tolist()
    ]


def dense_many(
    items: list[Query], vectors: list[npt.NDArray[np.float32]]
) -> list[dict[int, tuple[float, int]]]:
    """The dense candidates of every query, one faiss call per snapshot (normally one)."""
    found: list[dict[int, tuple[float, int]]] = [{} for _ in items]
    by_snap: dict[int, list[int]] = {}
    for i, (snap, _, _, _) in enumerate(items):
        by_snap.setdefault(id(snap), []).append(i)
    for where in by_snap.values():
        snap = items[where[0]][0]
        batch = np.stack([vectors[i] for i in where])
        for i, near in zip(where, snap.dense.search_many(batch, DENSE_ROWS), strict=True):
            found[i] = near
    return found
