"""The float16 screen of a lone query's exact search gives the full float32 scan's rows."""

from __future__ import annotations

import faiss
import numpy as np
import numpy.typing as npt
import pytest

from kb import index as dense_index
from kb import screening
from kb.screening import HalfScreen

DIM = 512


def _unit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    out: npt.NDArray[np.float32] = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(
        np.float32
    )
    return out


def _dense(vectors: npt.NDArray[np.float32], per_entry: int = 3) -> dense_index.DenseIndex:
    n = len(vectors)
    index = faiss.IndexFlatIP(DIM)
    index.add(vectors)
    row_entry = np.arange(n, dtype=np.int32) // per_entry
    entries = int(row_entry[-1]) + 1
    starts = np.minimum(np.arange(entries + 1, dtype=np.int64) * per_entry, n)
    return dense_index.DenseIndex(
        index=index,
        texts=tuple(f"t{i}" for i in range(n)),
        row_entry=row_entry,
        entry_start=starts,
        embedder="test",
        dim=DIM,
        fingerprint="test",
    )


def _best_per_entry(
    dense: dense_index.DenseIndex, sims: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]
) -> dict[int, tuple[float, int]]:
    """What ``search_many`` makes of one query's full-scan rows."""
    out: dict[int, tuple[float, int]] = {}
    for sim, row in zip(sims[0].tolist(), rows[0].tolist(), strict=True):
        entry = int(dense.row_entry[row])
        if entry not in out or sim > out[entry][0]:
            out[entry] = (sim, row)
    return out


def _crowded(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    """Clusters of near-duplicates (like order numbers in one template), some exact copies."""
    centres = rng.standard_normal((40, DIM))
    which = rng.integers(0, 40, n)
    spread = rng.choice([0.3, 0.05, 0.002], n)[:, None]
    vectors = _unit(centres[which] + spread * rng.standard_normal((n, DIM)))
    vectors[n // 2 : n // 2 + 20] = vectors[7]  # twenty rows tied with row 7
    return vectors


def test_a_lone_query_gets_the_full_scans_rows_through_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    vectors = _crowded(rng, 6000)
    dense = _dense(vectors)
    assert dense.screen is not None and 0 < dense.screen.error < 1e-3
    proved = []
    top = HalfScreen.top

    def counting(self: HalfScreen, *args: object) -> object:
        out = top(self, *args)  # type: ignore[arg-type]
        proved.append(out is not None)
        return out

    monkeypatch.setattr(HalfScreen, "top", counting)
    queries = _unit(vectors[rng.integers(0, 6000, 60)] + 0.05 * rng.standard_normal((60, DIM)))
    queries[0] = vectors[7]  # the tied rows
    for query in queries:
        for k in (1, 10, 50):
            screened = dense.search_many(query[None], k)[0]
            sims, rows = dense._exact(query[None], k)
            full = _best_per_entry(dense, sims, rows)
            # The same cosines up to float32 rounding (1e-7: the two scans sum in different
            # orders); entries whose cosines differ by less may swap, none other.
            got = np.array([s for s, _ in screened.values()])
            want = np.array([s for s, _ in full.values()])
            assert got.shape == want.shape
            assert np.allclose(got, want, rtol=0, atol=1e-6)
            cut = float(sims[0, -1]) + 2e-6  # clearly above the k-th row
            clear = [e for e, (s, _) in screened.items() if s > cut]
            assert set(clear) <= set(full)
            assert {e for e, (s, _) in full.items() if s > cut} <= set(screened)
            assert np.all(np.diff([full[e][0] for e in clear]) <= 1e-6)
    # Rows tied exactly (the same vector) come in row order either way.
    tied = [2, *range(1000, 1007)]
    assert list(dense.search_many(queries[0][None], 21)[0]) == tied
    assert list(_best_per_entry(dense, *dense._exact(queries[0][None], 21))) == tied
    assert sum(proved) > len(proved) // 2  # the screen did the work, not the fallback


def test_a_crowd_at_the_cut_falls_back_to_the_full_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(6)
    base = rng.standard_normal(DIM)
    # Every row within float16 rounding of every other: nothing can be proved.
    vectors = _unit(base + 1e-5 * rng.standard_normal((5000, DIM)))
    dense = _dense(vectors)
    assert dense.screen is not None
    assert dense.screen.top(dense.matrix(), vectors[3], 10) is None
    monkeypatch.setattr(screening, "MAX_WANT", 10**9)  # widening to every row is not a proof
    assert dense.screen.top(dense.matrix(), vectors[3], 10) is None
    found = dense.search_many(vectors[3][None], 10)[0]
    assert found == _best_per_entry(dense, *dense._exact(vectors[3][None], 10))


def test_small_and_graph_indexes_have_no_screen() -> None:
    rng = np.random.default_rng(7)
    assert _dense(_unit(rng.standard_normal((300, DIM)))).screen is None
