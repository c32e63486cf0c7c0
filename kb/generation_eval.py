"""``kefu kb eval --generate``: how often a generated reply kept to its source.

For each question the knowledge base *answers* (the bot's gate) whose entry has an answer in
the set (corpus rows with ``answer``), the configured model is asked exactly as the bot asks
it (:mod:`kb.generation`: the same entries, rules and masking) and its reply is measured
with :mod:`kb.grounding` against the entries it was given. Reported:

* ``kept_sentences``: of all counted sentences of all replies, the share kept to the source;
* ``kept_replies``: the share of replies the bot would send (kept share >= ``min_kept``);
  the rest, and every failure, would have been the entry's own answer;
* ``named_right``: the share of replies naming an entry that answers the question;
* ``failures``: requests that gave no reply, by reason (timeout, http_429, malformed...).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from kb.generation import Draft, GenerationFailed, Generator, sources
from kb.service import KnowledgeBase
from kb.settings import GenerationSettings
from kb.text import detect_language
from kb.types import EntryIn, Hit

CONCURRENCY = 4  # requests in flight: enough to keep a local server busy, polite to a hosted one


@dataclass(frozen=True)
class GenerationEval:
    """The measures of ``--generate`` on one set."""

    asked: int  # answered questions whose entry has an answer (at most the limit)
    replies: int  # of those, the model replied
    sentences: int  # counted sentences of the replies
    kept_sentences: float
    kept_replies: float
    named_right: float
    failures: dict[str, int] = field(default_factory=dict)
    seconds_per_reply: float = 0.0  # the model's mean time to a reply
    min_kept: float = 1.0

    def report(self) -> dict[str, object]:
        """As ``kefu kb eval --json`` prints it."""
        return {
            "asked": self.asked,
            "replies": self.replies,
            "sentences": self.sentences,
            "kept_sentences": round(self.kept_sentences, 4),
            "kept_replies": round(self.kept_replies, 4),
            "named_right": round(self.named_right, 4),
            "failures": dict(sorted(self.failures.items())),
            "seconds_per_reply": round(self.seconds_per_reply, 3),
            "min_kept": self.min_kept,
        }


async def evaluate_generation(
    kb: KnowledgeBase,
    questions: list[tuple[str, frozenset[str]]],
    entries: tuple[EntryIn, ...],
    generator: Generator,
    settings: GenerationSettings,
    *,
    limit: int,
) -> GenerationEval:
    """Ask the model for every answered question (up to ``limit``) and measure the replies."""
    with_answer = {e.id for e in entries if e.answer and e.answer != e.id}
    floor = kb.thresholds.clarify if kb.thresholds is not None else 0.0
    jobs: list[tuple[str, frozenset[str], list[Hit], str]] = []
    for text, relevant in questions:
        if len(jobs) >= limit:
            break
        result = await kb.search(text)
        language = detect_language(text)
        if result.decision != "answer" or not result.hits:
            continue
        if result.hits[0].entry_id not in with_answer:
            continue
        given = sources(result.hits, language, limit=settings.context_entries, floor=floor)
        jobs.append((text, relevant, given, language))
    gate = asyncio.Semaphore(CONCURRENCY)
    failures: Counter[str] = Counter()

    async def one(text: str, given: list[Hit], language: str) -> Draft | None:
        if not given:
            failures["language"] += 1  # the entry is not in the question's language
            return None
        async with gate:
            try:
                return await generator.draft(text, given, language, settings.timeout_seconds)
            except GenerationFailed as err:
                failures[err.reason] += 1
                return None

    drafts = await asyncio.gather(*(one(t, g, lang) for t, _r, g, lang in jobs))
    got = [(d, job[1]) for d, job in zip(drafts, jobs, strict=True) if d is not None]
    counted = sum(d.grounding.counted for d, _ in got)
    kept = sum(d.grounding.kept for d, _ in got)
    passing = sum(1 for d, _ in got if d.grounding.holds(settings.min_kept))
    right = sum(1 for d, relevant in got if d.entry_id in relevant)
    return GenerationEval(
        asked=len(jobs),
        replies=len(got),
        sentences=counted,
        kept_sentences=kept / counted if counted else 0.0,
        kept_replies=passing / len(got) if got else 0.0,
        named_right=right / len(got) if got else 0.0,
        failures=dict(failures),
        seconds_per_reply=sum(d.seconds for d, _ in got) / len(got) if got else 0.0,
        min_kept=settings.min_kept,
    )
