"""KB entries: the one door that writes ``kb_entries`` and their history (``kb_entry_versions``).

Every way an entry is written goes through here, each in its caller's transaction:
``kefu kb ingest`` (and the demo KB and ``kefu kb eval``'s temporary KB), the spreadsheet
import (``kefu import kb``, which can be rolled back), authoring (the console, the public API,
drafts from conversations and the learning page), customers' votes and a contact's erasure.
So every change of content or status gives the entry its next ``version`` and one history row
with the whole entry as it now is, the action and the author, whoever made it.

Whether a change is allowed (roles, stale versions, published entries) is the caller's
business; entries come checked by :func:`kb.checks.check_entry`. A caller that changed
published content bumps the KB revision (:func:`bump_revision`) in the same transaction, so
every worker reloads its index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, next_counter
from core.models import utcnow
from kb.tables import KbEntry, KbEntryVersion
from kb.types import EntryIn

REVISION_COUNTER = "kb_revision"
STATUSES = ("draft", "published", "archived")
CHUNK = 500  # ids per SELECT ... IN, rows per statement
ENTRIES = cast(Table, KbEntry.__table__)
VERSIONS = cast(Table, KbEntryVersion.__table__)
TABLES = (ENTRIES, VERSIONS)  # what a temporary KB (kefu kb eval, the bench) must create
# The columns a write may change (a rollback of an import restores exactly these).
WRITTEN = (
    "group_key",
    "language",
    "category",
    "question",
    "similar",
    "answer",
    "status",
    "version",
    "updated_by",
    "updated_at",
)


@dataclass(frozen=True)
class Stored:
    """An entry as its row holds it."""

    id: str
    question: str
    answer: str
    similar: tuple[str, ...]
    category: str
    language: str
    group: str | None
    status: str
    version: int
    helpful: int
    unhelpful: int
    updated_by: str | None
    updated_at: datetime

    def columns(self) -> dict[str, Any]:
        """The row's values of the columns a write changes (for a rollback)."""
        return {
            "group_key": self.group,
            "language": self.language,
            "category": self.category,
            "question": self.question,
            "similar": list(self.similar),
            "answer": self.answer,
            "status": self.status,
            "version": self.version,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
        }

    def same(self, entry: EntryIn, status: str) -> bool:
        """Whether writing ``entry`` with ``status`` would change nothing."""
        return (
            self.question == entry.question
            and self.answer == entry.answer
            and self.similar == tuple(entry.similar)
            and self.category == entry.category
            and self.language == entry.language
            and self.group == entry.group
            and self.status == status
        )


@dataclass(frozen=True)
class Saved:
    """One entry written: how it was (None when new), how it is, its history row's id."""

    before: Stored | None
    after: Stored
    history_id: int


