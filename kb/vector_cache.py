"""A persistent text -> vector cache around an embedder, for evaluation runs.

``kefu kb eval`` embeds the same 10,000-row corpora and thousands of queries on every run;
on two shared cores that is a minute each time. This wrapper keeps every vector it has
computed in ``cache_dir/<embedder>.npz`` keyed by the SHA-1 of the text, so a repeated run
embeds nothing. It is never used by the live knowledge base (whose own derived index file
already reuses vectors of unchanged texts).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kb.embedders import Embedder

log = logging.getLogger(__name__)

BATCH = 256


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class CachedEmbedder:
    """An embedder that remembers every vector on disk (same name and dim as the inner one)."""

    def __init__(self, inner: Embedder, cache_dir: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", inner.name)
        self.path = Path(cache_dir) / f"{safe}-{inner.dim}.npz"
        self._lock = threading.Lock()
        self._rows: dict[str, int] = {}
        self._vecs = np.zeros((0, self.dim), dtype=np.float32)
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            with np.load(self.path) as data:
                keys = [str(k) for k in data["keys"]]
                vecs = np.asarray(data["vecs"], dtype=np.float32)
            if vecs.shape != (len(keys), self.dim):
                raise ValueError("shape mismatch")
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError) as err:
            log.warning("kb: ignoring unreadable vector cache %s (%s)", self.path, err)
            return
        self._rows = {k: i for i, k in enumerate(keys)}
        self._vecs = vecs

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Vectors of the texts, embedding only those never seen before (blocking)."""
        keys = [_key(t) for t in texts]
        with self._lock:
            missing: dict[str, str] = {}
            for k, t in zip(keys, texts, strict=True):
                if k not in self._rows:
                    missing[k] = t
            if missing:
                todo = list(missing.items())
                parts = [self._vecs]
                for i in range(0, len(todo), BATCH):
                    parts.append(self.inner.encode([t for _, t in todo[i : i + BATCH]]))
                # Every batch succeeded: append rows in the order of ``todo``.
                for k, _ in todo:
                    self._rows[k] = len(self._rows)
                self._vecs = np.concatenate(parts).astype(np.float32, copy=False)
                self._dirty = True
            idx = np.fromiter((self._rows[k] for k in keys), dtype=np.int64, count=len(keys))
            return self._vecs[idx].copy()

    def save(self) -> None:
        """Write the cache (atomically) if anything was added."""
        with self._lock:
            if not self._dirty:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".vectors.", suffix=".npz", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    np.savez(f, keys=np.asarray(list(self._rows)), vecs=self._vecs)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._dirty = False


def forget_texts(cache_dir: Path, texts: list[str]) -> int:
    """Remove the vectors of ``texts`` from every cache file in ``cache_dir``; how many.

    An erased customer's messages may have been embedded by an evaluation or benchmark run
    over exported conversations: the cache holds their vectors under the text's digest.
    """
    digests = {_key(t) for t in texts}
    removed = 0
    for path in sorted(Path(cache_dir).glob("*.npz")) if Path(cache_dir).is_dir() else []:
        try:
            with np.load(path) as data:
                keys = [str(k) for k in data["keys"]]
                vecs = np.asarray(data["vecs"], dtype=np.float32)
        except (OSError, ValueError, KeyError) as err:
            log.warning("kb: cannot read vector cache %s (%s)", path, err)
            continue
        keep = [i for i, k in enumerate(keys) if k not in digests]
        if len(keep) == len(keys):
            continue
        removed += len(keys) - len(keep)
        fd, tmp = tempfile.mkstemp(prefix=".vectors.", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, keys=np.asarray([keys[i] for i in keep]), vecs=vecs[keep])
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return removed
