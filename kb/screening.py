"""The exact nearest rows of one query, found by a half-precision scan and checked exactly.

A flat search reads every stored vector: at 10,000 entries (30,000 rows of 512 floats) that
is 61 MB a query, more than the processor's cache holds, so a lone query's cost is the
memory traffic (about 4 ms of a 5 ms search with its vector cached). This module keeps a
copy of the vectors in float16 (half the bytes) in a faiss scalar-quantizer index, which
decodes with SIMD as it scans, and uses it only to *screen*:

1. scan the float16 copy for the ``want`` best rows (approximate scores ``a``);
2. every row's approximate score is within ``delta = |q| * e + SLACK`` of its exact one,
   where ``e`` is the largest rounding error (L2 norm) of any stored row, measured when the
   copy is made, and ``SLACK`` covers the float32 rounding of the two dot products;
3. a row outside the ``want`` screened ones has an exact score at most ``a[want] + delta``,
   and each of the ``k`` best screened rows at least ``a[k] - delta``; so when
   ``a[k] - a[want] > 2 * delta`` no row outside can be among the exact top ``k``, and
   rescoring the screened rows in float32 gives exactly the rows a full scan gives (with the
   same float32 cosines, up to the last bit of rounding, which already differs between a
   query searched alone and one searched in a batch);
4. otherwise (a crowd of near-equal rows at the cut) the screen widens ``want`` four times,
   and past ``MAX_WANT`` the caller does the full float32 scan.

The result is the exact search's, never an approximation; the float16 copy costs half the
vectors' memory again.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np
import numpy.typing as npt

SLACK = 1e-4  # float32 rounding of a 512-term dot product of unit vectors is about 3e-5
MAX_WANT = 4096  # beyond this many screened rows the full scan is as cheap
BLOCK = 4096  # rows per step when measuring the rounding error

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class HalfScreen:
    """A float16 copy of the vectors and the largest rounding error of one row."""

    index: faiss.Index
    error: float

    @classmethod
    def of(cls, matrix: FloatArray) -> HalfScreen:
        """The screen of these vectors (blocking: one pass over them)."""
        n, dim = matrix.shape
        index = faiss.IndexScalarQuantizer(
            dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
        index.train(matrix[: min(n, 1)])  # float16 needs no training; faiss asks for the call
        index.add(matrix)
        error = 0.0
        for a in range(0, n, BLOCK):
            block = matrix[a : a + BLOCK]
            back = index.sa_decode(index.sa_encode(block))
            diff = (block - back).astype(np.float64)
            error = max(error, float(np.sqrt(np.einsum("ij,ij->i", diff, diff)).max()))
        return cls(index=index, error=error)

    def top(
        self, matrix: FloatArray, query: FloatArray, k: int
    ) -> tuple[FloatArray, npt.NDArray[np.int64]] | None:
        """The exact ``k`` best rows of ``matrix`` for one query vector (cosines and rows,
        best first, ties by row), or None when the screen cannot prove them (see above)."""
        n = int(self.index.ntotal)
        delta = float(np.linalg.norm(query)) * self.error + SLACK
        want = min(n, max(2 * k, k + 32))
        x = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        while want < n and want <= MAX_WANT:
            approx, rows = self.index.search(x, want)
            if float(approx[0, k - 1]) - float(approx[0, want - 1]) > 2.0 * delta:
                cand = rows[0]
                sims = matrix[cand] @ x[0]
                order = np.lexsort((cand, -sims))[:k]
                return sims[order], cand[order].astype(np.int64)
            want *= 4
        return None
