"""The dense index: one vector per question and similar question, and its derived file.

``IndexFlatIP`` over L2-normalised vectors, so inner product is cosine: exact search, up to
``APPROX_ENTRIES`` entries. Above that a flat scan costs more than a turn should (100k
entries, 300k rows: tens of ms a query), so the index is an HNSW graph over the same flat
vectors (``IndexHNSWFlat``, inner product), whose recall@1 against the exact search
``python -m bench kb`` measures (docs/benchmarks.md). Rows are contiguous per entry, in
entry order. The file pair in ``data_dir/kb`` (``index.faiss`` + ``meta.json``)
is a cache of what SQL says: ``meta.json`` records the KB revision, the embedder, a fingerprint
of every embedded text, the row -> entry mapping and the SHA-256 of ``index.faiss``, so a torn,
truncated or foreign file is detected and rebuilt, never served. Vectors of texts that did not
change are reused on rebuild, so an edit re-embeds only what was edited.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from kb.embedders import Embedder
from kb.screening import HalfScreen
from kb.text import clean
from kb.types import StoredEntry

log = logging.getLogger(__name__)
_BLAS = ThreadpoolController()  # made once: finding the BLAS libraries costs milliseconds

INDEX_FILE = "index.faiss"
META_FILE = "meta.json"
FORMAT = 1
ENCODE_BATCH = 256
APPROX_ENTRIES = 50_000  # above this many entries: HNSW instead of an exact flat scan
HNSW_M = 32  # graph degree: memory (about 256 bytes a vector) against recall
HNSW_EF_CONSTRUCTION = 200  # 80 gave recall@1 .77-.97 on 300k near-duplicate rows; 200: 1.0
HNSW_EF_SEARCH = 128  # candidates explored per query (at least k)
# Exact search of a batch of at most this many queries screens a float16 copy first
# (kb/screening.py): one query reads half the bytes. A bigger batch shares one float32
# product, whose cost grows little with the batch (at 30k rows: 1 query 3.5 ms, 8: 4.5 ms).
SCREEN_QUERIES = 2
SCREEN_ROWS = 4096  # below this many rows the float32 scan is cheap and stays in cache


def fingerprint(entries: Sequence[StoredEntry], embedder_name: str) -> str:
    """A digest of exactly what the index embeds, in order, and by which embedder."""
    return _digest(((e.id, [clean(t) for t in e.texts]) for e in entries), embedder_name)


def _digest(items: Iterable[tuple[str, Sequence[str]]], embedder_name: str) -> str:
    """SHA-256 over (entry id, cleaned texts) pairs in order."""
    h = hashlib.sha256(embedder_name.encode())
    for entry_id, texts in items:
        h.update(b"\x1e" + entry_id.encode())
        for t in texts:
            h.update(b"\x1f" + t.encode())
    return h.hexdigest()


@dataclass(frozen=True)
class DenseIndex:
    """A faiss index plus the row -> entry mapping it was built for."""

    index: faiss.Index  # IndexFlatIP, or IndexHNSWFlat above APPROX_ENTRIES
    texts: tuple[str, ...]  # the cleaned text of every row
    row_entry: npt.NDArray[np.int32]  # row -> entry position
    entry_start: npt.NDArray[np.int64]  # entry position -> first row (plus a final sentinel)
    embedder: str
    dim: int
    fingerprint: str

    @property
    def approximate(self) -> bool:
        """Whether searches go through the HNSW graph (above ``APPROX_ENTRIES``)."""
        return isinstance(self.index, faiss.IndexHNSWFlat)

    @property
    def rows(self) -> int:
        """How many vectors the index holds."""
        return int(self.index.ntotal)

    def search(self, query: npt.NDArray[np.float32], k: int) -> dict[int, tuple[float, int]]:
        """Best (cosine, row) per entry among the k nearest rows to one query vector."""
        return self.search_many(query.reshape(1, -1), k)[0]

    def search_many(
        self, queries: npt.NDArray[np.float32], k: int
    ) -> list[dict[int, tuple[float, int]]]:
        """:meth:`search` for each row of ``queries``, in one faiss call."""
        if self.rows == 0:
            return [{} for _ in range(len(queries))]
        # OpenMP's team start-up costs more than it saves on a handful of queries (10k
        # entries, cached vector: median 6.6 ms -> 3.8 ms), and on a shared machine it
        # fights the event loop. The setting is per calling thread, and searches run in
        # executor threads, so it is set here rather than once at import.
        faiss.omp_set_num_threads(1)
        x = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, self.rows)
        if isinstance(self.index, faiss.IndexHNSWFlat):
            self.index.hnsw.efSearch = max(HNSW_EF_SEARCH, k)
            sims, rows = self.index.search(x, k)
            found = list(zip(sims.tolist(), rows.tolist(), strict=True))
        else:
            found = self._exact_many(x, k)
        out: list[dict[int, tuple[float, int]]] = []
        for sim_row, row_row in found:
            best: dict[int, tuple[float, int]] = {}
            for sim, row in zip(sim_row, row_row, strict=True):
                if row < 0:
                    continue
                entry = int(self.row_entry[row])
                if entry not in best or sim > best[entry][0]:
                    best[entry] = (float(sim), row)
            out.append(best)
        return out

    def _exact_many(
        self, x: npt.NDArray[np.float32], k: int
    ) -> list[tuple[list[float], list[int]]]:
        """The exact top ``k`` (cosines, rows) per query, best first and ties by row: a lone
        query (or two) through the float16 screen, the rest in one float32 product."""
        screened: list[tuple[list[float], list[int]] | None] = [None] * len(x)
        if len(x) <= SCREEN_QUERIES and self.screen is not None:
            matrix = self.matrix()
            for i, query in enumerate(x):
                top = self.screen.top(matrix, query, k)
                if top is not None:
                    screened[i] = (top[0].tolist(), top[1].tolist())
        rest = [i for i, s in enumerate(screened) if s is None]
        if rest:
            sims, rows = self._exact(x[rest], k)
            for i, sim_row, row_row in zip(rest, sims.tolist(), rows.tolist(), strict=True):
                screened[i] = (sim_row, row_row)
        return [s for s in screened if s is not None]

    def _exact(
        self, x: npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """The exact top ``k`` rows per query, best first (ties by row), by a full scan.

        One matrix product with numpy's BLAS on one thread, then a partial sort: the same
        result as ``IndexFlatIP.search`` at a fraction of its cost (10k entries, 32 queries:
        the faiss wheel's generic BLAS kernels were several times slower than numpy's). The
        product runs on :attr:`by_dim`, the vectors stored dimension by dimension.
        """
        with _BLAS.limit(limits=1, user_api="blas"):
            sims = x @ self.by_dim
        k = min(k, sims.shape[1])
        out_sims = np.empty((len(x), k), dtype=np.float32)
        out_rows = np.empty((len(x), k), dtype=np.int64)
        for q, row_sims in enumerate(sims):
            # Every row at least as good as the k-th best, in row order, so that rows tied
            # at the cut are taken by row number, as the screened search takes them.
            kth = np.partition(row_sims, row_sims.size - k)[row_sims.size - k]
            top = np.flatnonzero(row_sims >= kth)
            order = np.lexsort((top, -row_sims[top]))[:k]
            out_sims[q], out_rows[q] = row_sims[top[order]], top[order]
        return out_sims, out_rows

    @functools.cached_property
    def by_dim(self) -> npt.NDArray[np.float32]:
        """The vectors transposed into their own contiguous copy (``dim`` x rows).

        A batch of queries times this is the same product as times ``matrix().T``, but
        OpenBLAS's kernel for it streams each dimension's row once: 1.5 to 2 times faster for
        the batch sizes a live server sees (30k vectors, 1 to 64 queries), for one more copy
        of the vectors in memory. Only the exact search uses it (HNSW has its own graph).
        """
        return np.ascontiguousarray(self.matrix().T)

    @functools.cached_property
    def screen(self) -> HalfScreen | None:
        """The float16 screen of a lone query's exact search (None for HNSW or few rows)."""
        if self.approximate or self.rows < SCREEN_ROWS:
            return None
        return HalfScreen.of(self.matrix())

    def prepare(self) -> None:
        """Make the search's derived layouts now (at a build), not in a live search."""
        if self.rows and not self.approximate:
            _ = self.by_dim, self.screen

    def matrix(self) -> npt.NDArray[np.float32]:
        """Every stored vector, as a read-only numpy view of the index's own memory."""
        n = self.rows
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        flat = _flat(self.index)
        view = faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim)
        view.flags.writeable = False
        return view

    def score_entries(
        self, query: npt.NDArray[np.float32], entries: Sequence[int]
    ) -> dict[int, tuple[float, int]]:
        """Best (cosine, row) for each of the given entry positions, computed exactly."""
        if not entries:
            return {}
        matrix = self.matrix()
        q = query.reshape(-1)
        out: dict[int, tuple[float, int]] = {}
        for e in entries:
            a, b = int(self.entry_start[e]), int(self.entry_start[e + 1])
            if b > a:
                sims = matrix[a:b] @ q
                i = int(np.argmax(sims))
                out[e] = (float(sims[i]), a + i)
        return out

    def vectors_for(self, texts: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """Stored vectors of those texts this index already embedded (for reuse)."""
        wanted = set(texts)
        where: dict[str, int] = {}
        for row, t in enumerate(self.texts):
            if t in wanted and t not in where:
                where[t] = row
        if not where:
            return {}
        vecs = self.matrix()[np.fromiter(where.values(), dtype=np.int64)]
        return {t: vecs[i] for i, t in enumerate(where)}


def build(
    entries: Sequence[StoredEntry], embedder: Embedder, previous: DenseIndex | None = None
) -> tuple[DenseIndex, int]:
    """Embed the entries' texts (reusing ``previous`` vectors); returns the index and #encoded."""
    texts: list[str] = []
    row_entry: list[int] = []
    starts = [0]
    for pos, e in enumerate(entries):
        for t in e.texts:
            texts.append(clean(t))
            row_entry.append(pos)
        starts.append(len(texts))
    dim = embedder.dim
    vecs = np.zeros((len(texts), dim), dtype=np.float32)
    known: dict[str, npt.NDArray[np.float32]] = {}
    if previous is not None and previous.embedder == embedder.name and previous.dim == dim:
        known = previous.vectors_for(texts)
    missing: dict[str, list[int]] = {}
    for row, t in enumerate(texts):
        if t in known:
            vecs[row] = known[t]
        else:
            missing.setdefault(t, []).append(row)
    todo = list(missing)
    for i in range(0, len(todo), ENCODE_BATCH):
        batch = todo[i : i + ENCODE_BATCH]
        out = embedder.encode(batch)
        for t, v in zip(batch, out, strict=True):
            vecs[missing[t]] = v
    index = new_index(dim, len(entries))
    if len(texts):
        faiss.omp_set_num_threads(2)  # building a graph is worth both cores
        index.add(vecs)
    dense = DenseIndex(
        index=index,
        texts=tuple(texts),
        row_entry=np.asarray(row_entry, dtype=np.int32),
        entry_start=np.asarray(starts, dtype=np.int64),
        embedder=embedder.name,
        dim=dim,
        fingerprint=fingerprint(entries, embedder.name),
    )
    return dense, len(todo)


def new_index(dim: int, entries: int) -> faiss.Index:
    """An empty index for ``entries`` entries: exact up to APPROX_ENTRIES, HNSW above."""
    if entries <= APPROX_ENTRIES:
        return faiss.IndexFlatIP(dim)
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def _flat(index: faiss.Index) -> Any:
    """The flat vector storage of an index (the index itself, or an HNSW graph's storage)."""
    if isinstance(index, faiss.IndexHNSWFlat):
        return faiss.downcast_index(index.storage)
    return index


def save(directory: Path, dense: DenseIndex, entry_ids: Sequence[str], revision: int) -> None:
    """Write index.faiss then meta.json, each atomically (temp file + os.replace)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = faiss.serialize_index(dense.index).tobytes()
    meta = {
        "format": FORMAT,
        "revision": revision,
        "embedder": dense.embedder,
        "dim": dense.dim,
        "rows": dense.rows,
        "fingerprint": dense.fingerprint,
        "index_sha256": hashlib.sha256(data).hexdigest(),
        "entries": list(entry_ids),
        "row_entry": dense.row_entry.tolist(),
        "texts": list(dense.texts),
    }
    _atomic_write(directory / INDEX_FILE, data)
    _atomic_write(directory / META_FILE, json.dumps(meta, ensure_ascii=False).encode())


def load(directory: Path, embedder: Embedder) -> tuple[DenseIndex, int] | None:
    """The stored index and the KB revision it was built at, if intact and this embedder's.

    A stale index is returned too: the caller compares its fingerprint and revision with the
    database, and a stale one still lends the vectors of unchanged texts to the rebuild.
    Anything unreadable or inconsistent yields None (and a warning), never a half-index.
    """
    meta_path, index_path = directory / META_FILE, directory / INDEX_FILE
    if not meta_path.exists() or not index_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_bytes())
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError("unknown meta.json format")
        if meta.get("embedder") != embedder.name or meta.get("dim") != embedder.dim:
            log.info(
                "kb index was built by %s (%s dims); rebuilding for %s (%s dims)",
                meta.get("embedder"),
                meta.get("dim"),
                embedder.name,
                embedder.dim,
            )
            return None
        data = index_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta.get("index_sha256"):
            raise ValueError("index.faiss does not match meta.json (checksum)")
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        if not isinstance(index, faiss.IndexFlatIP | faiss.IndexHNSWFlat):
            raise ValueError("index.faiss is not a flat or HNSW inner-product index")
        if index.d != embedder.dim or index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError("index.faiss is not an inner-product index of the right size")
        ids = [str(i) for i in meta["entries"]]
        texts = [str(t) for t in meta["texts"]]
        row_entry = np.asarray(meta["row_entry"], dtype=np.int32)
        n = int(index.ntotal)
        if meta["rows"] != n or len(texts) != n or row_entry.shape != (n,):
            raise ValueError("row mapping does not match the index")
        counts = np.bincount(row_entry, minlength=len(ids)) if n else np.zeros(len(ids), int)
        if len(counts) != len(ids) or np.any(np.diff(row_entry) < 0):
            raise ValueError("row mapping is not contiguous per entry")
        starts = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        items = ((eid, texts[starts[i] : starts[i + 1]]) for i, eid in enumerate(ids))
        fp = _digest(items, embedder.name)
        if fp != meta["fingerprint"]:
            raise ValueError("meta.json fingerprint does not match its own rows")
        revision = int(meta["revision"])
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as err:
        log.warning("kb index in %s is unusable (%s); rebuilding it", directory, err)
        return None
    dense = DenseIndex(
        index=index,
        texts=tuple(texts),
        row_entry=row_entry,
        entry_start=starts,
        embedder=embedder.name,
        dim=embedder.dim,
        fingerprint=fp,
    )
    return dense, revision


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file in the same directory, fsync, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
