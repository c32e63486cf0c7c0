"""Entry centroids in a whitened space: how typical a question is of an entry's examples.

The cosine to an entry's nearest example and the classifier's probability both say *which*
entry is nearest; neither says well whether the question is like the entry's questions at
all. A question of chit-chat or of another domain can sit as close to some example as a
real paraphrase does, because the raw embedding space is not shaped by what varies within
an entry. This model is (shrunk) linear discriminant analysis on the entries' examples:

    S      = covariance of the examples around their own entry's mean (pooled over entries)
    W      = (S + SHRINK * mean eigenvalue * I) ^ -1/2        the within-entry whitening
    c_e    = unit(W^T (mean of entry e's examples - m))        m = mean of all examples
    typical(q, e) = cosine(W^T (q - m), c_e)

In the whitened space the directions along which an entry's own questions vary count less
and those that separate entries count more, so a question far from every entry in the
directions that matter gets a low value for all of them (the Mahalanobis idea of
out-of-distribution detection for frozen sentence embeddings). It is mixed into the
confidence with weight ``WEIGHT`` (:mod:`kb.scoring`). Measured (docs/quality.md): OOS AUROC
CLINC150 .970 -> .972, SMP2017 .898 -> .906; R@1 up a little on BANKING77 and SMP2017.

Built with the intent classifier (entries with similar questions); numpy only, one
``dim x dim`` eigendecomposition at an index build; a query costs one ``dim x dim`` product
plus one dot product per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SHRINK = 1.0  # ridge on the within-entry covariance, in units of its mean eigenvalue
WEIGHT = 0.2  # share of the confidence (see kb.scoring)

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class CentroidModel:
    """The whitening and the entries' whitened unit centroids."""

    mean: FloatArray  # (dim,)
    transform: FloatArray  # (dim, dim)
    centroids: FloatArray  # (n_entries, dim), unit rows

    def project(self, vector: FloatArray) -> FloatArray:
        """A query vector (or rows of them) in the whitened space, unit length."""
        z = (vector - self.mean) @ self.transform
        norm = np.linalg.norm(z, axis=-1, keepdims=True)
        out: FloatArray = (z / np.maximum(norm, 1e-12)).astype(np.float32)
        return out

    def typical(
        self, vector: FloatArray, entries: npt.NDArray[np.int64] | None = None
    ) -> FloatArray:
        """Cosine of the whitened query to each entry's centroid (or to the given entries')."""
        z = self.project(vector)
        c = self.centroids if entries is None else self.centroids[entries]
        out: FloatArray = (z @ c.T).astype(np.float32)
        return out


def fit(
    vectors: npt.NDArray[np.float32], labels: npt.NDArray[np.int32], classes: int
) -> CentroidModel:
    """The model of ``vectors`` labelled with entry positions ``labels`` (blocking)."""
    x = vectors.astype(np.float64)
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    sums = np.zeros((classes, x.shape[1]))
    np.add.at(sums, labels, x)
    means = sums / np.maximum(counts, 1.0)[:, None]
    resid = x - means[labels]
    cov = resid.T @ resid / max(len(x), 1)
    ridge = SHRINK * float(np.trace(cov)) / cov.shape[0]
    values, vecs = np.linalg.eigh(cov + max(ridge, 1e-6) * np.eye(cov.shape[0]))
    transform = vecs / np.sqrt(np.maximum(values, 1e-12))
    mean = x.mean(axis=0)
    c = (means - mean) @ transform
    c /= np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)
    return CentroidModel(
        mean=mean.astype(np.float32),
        transform=transform.astype(np.float32),
        centroids=c.astype(np.float32),
    )
