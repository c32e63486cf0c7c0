"""The knowledge base: SQL-backed FAQ entries, hybrid retrieval and the answer decision.

SQL holds the entries; what search reads is an immutable snapshot (entries, dense index,
BM25) that is replaced as a whole after each ingest, so a search in flight finishes on the
snapshot it started with. Everything CPU-bound (embedding, faiss, tokenising, index builds)
runs in a worker thread.

Scoring (dense cosine, normalised BM25 and the intent classifier fused into one confidence)
and the answer / clarify / escalate rule live in :mod:`kb.scoring`; the thresholds are
self-calibrated at every index build (:mod:`kb.calibration`) unless configured as fixed.
Translations (entries sharing a group) are collapsed to the group's best score.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select

from core.db import Database, read_counter
from core.errors import BadRequest
from kb.batching import MicroBatcher
from kb.checks import EntryProblem, check_entry
from kb.embedders import Embedder, make_embedder
from kb.entries import REVISION_COUNTER, bump_revision, save
from kb.ingest import read_entries
from kb.ranking import MAX_RANKED, Query, Scored, Searched, dense_many, rank
from kb.scoring import Thresholds, decide
from kb.settings import KbSettings
from kb.snapshot import Snapshot, build_snapshot, in_language
from kb.tables import KbEntry
from kb.text import clean, detect_language, has_content
from kb.types import EntryIn, Hit, IngestReport, SearchResult, StoredEntry

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000  # longer queries are cut before embedding
QUERY_CACHE_SIZE = 2048
EMBED_SLICE = 64  # texts per embedder call in ``embed`` (the learning page's questions)
_NOTHING = SearchResult(decision="escalate", confidence=0.0, hits=())

FORGET_TOPIC = "kb.forget"  # {"digests": [...]}: drop those cached query vectors


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def query_digest(text: str) -> str:
    """The digest under which a customer text's query vector is cached (see ``forget``)."""
    return _sha1(_query_form(text))


