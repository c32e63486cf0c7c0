"""``kefu kb eval``: measure retrieval and the answer decision on a labelled question set.

The set's layout is BEIR's plus labels (see ``docs/quality.md``): ``corpus.jsonl`` rows
``{"_id", "text", "label"?, "answer"?}``, ``queries.jsonl`` rows ``{"_id", "text", "label"?,
"oos"?}`` and an optional ``qrels.tsv``. Corpus rows sharing a label are one FAQ entry (the
first row is its question, the others its similar questions, the first ``answer`` its answer:
only ``--generate`` needs answers); unlabelled rows are entries of their own.

A temporary knowledge base (SQLite file and index in a temp directory; the real one is never
touched) is built from the corpus and every query goes through ``KnowledgeBase.search``, the
same retrieval and decision the bot uses. Vectors are cached on disk by text hash
(:mod:`kb.vector_cache`), so only the first run on a set pays for embedding it.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from core.db import Database
from core.errors import BadRequest
from core.models import Base, Counter
from kb.calibration import Quiz, best_threshold, thresholds_from
from kb.choices import close_hits
from kb.embedders import Embedder, make_embedder
from kb.entries import TABLES as KB_TABLES
from kb.scoring import CONFIDENT_LEAD, Thresholds
from kb.service import KnowledgeBase
from kb.settings import GenerationSettings, KbSettings
from kb.types import EntryIn
from kb.vector_cache import CachedEmbedder

if TYPE_CHECKING:
    from kb.generation import Generator
    from kb.generation_eval import GenerationEval

MODES = ("fused", "hybrid", "dense", "bm25")
MODE_HELP = {
    "fused": "dense + BM25 + intent classifier (the default search)",
    "hybrid": "dense + BM25, no classifier (kefu's v1 search)",
    "dense": "dense only (plain vector search)",
    "bm25": "BM25 only (keyword search)",
}
TARGET_PRECISION = 0.95  # --calibrate on a set without out-of-scope queries


@dataclass(frozen=True)
class EvalQuery:
    """One labelled question and the entry ids that answer it."""

    id: str
    text: str
    relevant: frozenset[str]
    oos: bool


@dataclass(frozen=True)
class EvalSet:
    """A corpus grouped into entries, and the questions to ask it."""

    name: str
    entries: tuple[EntryIn, ...]
    queries: tuple[EvalQuery, ...]

    @property
    def has_oos(self) -> bool:
        """Whether some questions are out of scope."""
        return any(q.oos for q in self.queries)


@dataclass(frozen=True)
class EvalResult:
    """The measures of one search mode on one set."""

    mode: str
    queries: int
    recall_at_1: float
    recall_at_5: float
    mrr_at_10: float
    answered_in_scope: float
    answer_precision: float
    refused_oos: float | None
    oos_auroc: float | None
    ms_per_query: float
    thresholds: Thresholds
    quiz: Quiz  # per-query confidences, for --calibrate
    clarified: float = 0.0  # share of in-scope questions the bot would clarify
    clarify_hit_rate: float | None = None  # of those: the right entry is among the choices
    clarify_choices: float = 0.0  # how many choices a clarification offers on average
    generation: GenerationEval | None = None  # --generate: the first mode only


def _jsonl(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise BadRequest(f"{path}: line {n} is not valid JSON ({err.msg}).") from err
        if not isinstance(obj, dict) or "_id" not in obj or "text" not in obj:
            raise BadRequest(f"{path}: line {n} needs '_id' and 'text'.")
        rows.append(obj)
    return rows


def load_set(directory: Path) -> EvalSet:
    """Read an evaluation set directory (blocking)."""
    corpus_path, queries_path = directory / "corpus.jsonl", directory / "queries.jsonl"
    if not corpus_path.is_file() or not queries_path.is_file():
        raise BadRequest(f"{directory}: an eval set needs corpus.jsonl and queries.jsonl.")
    corpus = _jsonl(corpus_path)
    by_entry: dict[str, list[str]] = {}
    answers: dict[str, str] = {}
    entry_of: dict[str, str] = {}
    for row in corpus:
        text = str(row["text"]).strip()
        label = row.get("label")
        entry_id = f"label:{label}" if label not in (None, "") else f"doc:{row['_id']}"
        entry_of[str(row["_id"])] = entry_id
        if text:
            by_entry.setdefault(entry_id, []).append(text)
        answer = str(row.get("answer") or "").strip()
        if answer:  # the entry's answer (for --generate); the first row that has one
            answers.setdefault(entry_id, answer)
    entries = tuple(
        EntryIn(id=eid, question=texts[0], similar=tuple(texts[1:]), answer=answers.get(eid, eid))
        for eid, texts in by_entry.items()
    )
    qrels: dict[str, set[str]] = {}
    qrels_path = directory / "qrels.tsv"
    if qrels_path.is_file():
        for n, line in enumerate(qrels_path.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.split("\t")
            if (n == 1 and parts[0] == "query-id") or not line.strip():
                continue
            if len(parts) < 2:
                raise BadRequest(f"{qrels_path}: line {n} needs query-id and corpus-id.")
            score = float(parts[2]) if len(parts) > 2 and parts[2].strip() else 1.0
            if score > 0 and parts[1] in entry_of:
                qrels.setdefault(parts[0], set()).add(entry_of[parts[1]])
    queries: list[EvalQuery] = []
    for row in _jsonl(queries_path):
        qid = str(row["_id"])
        relevant = set(qrels.get(qid, ()))
        label = row.get("label")
        oos = bool(row.get("oos"))
        if label not in (None, "") and not oos:
            relevant.add(f"label:{label}")
        queries.append(EvalQuery(qid, str(row["text"]), frozenset(relevant), oos))
    return EvalSet(directory.name, entries, tuple(queries))


def mode_settings(settings: KbSettings, mode: str) -> KbSettings:
    """The settings that make the knowledge base search the given way."""
    if mode == "hybrid":
        return dataclasses.replace(settings, classifier_weight=0.0)
    if mode == "dense":
        return dataclasses.replace(settings, classifier_weight=0.0, bm25_weight=0.0)
    if mode == "bm25":
        return dataclasses.replace(settings, classifier_weight=0.0, bm25_weight=1.0)
    return settings


async def evaluate(
    directory: Path,
    settings: KbSettings,
    *,
    modes: Sequence[str] = MODES,
    cache_dir: Path | None = None,
    embedder: Embedder | None = None,
    generator: Generator | None = None,
    generation: GenerationSettings | None = None,
    generate_limit: int = 200,
) -> tuple[EvalSet, list[EvalResult]]:
    """Build a temporary KB from the set and measure each mode on its queries; with a
    ``generator``, also how the model's replies keep to their entries (first mode)."""
    import asyncio

    data = await asyncio.to_thread(load_set, directory)
    if not data.entries:
        raise BadRequest(f"{directory}: the corpus has no entries.")
    inner = embedder if embedder is not None else await asyncio.to_thread(make_embedder, settings)
    cached = CachedEmbedder(inner, cache_dir) if cache_dir is not None else None
    emb: Embedder = cached if cached is not None else inner
    results: list[EvalResult] = []
    with tempfile.TemporaryDirectory(prefix="kefu-eval-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'eval.db'}")
        try:
            async with db.engine.begin() as conn:
                await conn.run_sync(
                    Base.metadata.create_all,
                    tables=[*KB_TABLES, Counter.__table__],  # type: ignore[list-item]
                )
            if cached is not None:  # embed the questions in big batches, once
                await asyncio.to_thread(cached.encode, [q.text for q in data.queries])
            first = True
            for mode in modes:
                kb = KnowledgeBase(db, mode_settings(settings, mode), Path(tmp), embedder=emb)
                try:
                    if first:
                        await kb.ingest(data.entries)
                        first = False
                    await kb.load()
                    result = await _run(kb, mode, data)
                    if generator is not None and generation is not None and not results:
                        from kb.generation_eval import evaluate_generation

                        questions = [(q.text, q.relevant) for q in data.queries]
                        measured = await evaluate_generation(
                            kb, questions, data.entries, generator, generation, limit=generate_limit
                        )
                        result = dataclasses.replace(result, generation=measured)
                    results.append(result)
                finally:
                    await kb.close()
        finally:
            await db.dispose()
            if cached is not None:
                await asyncio.to_thread(cached.save)
    return data, results


