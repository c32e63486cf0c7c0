"""Self-calibration: choose the answer threshold from the knowledge base's own questions.

At every index build (when ``[kb] thresholds = "auto"``) the knowledge base quizzes itself:

* a fifth of the groups (FAQ entries with their translations) are set aside entirely; their
  questions play the customer questions the knowledge base cannot answer;
* from every other entry with similar questions, one similar question is held out; these are
  the questions it should answer, and the right answer is known;
* a reduced index (dense rows, BM25, intent classifier, entry centroids) is built without
  any held-out text, every held-out question is scored with the same formula and decision
  rule as a live search (:mod:`kb.scoring`), and the answer threshold that maximises
  ``share of answerable questions answered correctly + share of the others not answered``
  (Youden's J) is chosen. The clarify threshold keeps the configured distance below it.

It needs at least ``MIN_GROUPS`` groups with similar questions; below that (or when a
threshold cannot be told apart) the configured thresholds stay. ``kefu kb eval --calibrate``
does the same from a real labelled question set and writes the result to the config file.
The sample is drawn with a fixed seed, so the same content always gives the same thresholds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kb import centroids, characters
from kb import classifier as intent
from kb.bm25 import BM25
from kb.scoring import CONFIDENT_LEAD, Thresholds, Weights, configured, evidence, fuse
from kb.settings import KbSettings
from kb.text import detect_language
from kb.types import StoredEntry

log = logging.getLogger(__name__)

MIN_GROUPS = 8
OOS_SHARE = 0.2
MAX_IN_SCOPE = 600
MAX_OUT_OF_SCOPE = 300
GRID = np.round(np.arange(0.30, 0.951, 0.01), 2)
SEED = 20260101


@dataclass(frozen=True)
class Quiz:
    """Scored held-out questions: the top confidence, the runner-up and correctness."""

    top: npt.NDArray[np.float32]
    second: npt.NDArray[np.float32]
    correct: npt.NDArray[np.bool_]  # top group is the right one (always False out of scope)
    in_scope: npt.NDArray[np.bool_]


def best_threshold(quiz: Quiz, margin: float) -> float | None:
    """The answer threshold with the best J on the quiz, or None if nothing separates."""
    n_in = int(quiz.in_scope.sum())
    n_out = int((~quiz.in_scope).sum())
    if n_in == 0 or n_out == 0:
        return None
    scores = []
    for t in GRID:
        answered = (quiz.top >= t) & (
            (quiz.top - quiz.second >= margin) | (quiz.top >= t + CONFIDENT_LEAD)
        )
        j = (
            float((answered & quiz.correct).sum()) / n_in
            + float((~answered & ~quiz.in_scope).sum()) / n_out
        )
        scores.append(j)
    # The middle of the best plateau, not its edge: an edge sits on some question's score.
    best_j = max(scores)
    plateau = [float(t) for t, j in zip(GRID, scores, strict=True) if j >= best_j - 1e-9]
    return plateau[len(plateau) // 2]


def thresholds_from(answer: float, settings: KbSettings, source: str) -> Thresholds:
    """An answer threshold plus the configured clarify gap and margin."""
    gap = max(settings.answer_threshold - settings.clarify_threshold, 0.0)
    return Thresholds(
        answer=answer, clarify=max(answer - gap, 0.0), margin=settings.margin, source=source
    )


def self_calibrate(
    entries: Sequence[StoredEntry],
    vectors: npt.NDArray[np.float32],
    tokens: dict[str, list[str]],
    settings: KbSettings,
    hub: npt.NDArray[np.float32] | None = None,
    chars: bool = False,
) -> Thresholds:
    """Thresholds chosen by quizzing the KB with its own held-out questions (blocking);
    ``hub``: the rows' hubness discounts, ``chars``: whether character evidence is mixed
    into BM25 (:mod:`kb.characters`), when the live search applies them."""
    fallback = configured(settings)
    quiz = _quiz(entries, vectors, tokens, settings, hub, chars)
    if quiz is None:
        return fallback
    answer = best_threshold(quiz, settings.margin)
    if answer is None:
        return fallback
    t = thresholds_from(answer, settings, "calibrated")
    log.info(
        "kb: self-calibrated answer threshold %.2f (clarify %.2f) from %d + %d held-out questions",
        t.answer,
        t.clarify,
        int(quiz.in_scope.sum()),
        int((~quiz.in_scope).sum()),
    )
    return t


def _quiz(
    entries: Sequence[StoredEntry],
    vectors: npt.NDArray[np.float32],
    tokens: dict[str, list[str]],
    settings: KbSettings,
    hub: npt.NDArray[np.float32] | None = None,
    chars: bool = False,
) -> Quiz | None:
    rng = np.random.default_rng(SEED)
    groups: dict[str, list[int]] = {}
    for pos, e in enumerate(entries):
        groups.setdefault(e.group_key, []).append(pos)
    keys = list(groups)
    with_examples = [k for k in keys if any(len(entries[p].texts) >= 2 for p in groups[k])]
    if len(with_examples) < MIN_GROUPS:
        return None
    n_out = max(2, round(OOS_SHARE * len(keys)))
    out_keys = {keys[i] for i in rng.permutation(len(keys))[:n_out]}

    starts = np.zeros(len(entries) + 1, dtype=np.int64)
    np.cumsum([len(e.texts) for e in entries], out=starts[1:])
    held_in: list[tuple[int, str]] = []  # (row, group key)
    held_out: list[int] = []
    dropped: set[int] = set()
    for key in keys:
        for pos in groups[key]:
            rows = range(int(starts[pos]), int(starts[pos + 1]))
            if key in out_keys:
                dropped.update(rows)
                held_out.extend(rows)
            elif len(rows) >= 2:
                # One similar question in five (at least one), never the question itself.
                take = max(1, (len(rows) - 1) // 5)
                for i in rng.permutation(len(rows) - 1)[:take]:
                    dropped.add(rows[1 + int(i)])
                    held_in.append((rows[1 + int(i)], key))
    if not held_in or not held_out:
        return None
    if len(held_in) > MAX_IN_SCOPE:
        held_in = [held_in[i] for i in sorted(rng.permutation(len(held_in))[:MAX_IN_SCOPE])]
    if len(held_out) > MAX_OUT_OF_SCOPE:
        held_out = [held_out[i] for i in sorted(rng.permutation(len(held_out))[:MAX_OUT_OF_SCOPE])]

    # The reduced knowledge base: every entry that keeps at least one text.
    texts = [t for e in entries for t in e.texts]
    kept_entries: list[int] = []
    kept_rows: list[int] = []
    row_label: list[int] = []
    for pos in range(len(entries)):
        kept = [r for r in range(int(starts[pos]), int(starts[pos + 1])) if r not in dropped]
        if kept:
            row_label.extend([len(kept_entries)] * len(kept))
            kept_rows.extend(kept)
            kept_entries.append(pos)
    n = len(kept_entries)
    if n < 2:
        return None
    group_ids = {k: i for i, k in enumerate(keys)}
    gid = np.asarray([group_ids[entries[p].group_key] for p in kept_entries], dtype=np.int64)
    labels = np.asarray(row_label, dtype=np.int32)
    x = vectors[np.asarray(kept_rows, dtype=np.int64)]
    counts = np.bincount(labels, minlength=n)
    red_starts = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=red_starts[1:])
    spans = [(int(a), int(a + c)) for a, c in zip(red_starts, counts, strict=True)]
    bm25 = BM25([[tokens[texts[r]] for r in kept_rows[a:b]] for a, b in spans])
    weights = Weights.of(settings, True)
    clf = None
    model = None
    if weights.classifier > 0 and intent.should_train(counts):
        clf = intent.train(x, labels, n)
        model = centroids.fit(x, labels, n)
    else:
        weights = Weights(weights.bm25, 0.0)
    languages: dict[str, set[str]] = {}
    for e in entries:
        languages.setdefault(e.group_key, set()).add(e.language)
    group_langs = [languages[entries[p].group_key] for p in kept_entries]

    queries = [(r, group_ids[k]) for r, k in held_in] + [(r, -1) for r in held_out]
    q_rows = np.asarray([r for r, _ in queries], dtype=np.int64)
    q_group = np.asarray([g for _, g in queries], dtype=np.int64)
    qv = vectors[q_rows]
    sims = qv @ x.T
    if hub is not None:
        sims -= hub[np.asarray(kept_rows, dtype=np.int64)]
    cos = np.maximum.reduceat(sims, red_starts, axis=1)
    lex = np.stack([bm25.normalized(tokens[texts[r]]) for r in q_rows])
    index = (
        characters.build([[texts[r] for r in kept_rows[a:b]] for a, b in spans]) if chars else None
    )
    if index is not None:
        lex = np.stack(
            [characters.mix(row, index, texts[r]) for row, r in zip(lex, q_rows, strict=True)]
        )
    prob = clf.probabilities(qv) if clf is not None else np.zeros_like(cos)
    masks = {
        lang: np.asarray([lang in g for g in group_langs], dtype=bool) for lang in ("zh", "en")
    }
    same = np.stack([masks[detect_language(texts[r])] for r in q_rows])
    strength = np.asarray([[evidence(tokens[texts[r]])] for r in q_rows], dtype=np.float32)
    typical = model.typical(qv) if model is not None else None
    scores = fuse(cos, lex, prob, same, weights, strength, typical)
    top_idx = scores.argmax(axis=1)
    top = scores[np.arange(len(q_rows)), top_idx]
    others = np.where(gid[None, :] == gid[top_idx][:, None], -np.inf, scores)
    second = np.maximum(others.max(axis=1), 0.0) if n > 1 else np.zeros_like(top)
    in_scope = q_group >= 0
    correct = in_scope & (gid[top_idx] == q_group)
    return Quiz(
        top=top.astype(np.float32),
        second=second.astype(np.float32),
        correct=correct,
        in_scope=in_scope,
    )
