"""Retention per inbox: resolved conversations and attachments past their time are emptied.

``[privacy] retention`` gives each inbox (or ``*``, every other inbox) how many days a resolved
conversation is kept after its last activity, and how many days attachments are kept after
they arrived. Past that, a conversation is emptied like an erasure empties it (texts, files,
ticket texts, survey comments; the rows, times and scores stay for the reports) and marked
``purged_at``; an attachment is dropped from its message and its file deleted when no other
message uses it. Contacts are not touched: a customer may still be talking to us elsewhere.

:func:`plan` says what would go; :func:`apply` does exactly that selection, in small
transactions (``BATCH`` rows each) so the message path never waits long for the write lock.
The dry run and the run share the selection, so they agree; the hourly upkeep runs it daily.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.attachments import AttachmentStore
from core.config import Settings
from core.db import Database
from core.message_meta import MessageMeta
from core.models import Conversation, Inbox, Message, utcnow
from privacy.collect import file_keys
from privacy.erase import delete_unused_files
from privacy.redact import redact_conversations
from privacy.settings import RetentionRule, parse_retention

BATCH = 200


@dataclass
class InboxPlan:
    """What retention takes from one inbox."""

    inbox: str
    conversation_days: int | None
    attachment_days: int | None
    conversations: list[int] = field(default_factory=list)  # resolved and idle too long
    attachment_messages: list[int] = field(default_factory=list)  # files too old

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-ready data."""
        return {
            "inbox": self.inbox,
            "conversation_days": self.conversation_days,
            "attachment_days": self.attachment_days,
            "conversations": self.conversations,
            "attachment_messages": self.attachment_messages,
        }


def _rule_for(name: str, rules: tuple[RetentionRule, ...]) -> RetentionRule | None:
    own = next((r for r in rules if r.inbox == name), None)
    return own or next((r for r in rules if r.inbox == "*"), None)


async def _due_conversations(session: AsyncSession, inbox_id: int, before: datetime) -> list[int]:
    stmt = (
        select(Conversation.id)
        .where(
            Conversation.inbox_id == inbox_id,
            Conversation.owner == "resolved",
            Conversation.last_activity_at < before,
            # Content left (a purged conversation the customer reopened has some again).
            select(Message.id)
            .where(
                Message.conversation_id == Conversation.id,
                or_(Message.text != "", cast(Message.attachments, String) != "[]"),
            )
            .exists(),
        )
        .order_by(Conversation.id)
    )
    return list((await session.execute(stmt)).scalars())


async def _due_attachments(session: AsyncSession, inbox_id: int, before: datetime) -> list[int]:
    stmt = (
        select(Message.id, Message.attachments, Message.meta)
        .where(
            Message.inbox_id == inbox_id,
            Message.created_at < before,
            or_(
                cast(Message.attachments, String) != "[]",
                cast(Message.meta, String).like('%_key"%'),
            ),
        )
        .order_by(Message.id)
    )
    rows = (await session.execute(stmt)).all()
    return [mid for mid, attachments, meta in rows if file_keys(attachments, meta)]


async def plan(db: Database, settings: Settings, now: datetime | None = None) -> list[InboxPlan]:
    """What retention would take now, per inbox with a rule (nothing is changed)."""
    rules = parse_retention(settings.privacy.retention)
    now = now or utcnow()
    out: list[InboxPlan] = []
    async with db.reader() as session:
        inboxes = list((await session.execute(select(Inbox).order_by(Inbox.name))).scalars())
        for inbox in inboxes:
            rule = _rule_for(inbox.name, rules)
            if rule is None:
                continue
            p = InboxPlan(inbox.name, rule.conversation_days, rule.attachment_days)
            if rule.conversation_days is not None:
                cutoff = now - timedelta(days=rule.conversation_days)
                p.conversations = await _due_conversations(session, inbox.id, cutoff)
            if rule.attachment_days is not None:
                cutoff = now - timedelta(days=rule.attachment_days)
                p.attachment_messages = await _due_attachments(session, inbox.id, cutoff)
            out.append(p)
    return out


def _without_files(meta: MessageMeta | None) -> MessageMeta:
    """A message's meta without the file keys a channel put there (the raw email)."""
    if not isinstance(meta, dict):
        return MessageMeta()
    keys = file_keys([], meta)
    kept = meta.copy()
    for key, value in meta.items():
        if isinstance(value, str) and value in keys:
            del kept[key]  # type: ignore[misc]  # any key whose value names a stored file
    return kept


async def apply(
    db: Database, store: AttachmentStore, settings: Settings, now: datetime | None = None
) -> list[InboxPlan]:
    """Carry out :func:`plan` in batches; returns the plan it carried out."""
    todo = await plan(db, settings, now)
    for p in todo:
        for i in range(0, len(p.conversations), BATCH):
            batch = p.conversations[i : i + BATCH]
            async with db.transaction() as session:
                done = await redact_conversations(session, batch)
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id.in_(batch))
                    .values(purged_at=utcnow())
                )
            await delete_unused_files(db, store, done.keys)
            await asyncio.sleep(0)  # let waiting messages through between batches
        for i in range(0, len(p.attachment_messages), BATCH):
            batch = p.attachment_messages[i : i + BATCH]
            keys: set[str] = set()
            async with db.transaction() as session:
                rows = (
                    await session.execute(select(Message).where(Message.id.in_(batch)))
                ).scalars()
                for m in rows:
                    keys.update(file_keys(m.attachments, m.meta))
                    m.attachments = []
                    m.meta = _without_files(m.meta)
            await delete_unused_files(db, store, keys)
            await asyncio.sleep(0)
    return todo
