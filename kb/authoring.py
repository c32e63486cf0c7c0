"""Authoring: entries as drafts, published or archived, with versions and a history.

Rules (also in docs/knowledge-base.md):

* only ``published`` entries answer; a new entry starts as a ``draft``;
* every change writes the entry row (``version`` + 1) and one ``kb_entry_versions`` row with
  the whole entry as it now is, the action and the author;
* agents may create and edit drafts; publishing, archiving and editing a published entry
  need the ``admin`` or ``supervisor`` role (a published entry's text is what customers read);
* a change that touches published content bumps the KB revision in the same transaction and
  the live index is swapped for one that reuses every unchanged vector (no restart, no full
  re-embedding); other workers pick it up through ``KnowledgeBase.refresh``.

Optimistic concurrency: an edit carries the version it was made from; if the entry moved on
since, it is refused (Conflict) instead of silently overwriting someone else's change.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import next_counter
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.models import Conversation, KbEntry, KbEntryVersion, Message, utcnow
from kb.ingest import EntryProblem, check_entry
from kb.service import REVISION_COUNTER, KnowledgeBase
from kb.types import EntryIn

STATUSES = ("draft", "published", "archived")
PUBLISHERS = frozenset({"admin", "supervisor"})
AUTHORS = frozenset({"admin", "supervisor", "agent"})
MAX_LIST = 200


@dataclass(frozen=True)
class Author:
    """Who makes a change (an agent of the console)."""

    id: int
    name: str
    role: str

    @property
    def can_publish(self) -> bool:
        """Whether this author may publish, archive and edit published entries."""
        return self.role in PUBLISHERS


@dataclass(frozen=True)
class EntryRecord:
    """An entry as authoring shows it: content, status, version and helpfulness."""

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
    updated_at: str


@dataclass(frozen=True)
class VersionRecord:
    """One line of an entry's history."""

    version: int
    action: str
    status: str
    author: str | None
    created_at: str
    question: str
    answer: str


def _record(row: KbEntry) -> EntryRecord:
    return EntryRecord(
        id=row.id,
        question=row.question,
        answer=row.answer,
        similar=tuple(str(s) for s in (row.similar or [])),
        category=row.category or "",
        language=row.language,
        group=row.group_key,
        status=row.status,
        version=row.version,
        helpful=row.helpful,
        unhelpful=row.unhelpful,
        updated_by=row.updated_by,
        updated_at=row.updated_at.isoformat(),
    )


def _snapshot(row: KbEntry) -> dict[str, Any]:
    return {
        "question": row.question,
        "answer": row.answer,
        "similar": list(row.similar or []),
        "category": row.category,
        "language": row.language,
        "group": row.group_key,
    }


def new_id(question: str) -> str:
    """A readable, unique id for a new entry: a slug of the question plus a short suffix."""
    slug = re.sub(r"[^0-9a-z]+", "-", question.lower()).strip("-")[:40]
    return f"{slug or 'entry'}-{uuid.uuid4().hex[:8]}"


def checked(entry: EntryIn) -> EntryIn:
    """The entry validated (BadRequest with the reason)."""
    try:
        return check_entry(entry)
    except EntryProblem as err:
        raise BadRequest(f"KB entry: {err}.") from None