async def _run(kb: KnowledgeBase, mode: str, data: EvalSet) -> EvalResult:
    """Ask every question; collect ranks, decisions and confidences."""
    n = len(data.queries)
    rank = np.zeros(n, dtype=np.int64)  # 1-based rank of the first right hit, 0 = none
    top = np.zeros(n, dtype=np.float32)
    second = np.zeros(n, dtype=np.float32)
    answered = np.zeros(n, dtype=bool)
    correct = np.zeros(n, dtype=bool)
    clarified = np.zeros(n, dtype=bool)
    offered_right = np.zeros(n, dtype=bool)
    offered = np.zeros(n, dtype=np.int64)
    limit = kb.settings.clarify_choices
    started = time.perf_counter()
    for i, q in enumerate(data.queries):
        result = await kb.search(q.text, k=10)
        for r, hit in enumerate(result.hits, start=1):
            if hit.entry_id in q.relevant:
                rank[i] = r
                break
        if result.decision == "clarify" and kb.thresholds is not None:
            choices = close_hits(result.hits, limit, kb.thresholds.clarify)
            clarified[i] = bool(choices)
            offered[i] = len(choices)
            offered_right[i] = any(h.entry_id in q.relevant for h in choices)
        top[i] = result.confidence
        second[i] = result.hits[1].score if len(result.hits) > 1 else 0.0
        answered[i] = result.decision == "answer"
        correct[i] = rank[i] == 1
    elapsed = time.perf_counter() - started
    oos = np.asarray([q.oos for q in data.queries], dtype=bool)
    scored = ~oos & np.asarray([bool(q.relevant) for q in data.queries], dtype=bool)
    in_scope = ~oos
    thresholds = kb.thresholds
    assert thresholds is not None
    r = rank[scored]
    n_answered = int(answered.sum())
    asked_back = clarified & scored
    return EvalResult(
        mode=mode,
        queries=n,
        recall_at_1=_share(r == 1),
        recall_at_5=_share((r >= 1) & (r <= 5)),
        mrr_at_10=float(np.where(r >= 1, 1.0 / np.maximum(r, 1), 0.0).mean()) if r.size else 0.0,
        answered_in_scope=_share(answered[in_scope]),
        answer_precision=float((answered & correct).sum()) / n_answered if n_answered else 0.0,
        refused_oos=_share(~answered[oos]) if oos.any() else None,
        oos_auroc=auroc(top[in_scope], top[oos]) if oos.any() and in_scope.any() else None,
        ms_per_query=1000.0 * elapsed / max(n, 1),
        thresholds=thresholds,
        quiz=Quiz(top=top, second=second, correct=correct & in_scope, in_scope=in_scope),
        clarified=_share(clarified[in_scope]),
        clarify_hit_rate=_share(offered_right[asked_back]) if asked_back.any() else None,
        clarify_choices=float(offered[clarified].mean()) if clarified.any() else 0.0,
    )


