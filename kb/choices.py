"""Which entries to offer when the knowledge base is unsure (the clarify decision).

A fixed count of choices pads a clear two-way question with unrelated entries, and the
customer who picks one of those gets a wrong answer. The choices offered are the hits whose
confidence is *close to the top one*: at least ``CLOSE_SHARE`` of it, and never below the
clarify threshold. How many of those a channel shows is the channel's business (its
capabilities cap the count), so the cap is an argument. ``kefu kb eval`` measures the rule on
labelled sets: how often the right entry is among the offered choices when the bot clarifies
(the *clarify hit rate*) and how many it offers on average.

Choices are grouped by category when that tells them apart: the entries are ordered by
their category's best score, and when they come from more than one category each label
names its category (see :func:`labels`).
"""

from __future__ import annotations

from collections.abc import Sequence

from kb.types import Hit

CLOSE_SHARE = 0.8  # a choice scores at least this share of the top hit's confidence
MIN_CHOICES = 2  # a clarification offers at least two entries when there are two
DEFAULT_LIMIT = 3  # when the channel does not say how many it shows well


def close_hits(hits: Sequence[Hit], limit: int = DEFAULT_LIMIT, floor: float = 0.0) -> list[Hit]:
    """The hits to offer as choices, best first: close to the top, at most ``limit``.

    ``floor`` is the clarify threshold: a hit below it is never offered, except that the
    runner-up joins the top hit when nothing else is close, since a clarification of one
    entry is a yes/no question the customer cannot answer with "no, the other one".
    """
    if not hits or limit < 1:
        return []
    top = hits[0].score
    near = [h for h in hits[:limit] if h.score >= max(top * CLOSE_SHARE, floor)]
    if len(near) < min(MIN_CHOICES, limit, len(hits)):
        near = list(hits[: min(MIN_CHOICES, limit)])
    return group_by_category(near)


def group_by_category(hits: Sequence[Hit]) -> list[Hit]:
    """Hits of one category together, categories in order of their best hit (stable)."""
    rank: dict[str, int] = {}
    for h in hits:
        rank.setdefault(h.category, len(rank))
    return sorted(hits, key=lambda h: rank[h.category])


def needs_category(hits: Sequence[Hit]) -> bool:
    """Whether naming the category tells the choices apart: they span several categories."""
    return len({h.category for h in hits if h.category}) >= 2


def labels(hits: Sequence[Hit], category_names: dict[str, str] | None = None) -> list[str]:
    """The label of each choice: its question, prefixed by its category when that helps."""
    if not needs_category(hits):
        return [h.question for h in hits]
    names = category_names or {}
    return [
        f"{names.get(h.category, h.category)} · {h.question}" if h.category else h.question
        for h in hits
    ]