class Authoring:
    """Create, edit, publish, archive, list and export KB entries; keeps the index live."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.db = kb.db

    async def entries(
        self, *, status: str | None = None, query: str = "", offset: int = 0, limit: int = 50
    ) -> tuple[list[EntryRecord], int]:
        """Entries (newest change first) matching a status and a text filter, and the total."""
        t = KbEntry
        stmt = select(t)
        if status:
            if status not in STATUSES:
                raise BadRequest(f"status must be one of {', '.join(STATUSES)}.")
            stmt = stmt.where(t.status == status)
        if query.strip():
            like = f"%{query.strip().lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(t.id).like(like),
                    func.lower(t.question).like(like),
                    func.lower(t.answer).like(like),
                    func.lower(t.category).like(like),
                )
            )
        async with self.db.reader() as session:
            total = (
                await session.execute(select(func.count()).select_from(stmt.subquery()))
            ).scalar_one()
            rows = (
                await session.execute(
                    stmt.order_by(t.updated_at.desc(), t.id)
                    .offset(max(offset, 0))
                    .limit(max(1, min(limit, MAX_LIST)))
                )
            ).scalars()
            return [_record(r) for r in rows], int(total)

    async def get(self, entry_id: str) -> tuple[EntryRecord, list[VersionRecord]]:
        """One entry and its history, newest first."""
        async with self.db.reader() as session:
            row = await session.get(KbEntry, entry_id)
            if row is None:
                raise NotFound(f"KB entry {entry_id!r} does not exist.")
            versions = (
                await session.execute(
                    select(KbEntryVersion)
                    .where(KbEntryVersion.entry_id == entry_id)
                    .order_by(KbEntryVersion.version.desc())
                )
            ).scalars()
            history = [
                VersionRecord(
                    version=v.version,
                    action=v.action,
                    status=v.status,
                    author=v.author,
                    created_at=v.created_at.isoformat(),
                    question=str(v.snapshot.get("question", "")),
                    answer=str(v.snapshot.get("answer", "")),
                )
                for v in versions
            ]
            return _record(row), history

    async def create(self, entry: EntryIn, author: Author, *, publish: bool = False) -> EntryRecord:
        """A new entry: a draft, or published at once when the author may publish."""
        _require(author, AUTHORS)
        if publish and not author.can_publish:
            raise Forbidden("Only admins and supervisors may publish. 只有管理员和主管可以发布。")
        if not entry.id.strip():
            entry = EntryIn(**{**entry.__dict__, "id": new_id(entry.question)})
        entry = checked(entry)
        status = "published" if publish else "draft"
        async with self.db.transaction() as session:
            if await session.get(KbEntry, entry.id) is not None:
                raise Conflict(f"KB entry {entry.id!r} already exists.")
            row = KbEntry(
                id=entry.id,
                group_key=entry.group,
                language=entry.language,
                category=entry.category,
                question=entry.question,
                similar=list(entry.similar),
                answer=entry.answer,
                status=status,
                version=1,
                updated_by=author.name,
            )
            session.add(row)
            await session.flush()
            _history(session, row, "create", author)
            if publish:
                await next_counter(session, REVISION_COUNTER)
            record = _record(row)
        if publish:
            await self.kb.refresh()
        return record

    async def edit(self, entry: EntryIn, author: Author, *, version: int | None) -> EntryRecord:
        """Overwrite an entry's content (status kept); refused if ``version`` is stale."""
        _require(author, AUTHORS)
        entry = checked(entry)
        async with self.db.transaction() as session:
            row = await _locked(session, entry.id)
            if version is not None and row.version != version:
                raise Conflict(
                    f"KB entry {entry.id!r} was changed by {row.updated_by or 'someone'} "
                    f"(version {row.version}); reload it. 条目已被他人修改，请刷新。"
                )
            if row.status == "published" and not author.can_publish:
                raise Forbidden(
                    "Only admins and supervisors may edit a published entry. "
                    "只有管理员和主管可以修改已发布的条目。"
                )
            _copy_content(row, entry)
            row.version += 1
            row.updated_by = author.name
            row.updated_at = utcnow()
            _history(session, row, "edit", author)
            live = row.status == "published"
            if live:
                await next_counter(session, REVISION_COUNTER)
            record = _record(row)
        if live:
            await self.kb.refresh()
        return record

    async def set_status(
        self, entry_id: str, status: str, author: Author, *, version: int | None = None
    ) -> EntryRecord:
        """Publish, archive, or return an entry to draft."""
        if status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}.")
        _require(author, PUBLISHERS)
        async with self.db.transaction() as session:
            row = await _locked(session, entry_id)
            if version is not None and row.version != version:
                raise Conflict(f"KB entry {entry_id!r} changed since (version {row.version}).")
            if row.status == status:
                return _record(row)
            touches_index = "published" in (row.status, status)
            row.status = status
            row.version += 1
            row.updated_by = author.name
            row.updated_at = utcnow()
            action = {"published": "publish", "archived": "archive", "draft": "unpublish"}[status]
            _history(session, row, action, author)
            if touches_index:
                await next_counter(session, REVISION_COUNTER)
            record = _record(row)
        if touches_index:
            await self.kb.refresh()
        return record

    async def import_entries(
        self, entries: Sequence[EntryIn], author: Author, *, publish: bool
    ) -> int:
        """Upsert many entries (as drafts, or published); each gets a history row."""
        _require(author, PUBLISHERS if publish else AUTHORS)
        good = [checked(e) for e in entries]
        if not good:
            return 0
        status = "published" if publish else "draft"
        async with self.db.transaction() as session:
            for e in good:
                row = await session.get(KbEntry, e.id)
                if row is None:
                    row = KbEntry(id=e.id, version=0, helpful=0, unhelpful=0)
                    session.add(row)
                elif row.status == "published" and not publish:
                    raise Forbidden(
                        f"KB entry {e.id!r} is published; importing over it needs publish "
                        "rights. 覆盖已发布条目需要发布权限。"
                    )
                _copy_content(row, e)
                row.status = status
                row.version = (row.version or 0) + 1
                row.updated_by = author.name
                row.updated_at = utcnow()
                await session.flush()
                _history(session, row, "import", author)
            if publish:
                await next_counter(session, REVISION_COUNTER)
        if publish:
            await self.kb.refresh()
        return len(good)

    async def export(self, status: str | None = "published") -> list[EntryRecord]:
        """Every entry with that status (None = all), by id."""
        stmt = select(KbEntry).order_by(KbEntry.id)
        if status:
            stmt = stmt.where(KbEntry.status == status)
        async with self.db.reader() as session:
            return [_record(r) for r in (await session.execute(stmt)).scalars()]

    async def draft_from_conversation(self, conversation_id: int, author: Author) -> EntryRecord:
        """A draft entry from a resolved conversation: the customer's question before the
        last agent reply, and that reply as the answer."""
        _require(author, AUTHORS)
        async with self.db.reader() as session:
            conv = await session.get(Conversation, conversation_id)
            if conv is None:
                raise NotFound(f"conversation {conversation_id} does not exist.")
            if conv.owner != "resolved":
                raise BadRequest(
                    "Only a resolved conversation can become a KB entry. "
                    "只有已解决的会话可以转为知识库条目。"
                )
            msgs = list(
                (
                    await session.execute(
                        select(Message)
                        .where(Message.conversation_id == conversation_id, ~Message.private)
                        .order_by(Message.seq)
                    )
                ).scalars()
            )
        answer_at = next(
            (i for i in range(len(msgs) - 1, -1, -1) if msgs[i].sender == "agent" and msgs[i].text),
            None,
        )
        if answer_at is None:
            raise BadRequest("The conversation has no agent answer. 会话中没有客服的回答。")
        question = next(
            (
                msgs[i].text
                for i in range(answer_at - 1, -1, -1)
                if msgs[i].sender == "customer" and msgs[i].text.strip()
            ),
            None,
        )
        if question is None:
            raise BadRequest("No customer question precedes the answer. 回答之前没有客户提问。")
        entry = EntryIn(
            id=f"conv-{conversation_id}-{uuid.uuid4().hex[:6]}",
            question=question.strip()[:500],
            answer=msgs[answer_at].text,
            category="from-conversation",
        )
        return await self.create(entry, author)


