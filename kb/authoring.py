"""Authoring: entries as drafts, published or archived, with versions and a history.

Rules (also in docs/knowledge-base.md):

* only ``published`` entries answer; a new entry starts as a ``draft``;
* every change writes the entry row (``version`` + 1) and one ``kb_entry_versions`` row with
  the whole entry as it now is, the action and the author, through :mod:`kb.entries` (the
  one write API; this module decides who may, ``kb.entries`` writes);
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

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.models import Conversation, Message
from kb import entries
from kb.checks import EntryProblem, check_entry
from kb.entries import STATUSES, Stored, from_row
from kb.service import KnowledgeBase
from kb.tables import KbEntry, KbEntryVersion
from kb.types import EntryIn

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


def _record(row: Stored) -> EntryRecord:
    return EntryRecord(
        id=row.id,
        question=row.question,
        answer=row.answer,
        similar=row.similar,
        category=row.category,
        language=row.language,
        group=row.group,
        status=row.status,
        version=row.version,
        helpful=row.helpful,
        unhelpful=row.unhelpful,
        updated_by=row.updated_by,
        updated_at=row.updated_at.isoformat(),
    )


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
            return [_record(from_row(r)) for r in rows], int(total)

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
            return _record(from_row(row)), history

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
            if await entries.stored(session, [entry.id]):
                raise Conflict(f"KB entry {entry.id!r} already exists.")
            (saved,) = await entries.save(
                session, [entry], status=status, action="create", author=author.name
            )
            if publish:
                await entries.bump_revision(session)
        if publish:
            await self.kb.refresh()
        return _record(saved.after)

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
            (saved,) = await entries.save(
                session, [entry], status=row.status, action="edit", author=author.name
            )
            live = row.status == "published"
            if live:
                await entries.bump_revision(session)
        if live:
            await self.kb.refresh()
        return _record(saved.after)

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
            action = {"published": "publish", "archived": "archive", "draft": "unpublish"}[status]
            saved = await entries.set_status(
                session, row, status, action=action, author=author.name
            )
            if touches_index:
                await entries.bump_revision(session)
        if touches_index:
            await self.kb.refresh()
        return _record(saved.after)

    async def import_entries(
        self, batch: Sequence[EntryIn], author: Author, *, publish: bool
    ) -> int:
        """Upsert many entries (as drafts, or published); each gets a history row."""
        _require(author, PUBLISHERS if publish else AUTHORS)
        good = [checked(e) for e in batch]
        if not good:
            return 0
        status = "published" if publish else "draft"
        async with self.db.transaction() as session:
            if not publish:
                rows = await entries.stored(session, [e.id for e in good], lock=True)
                for e in good:
                    if e.id in rows and rows[e.id].status == "published":
                        raise Forbidden(
                            f"KB entry {e.id!r} is published; importing over it needs "
                            "publish rights. 覆盖已发布条目需要发布权限。"
                        )
            await entries.save(session, good, status=status, action="import", author=author.name)
            if publish:
                await entries.bump_revision(session)
        if publish:
            await self.kb.refresh()
        return len(good)

    async def export(self, status: str | None = "published") -> list[EntryRecord]:
        """Every entry with that status (None = all), by id."""
        stmt = select(KbEntry).order_by(KbEntry.id)
        if status:
            stmt = stmt.where(KbEntry.status == status)
        async with self.db.reader() as session:
            return [_record(from_row(r)) for r in (await session.execute(stmt)).scalars()]

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


def _require(author: Author, roles: frozenset[str]) -> None:
    if author.role not in roles:
        raise Forbidden(
            f"This needs one of the roles {', '.join(sorted(roles))}. 你的角色无权进行此操作。"
        )


async def _locked(session: AsyncSession, entry_id: str) -> Stored:
    row = (await entries.stored(session, [entry_id], lock=True)).get(entry_id)
    if row is None:
        raise NotFound(f"KB entry {entry_id!r} does not exist.")
    return row
