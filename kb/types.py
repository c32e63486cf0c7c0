"""Types that cross the knowledge base's boundary: entries in, hits and decisions out."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain import Decision


@dataclass(frozen=True)
class EntryIn:
    """One FAQ entry to ingest (upserted by ``id``)."""

    id: str
    question: str
    answer: str
    similar: tuple[str, ...] = ()
    category: str = ""
    language: str = ""  # "zh" | "en"; "" = detect from the question
    group: str | None = None  # entries that are translations of each other share a group


@dataclass(frozen=True)
class Hit:
    """One entry found by a search (or fetched by id).

    ``score`` is the group's fused confidence; ``dense``, ``lexical`` and ``matched`` describe
    the entry of the group that matched best, which may be a translation of the entry whose
    question and answer are shown (see ``KnowledgeBase.search``).
    """

    entry_id: str
    question: str
    answer: str
    category: str
    language: str
    group: str | None
    score: float  # fused confidence in [0, 1]
    dense: float  # best cosine of the query vs the entry's question/similar questions
    lexical: float  # normalised BM25 in [0, 1]
    matched: str  # which question/similar question matched best (dense)


@dataclass(frozen=True)
class SearchResult:
    """What the knowledge base advises for one query, with its evidence."""

    decision: Decision
    confidence: float
    hits: tuple[Hit, ...]  # best first, one hit per group, at most k


@dataclass(frozen=True)
class IngestError:
    """One entry of an input file that could not be read."""

    line: int
    message: str


@dataclass(frozen=True)
class IngestReport:
    """The outcome of ingesting a file: entries written and rows rejected."""

    ingested: int
    errors: tuple[IngestError, ...]


@dataclass(frozen=True)
class StoredEntry:
    """A published entry as the index holds it (read from SQL, the source of truth)."""

    id: str
    group: str | None
    language: str
    category: str
    question: str
    similar: tuple[str, ...]
    answer: str

    @property
    def group_key(self) -> str:
        """The key translations are collapsed by: the group, or the entry's own id."""
        return self.group if self.group else f"\x00{self.id}"

    @property
    def texts(self) -> tuple[str, ...]:
        """Every text a customer may ask this by: the question, then the similar questions."""
        return (self.question, *self.similar)