async def record_helpful(kb: KnowledgeBase, entry_id: str, helpful: bool) -> bool:
    """Count one customer verdict on an entry's answer; False when the entry is unknown."""
    column = KbEntry.helpful if helpful else KbEntry.unhelpful
    async with kb.db.transaction() as session:
        result = await session.execute(
            update(KbEntry).where(KbEntry.id == entry_id).values({column: column + 1})
        )
        return bool(getattr(result, "rowcount", 0))


def _require(author: Author, roles: frozenset[str]) -> None:
    if author.role not in roles:
        raise Forbidden(
            f"This needs one of the roles {', '.join(sorted(roles))}. 你的角色无权进行此操作。"
        )


async def _locked(session: AsyncSession, entry_id: str) -> KbEntry:
    row = await session.get(KbEntry, entry_id, with_for_update=True)
    if row is None:
        raise NotFound(f"KB entry {entry_id!r} does not exist.")
    return row


def _history(session: AsyncSession, row: KbEntry, action: str, author: Author) -> None:
    session.add(
        KbEntryVersion(
            entry_id=row.id,
            version=row.version,
            action=action,
            status=row.status,
            snapshot=_snapshot(row),
            author=author.name,
        )
    )


def _copy_content(row: KbEntry, entry: EntryIn) -> None:
    """Put an entry's content (not its status or version) onto its stored row."""
    row.group_key = entry.group
    row.language = entry.language
    row.category = entry.category
    row.question = entry.question
    row.similar = list(entry.similar)
    row.answer = entry.answer