class KnowledgeBase:
    """Ingest, search and fetch FAQ entries; the bot, the CLI and the app share one."""

    def __init__(
        self,
        db: Database,
        settings: KbSettings,
        data_dir: Path,
        embedder: Embedder | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.index_dir = Path(data_dir) / "kb"
        self._embedder = embedder
        self._snap: Snapshot | None = None
        self._load_lock = asyncio.Lock()
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._micro: MicroBatcher[Query, Searched] | None = None

    @property
    def revision(self) -> int | None:
        """The KB revision the live index was built from (None before load)."""
        return None if self._snap is None else self._snap.revision

    @property
    def thresholds(self) -> Thresholds | None:
        """The decision thresholds in force (self-calibrated or configured; None before load)."""
        return None if self._snap is None else self._snap.thresholds

    async def load(self) -> None:
        """Build or load the derived index and warm the embedder and tokenizer."""
        async with self._load_lock:
            await self._rebuild(previous=None, use_file=True, warm=True)

    async def refresh(self) -> bool:
        """Reload when another process changed the KB; True when the index was replaced."""
        snap = await self._ensure_loaded()
        async with self.db.reader() as session:
            revision = await read_counter(session, REVISION_COUNTER)
        if revision == snap.revision:
            return False
        async with self._load_lock:
            if self._snap is not None and self._snap.revision == revision:
                return False
            await self._rebuild(previous=self._snap, use_file=True, warm=False)
        return True

    async def ingest(self, entries: Sequence[EntryIn]) -> int:
        """Publish entries by id in one transaction (through :mod:`kb.entries`: a new version
        and a history row each), bump the revision, swap in a new index."""
        checked = await asyncio.to_thread(_check_all, entries)
        if not checked:
            return 0
        await self._ensure_loaded()
        async with self._load_lock:
            async with self.db.transaction() as session:
                await save(session, checked, status="published", action="ingest", author="ingest")
                revision = await bump_revision(session)
            log.info("kb: %d entries upserted, revision %d", len(checked), revision)
            await self._rebuild(previous=self._snap, use_file=False, warm=False)
        return len(checked)

    async def ingest_file(self, path: Path) -> IngestReport:
        """Read a .jsonl/.csv file and ingest its good rows; bad rows are reported."""
        entries, errors = await asyncio.to_thread(read_entries, path)
        count = await self.ingest(entries)
        return IngestReport(ingested=count, errors=tuple(errors))

    async def count(self) -> int:
        """How many published entries the database holds."""
        async with self.db.reader() as session:
            stmt = select(func.count()).select_from(KbEntry).where(KbEntry.status == "published")
            return int((await session.execute(stmt)).scalar_one())

    async def search(
        self, text: str, *, language: str | None = None, k: int | None = None
    ) -> SearchResult:
        """Find the entries that answer ``text`` and decide: answer, clarify or escalate."""
        snap = await self._ensure_loaded()
        query = _query_form(text)
        if not has_content(query) or not snap.entries:
            return _NOTHING
        k = max(1, min(k or self.settings.top_k, MAX_RANKED))
        # Embedding, faiss and scoring of concurrent searches share one worker-thread call.
        # The hits asked for, and at least two: the margin over the second decides.
        searched = (snap, query, self._cache.get(query), max(k, 2))
        vector, ranked = await self._batcher().encode(searched)
        self._remember(query, vector)
        if not ranked:
            return _NOTHING
        prefer = language or detect_language(query)
        hits = tuple(self._hit(snap, best, prefer) for best in ranked[:k])
        top = ranked[0].score
        second = ranked[1].score if len(ranked) > 1 else 0.0
        return SearchResult(
            decision=decide(top, second, snap.thresholds), confidence=top, hits=hits
        )

    async def get(self, entry_id: str, *, language: str | None = None) -> Hit | None:
        """An entry by id; with ``language``, its group's entry in that language if any."""
        snap = await self._ensure_loaded()
        pos = snap.by_id.get(entry_id)
        if pos is None:
            return None
        if language:
            pos = in_language(snap, pos, language)
        e = snap.entries[pos]
        return _make_hit(e, score=1.0, dense=1.0, lexical=1.0, matched=e.question)

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors of ``texts`` in the retrieval form, by the index's own embedder (a text
        the bot searched lately comes from the query cache, not the embedder)."""
        await self._ensure_loaded()
        assert self._embedder is not None
        embedder = self._embedder
        cleaned = [_query_form(t) for t in texts]
        out = np.zeros((len(cleaned), embedder.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(cleaned):
            cached = self._cache.get(text)
            if cached is not None:
                out[i] = cached
            else:
                todo.setdefault(text, []).append(i)
        fresh = list(todo)
        # In slices, so the bot's searches (which share the embedder) are not held up long.
        for start in range(0, len(fresh), EMBED_SLICE):
            batch = fresh[start : start + EMBED_SLICE]
            vectors = await asyncio.to_thread(embedder.encode, batch)
            for text, vector in zip(batch, vectors, strict=True):
                out[todo[text]] = vector
        return out

    def batch_sizes(self) -> dict[int, int]:
        """How many query embedding calls ran at each batch size since start."""
        return dict(sorted(self._micro.sizes.items())) if self._micro is not None else {}

    async def close(self) -> None:
        """Drop the in-memory index and the query cache (the database is not ours to close)."""
        if self._micro is not None and self._micro.sizes:
            # One line at shutdown: the bench reads it to time the embedder alone at these sizes.
            log.info("kb: query embedding batches %s", json.dumps(self.batch_sizes()))
        self._snap = None
        self._cache.clear()

    # -- internals ---------------------------------------------------------------------

    def _batcher(self) -> MicroBatcher[Query, Searched]:
        if self._micro is None:
            self._micro = MicroBatcher(self._search_batch)
        return self._micro

    def _search_batch(self, items: list[Query]) -> list[Searched | Exception]:
        """Blocking part of a batch of searches: embed what is not cached, faiss, score."""
        todo = [query for _, query, vec, _ in items if vec is None]
        if todo:
            assert self._embedder is not None
            fresh = iter(self._embedder.encode(todo))
        vectors = [vec if vec is not None else next(fresh) for _, _, vec, _ in items]
        out: list[Searched | Exception] = []
        found = dense_many(items, vectors)
        for (snap, query, _, keep), vector, near in zip(items, vectors, found, strict=True):
            try:
                out.append((vector, rank(snap, query, vector, near, self.settings, keep)))
            except Exception as err:  # one bad query fails alone
                out.append(err)
        return out

    async def _ensure_loaded(self) -> Snapshot:
        if self._snap is None:
            async with self._load_lock:
                if self._snap is None:
                    await self._rebuild(previous=None, use_file=True, warm=True)
        assert self._snap is not None
        return self._snap

    async def _rebuild(self, *, previous: Snapshot | None, use_file: bool, warm: bool) -> None:
        """Read the entries from SQL and swap in a snapshot built from them (lock held)."""
        if self._embedder is None:
            self._embedder = await asyncio.to_thread(make_embedder, self.settings)
        embedder = self._embedder
        # Revision first, then entries: if an ingest commits in between, the snapshot is
        # labelled older than its content and the next load rebuilds; never the reverse.
        t = KbEntry.__table__.c
        async with self.db.reader() as session:
            revision = await read_counter(session, REVISION_COUNTER)
            rows = (
                await session.execute(
                    select(
                        t.id, t.group_key, t.language, t.category, t.question, t.similar, t.answer
                    )
                    .where(t.status == "published")
                    .order_by(t.id)
                )
            ).all()
        snap = await asyncio.to_thread(
            build_snapshot,
            self.index_dir,
            embedder,
            revision,
            rows,
            previous,
            use_file,
            warm,
            self.settings,
        )
        self._snap = snap

    def _hit(self, snap: Snapshot, best: Scored, language: str) -> Hit:
        """The group's entry in ``language`` (else the best one), with the best evidence."""
        e = snap.entries[in_language(snap, best.pos, language)]
        matched = snap.entries[best.pos]
        text_no = best.row - int(snap.dense.entry_start[best.pos])
        return _make_hit(
            e,
            score=best.score,
            dense=best.dense,
            lexical=best.lexical,
            matched=matched.texts[text_no],
        )

    def forget(self, digests: Collection[str]) -> int:
        """Drop cached query vectors whose :func:`query_digest` is given (an erasure); how many.

        Digests, not texts: the request travels to every worker over pub/sub, and an erased
        customer's words should not travel again to be forgotten.
        """
        wanted = set(digests)
        gone = [q for q in self._cache if _sha1(q) in wanted]
        for query in gone:
            del self._cache[query]
        return len(gone)

    def on_forget(self, _topic: str, event: dict[str, Any]) -> None:
        """Hub listener for :data:`FORGET_TOPIC` (published by an erasure in any worker)."""
        digests = event.get("digests")
        if isinstance(digests, list):
            self.forget([d for d in digests if isinstance(d, str)])

    def _remember(self, query: str, vector: npt.NDArray[np.float32]) -> None:
        self._cache[query] = vector
        self._cache.move_to_end(query)
        while len(self._cache) > QUERY_CACHE_SIZE:
            self._cache.popitem(last=False)


def _query_form(text: str) -> str:
    """A customer's text as search reads it: cleaned, at most ``MAX_QUERY_CHARS``."""
    return clean(text[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]


def _make_hit(e: StoredEntry, *, score: float, dense: float, lexical: float, matched: str) -> Hit:
    return Hit(
        entry_id=e.id,
        question=e.question,
        answer=e.answer,
        category=e.category,
        language=e.language,
        group=e.group,
        score=score,
        dense=dense,
        lexical=lexical,
        matched=matched,
    )


def _check_all(entries: Sequence[EntryIn]) -> list[EntryIn]:
    """Every entry checked (BadRequest naming the first bad one); a later duplicate id wins."""
    checked: dict[str, EntryIn] = {}
    for entry in entries:
        try:
            ok = check_entry(entry)
        except EntryProblem as err:
            raise BadRequest(f"KB entry {entry.id!r}: {err}.") from None
        checked[ok.id] = ok
    return list(checked.values())