def _share(mask: npt.NDArray[np.bool_]) -> float:
    return float(mask.mean()) if mask.size else 0.0


def auroc(positive: npt.NDArray[np.float32], negative: npt.NDArray[np.float32]) -> float:
    """Area under the ROC curve: P(a positive scores above a negative), ties counting half."""
    scores = np.concatenate([positive, negative]).astype(np.float64)
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    average_rank = ends - (counts - 1) / 2.0  # 1-based average rank of each distinct value
    ranks = average_rank[inverse]
    n_pos, n_neg = positive.size, negative.size
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def calibrate(result: EvalResult, settings: KbSettings) -> Thresholds:
    """Thresholds chosen from a labelled run: best J with out-of-scope questions, else the
    lowest answer threshold whose answers are at least ``TARGET_PRECISION`` right."""
    quiz = result.quiz
    answer = best_threshold(quiz, settings.margin)
    if answer is None:
        from kb.calibration import GRID

        for t in GRID:
            ok = (quiz.top >= t) & (
                (quiz.top - quiz.second >= settings.margin) | (quiz.top >= t + CONFIDENT_LEAD)
            )
            if ok.any() and float((ok & quiz.correct).sum()) / int(ok.sum()) >= TARGET_PRECISION:
                answer = float(t)
                break
    if answer is None:
        raise BadRequest("cannot calibrate: no threshold reaches the target precision.")
    return thresholds_from(answer, settings, "eval")


def report(data: EvalSet, results: Sequence[EvalResult]) -> dict[str, object]:
    """The JSON object ``kefu kb eval --json`` prints: the first mode's measures on top."""

    def measures(r: EvalResult) -> dict[str, object]:
        out: dict[str, object] = {
            "queries": r.queries,
            "recall_at_1": round(r.recall_at_1, 4),
            "recall_at_5": round(r.recall_at_5, 4),
            "mrr_at_10": round(r.mrr_at_10, 4),
            "answered_in_scope": round(r.answered_in_scope, 4),
            "answer_precision": round(r.answer_precision, 4),
        }
        if r.refused_oos is not None:
            out["refused_oos"] = round(r.refused_oos, 4)
        if r.oos_auroc is not None:
            out["oos_auroc"] = round(r.oos_auroc, 4)
        out["clarified"] = round(r.clarified, 4)
        if r.clarify_hit_rate is not None:
            out["clarify_hit_rate"] = round(r.clarify_hit_rate, 4)
        out["clarify_choices"] = round(r.clarify_choices, 2)
        out["ms_per_query"] = round(r.ms_per_query, 2)
        out["thresholds"] = {
            "answer": round(r.thresholds.answer, 4),
            "clarify": round(r.thresholds.clarify, 4),
            "margin": round(r.thresholds.margin, 4),
            "source": r.thresholds.source,
        }
        return out

    head = results[0]
    body: dict[str, object] = {"set": data.name, "entries": len(data.entries), "mode": head.mode}
    body.update(measures(head))
    body["modes"] = {r.mode: measures(r) for r in results}
    if head.generation is not None:
        body["generation"] = head.generation.report()
    return body