def from_row(row: Any) -> Stored:
    """An entry's row (selected from the table, or the ORM object) as :class:`Stored`."""
    return Stored(
        id=row.id,
        question=row.question,
        answer=row.answer,
        similar=tuple(str(s) for s in (row.similar or [])),
        category=row.category or "",
        language=row.language,
        group=row.group_key,
        status=row.status,
        version=row.version or 0,
        helpful=row.helpful or 0,
        unhelpful=row.unhelpful or 0,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def stored(
    session: AsyncSession, ids: Iterable[str] | None = None, *, lock: bool = False
) -> dict[str, Stored]:
    """The entries with these ids (every entry when None), by id; ``lock``: FOR UPDATE."""
    out: dict[str, Stored] = {}
    if ids is None:
        for row in await session.execute(select(ENTRIES)):
            out[row.id] = from_row(row)
        return out
    wanted = list(dict.fromkeys(ids))
    for i in range(0, len(wanted), CHUNK):
        stmt = select(ENTRIES).where(ENTRIES.c.id.in_(wanted[i : i + CHUNK]))
        for row in await session.execute(stmt.with_for_update() if lock else stmt):
            out[row.id] = from_row(row)
    return out


async def save(
    session: AsyncSession,
    entries: Sequence[EntryIn],
    *,
    status: str | None,
    action: str,
    author: str | None,
) -> list[Saved]:
    """Write checked entries by id (a later duplicate id wins): new ones inserted, existing
    ones overwritten with their next version; one history row each. ``status`` None keeps
    an entry's status (a new one starts as a draft)."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown KB entry status {status!r}")
    latest = {e.id: e for e in entries}
    before = await stored(session, latest, lock=True)
    now = utcnow()
    after: list[Stored] = []
    for e in latest.values():
        was = before.get(e.id)
        kept = was.status if was is not None else "draft"
        after.append(_written(e, was, status or kept, author, now))
    new = [s for s in after if s.id not in before]
    old = [s for s in after if s.id in before]
    for i in range(0, len(new), CHUNK):
        await session.execute(
            insert(ENTRIES),
            [
                {**s.columns(), "id": s.id, "helpful": 0, "unhelpful": 0, "created_at": now}
                for s in new[i : i + CHUNK]
            ],
        )
    changes = update(ENTRIES).where(ENTRIES.c.id == bindparam("entry_id"))
    for i in range(0, len(old), CHUNK):
        await session.execute(
            changes, [{**s.columns(), "entry_id": s.id} for s in old[i : i + CHUNK]]
        )
    history = await _history(session, after, action, author)
    return [Saved(before.get(s.id), s, h) for s, h in zip(after, history, strict=True)]


async def set_status(
    session: AsyncSession, entry: Stored, status: str, *, action: str, author: str | None
) -> Saved:
    """Move a stored (and locked) entry to ``status``: its next version, one history row."""
    if status not in STATUSES:
        raise ValueError(f"unknown KB entry status {status!r}")
    content = EntryIn(
        id=entry.id,
        question=entry.question,
        answer=entry.answer,
        similar=entry.similar,
        category=entry.category,
        language=entry.language,
        group=entry.group,
    )
    after = _written(content, entry, status, author, utcnow())
    await session.execute(update(ENTRIES).where(ENTRIES.c.id == entry.id).values(after.columns()))
    (history,) = await _history(session, [after], action, author)
    return Saved(entry, after, history)


async def bump_revision(session: AsyncSession) -> int:
    """The KB revision after one more change of what answers (every worker reloads)."""
    return await next_counter(session, REVISION_COUNTER)


async def remove(session: AsyncSession, ids: Sequence[str]) -> None:
    """Delete entries and their history (an erasure; the caller keeps published ones)."""
    for i in range(0, len(ids), CHUNK):
        chunk = list(ids[i : i + CHUNK])
        await session.execute(delete(VERSIONS).where(VERSIONS.c.entry_id.in_(chunk)))
        await session.execute(delete(ENTRIES).where(ENTRIES.c.id.in_(chunk)))


async def record_helpful(db: Database, entry_id: str, helpful: bool) -> bool:
    """Count one customer verdict on an entry's answer; False when the entry is unknown."""
    async with db.transaction() as session:
        return await count_vote(session, entry_id, None, int(helpful))


async def count_vote(session: AsyncSession, entry_id: str, before: int | None, vote: int) -> bool:
    """Keep an entry's helpful/unhelpful counters in step with a customer's vote (1 helpful,
    0 not) that replaces ``before`` (None: their first), in the caller's transaction; False
    when there is no such entry."""
    if before is not None:
        old = ENTRIES.c.helpful if before else ENTRIES.c.unhelpful
        await session.execute(
            update(ENTRIES).where(ENTRIES.c.id == entry_id).values({old: old - 1})
        )
    new = ENTRIES.c.helpful if vote else ENTRIES.c.unhelpful
    result = await session.execute(
        update(ENTRIES).where(ENTRIES.c.id == entry_id).values({new: new + 1})
    )
    return bool(getattr(result, "rowcount", 0))


def _written(
    e: EntryIn, before: Stored | None, status: str, author: str | None, now: datetime
) -> Stored:
    """The entry as it will be stored."""
    return Stored(
        id=e.id,
        question=e.question,
        answer=e.answer,
        similar=tuple(e.similar),
        category=e.category,
        language=e.language,
        group=e.group,
        status=status,
        version=(before.version if before else 0) + 1,
        helpful=before.helpful if before else 0,
        unhelpful=before.unhelpful if before else 0,
        updated_by=author,
        updated_at=now,
    )


def _snapshot(s: Stored) -> dict[str, Any]:
    """The whole entry as a history row keeps it."""
    return {
        "question": s.question,
        "answer": s.answer,
        "similar": list(s.similar),
        "category": s.category,
        "language": s.language,
        "group": s.group,
    }


async def _history(
    session: AsyncSession, written: Sequence[Stored], action: str, author: str | None
) -> list[int]:
    """One history row per written entry; their ids, in order."""
    ids: list[int] = []
    stmt = insert(VERSIONS).returning(VERSIONS.c.id, sort_by_parameter_order=True)
    for i in range(0, len(written), CHUNK):
        rows = [
            {
                "entry_id": s.id,
                "version": s.version,
                "action": action,
                "status": s.status,
                "snapshot": _snapshot(s),
                "author": author,
                "created_at": s.updated_at,
            }
            for s in written[i : i + CHUNK]
        ]
        ids += [int(r[0]) for r in await session.execute(stmt, rows)]
    return ids
