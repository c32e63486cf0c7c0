"""Hubness correction of nearest-neighbour retrieval, for entries without similar questions.

In a knowledge base of one-question entries about one domain (every question mentions 花呗,
or "my card"), some questions are *hubs*: short, generic ones ("花呗怎么用") sit close to
almost every customer question and win many of them by a small cosine lead over the entry
that really matches. Nearest-neighbour search in high-dimensional embeddings is known to do
this; the usual remedy (CSLS, Conneau et al. 2018, "Word translation without parallel data")
discounts each stored text by how close it is to its own neighbourhood::

    r(row)  = mean cosine of the row to its K nearest rows of other entries
    dense   = cosine(query, row) - BETA * (r(row) - mean of r over all rows)

``BETA = 0.5`` and ``K = 10`` are CSLS's own (for one query, ranking by ``2 cos - r`` is
ranking by ``cos - r / 2``); subtracting the mean keeps the scores' average level, so the
answer thresholds keep their meaning. Measured on AFQMC (4,313 one-question entries):
R@1 .157 -> .167, R@5 .429 -> .444 (docs/quality.md).

It applies only when the knowledge base has no intent classifier (most entries have no
similar questions, or there are too many entries to train one) and dense retrieval counts
(``bm25_weight`` below 1): where entries have examples the classifier already learns what
separates them, and the correction measured no better there while answering more
out-of-scope questions (CLINC150 refused .878 -> .868). Within an entry the search keeps the
row with the best raw cosine and discounts that one.

The neighbourhood is measured against a fixed-seed sample of the rows: at most
``MAX_REFERENCE``, fewer in a large knowledge base so that rows x sample stays within
``PAIR_BUDGET`` (never below ``MIN_REFERENCE``). On AFQMC a sample of 2,048 of its 4,313
rows ranks as well as all of them (1,024: R@1 .164 instead of .167). At 30,000 rows that is
about 3 x 10^10 multiply-adds at an index build; per query, one lookup per candidate.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

K = 10
BETA = 0.5
MAX_REFERENCE = 2048
MIN_REFERENCE = 256
PAIR_BUDGET = 64_000_000  # rows x reference rows
BLOCK = 1024
SEED = 20261203


def offsets(
    vectors: npt.NDArray[np.float32], row_entry: npt.NDArray[np.int32]
) -> npt.NDArray[np.float32] | None:
    """Per row, what to subtract from its cosine (see above); None when too few rows."""
    n = int(vectors.shape[0])
    if n <= K:
        return None
    size = min(MAX_REFERENCE, max(MIN_REFERENCE, PAIR_BUDGET // n))
    if n > size:
        rng = np.random.default_rng(SEED)
        ref = np.sort(rng.permutation(n)[:size])
    else:
        ref = np.arange(n)
    ref_vectors = np.ascontiguousarray(vectors[ref])
    ref_entry = row_entry[ref]
    r = np.empty(n, dtype=np.float32)
    for a in range(0, n, BLOCK):
        sims = vectors[a : a + BLOCK] @ ref_vectors.T
        sims[row_entry[a : a + BLOCK, None] == ref_entry[None, :]] = -1.0  # its own entry
        k = min(K, sims.shape[1])
        r[a : a + BLOCK] = -np.partition(-sims, k - 1, axis=1)[:, :k].mean(axis=1)
    out: npt.NDArray[np.float32] = (BETA * (r - r.mean())).astype(np.float32)
    return out
