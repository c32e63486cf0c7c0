"""Customer messages nobody may answer (``Message.no_reply``), for people to look at.

The inbound path stores auto-replies, bounces, list mail, mail from senders no reply can
reach and rate-limited messages without answering them (``core/inbound.py``). This module
is the one query over them: newest first, by reason and channel, with the count of each
reason, within whatever conversations the caller may see (handoff passes its team rule).
A partial index on ``no_reply`` (migration 0013_email) keeps it off the full table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from core.db import Database
from core.models import Contact, ContactIdentity, Conversation, Message


@dataclass(frozen=True)
class Unanswered:
    """One message nobody answers, and why."""

    id: int
    conversation_id: int
    seq: int
    channel: str
    reason: str
    contact: str
    sender: str  # the address or id it came from, as the channel recorded it
    subject: str
    text: str
    created_at: datetime
    signs: tuple[str, ...] = ()  # the weighed signs that decided it (meta.auto_signs)


@dataclass(frozen=True)
class UnansweredPage:
    """A page of unanswered messages and the count of every reason (ignoring ``reason``)."""

    messages: list[Unanswered]
    reasons: list[tuple[str, int]]  # most frequent first


async def unanswered(
    db: Database,
    visible: ColumnElement[bool],
    *,
    reason: str | None = None,
    channel: str | None = None,
    before: int | None = None,
    limit: int = 100,
    preview: int = 200,
) -> UnansweredPage:
    """Unanswered customer messages in conversations matching ``visible``, newest first."""
    where = [
        Message.no_reply.is_not(None),
        Message.sender == "customer",
        visible,
        *((Conversation.channel == channel,) if channel else ()),
    ]
    rows_q = (
        select(
            Message.id,
            Message.conversation_id,
            Message.seq,
            Message.no_reply,
            Message.text,
            Message.meta,
            Message.created_at,
            Conversation.channel,
            Contact.name,
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(*where)
        .where(*((Message.no_reply == reason,) if reason else ()))
        .where(*((Message.id < before,) if before else ()))
        .order_by(Message.id.desc())
        .limit(limit)
    )
    counts_q = (
        select(Message.no_reply, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(*where)
        .group_by(Message.no_reply)
    )
    async with db.reader() as session:
        rows = (await session.execute(rows_q)).all()
        counts = (await session.execute(counts_q)).all()
    messages = []
    for row in rows:
        meta = row.meta or {}
        messages.append(
            Unanswered(
                id=row.id,
                conversation_id=row.conversation_id,
                seq=row.seq,
                channel=row.channel,
                reason=str(row.no_reply),
                contact=row.name or "",
                sender=str(meta.get("from") or ""),
                subject=str(meta.get("subject") or ""),
                text=(row.text or "")[:preview],
                created_at=row.created_at,
                signs=tuple(str(x) for x in meta.get("auto_signs") or ())[:20],
            )
        )
    ranked = sorted(((str(r), int(n)) for r, n in counts), key=lambda rn: (-rn[1], rn[0]))
    return UnansweredPage(messages, ranked)


async def earlier_no_reply(
    db: Database, channel: str, external_id: str, limit: int = 20
) -> list[tuple[str | None, bool]]:
    """The latest ``limit`` messages this sender (a channel's ``external_id``) sent before,
    newest first, as (``no_reply`` reason or None, whether the reason came from weighed signs
    rather than a rule: ``meta.auto_signs``). A channel asks before deciding on a message
    whose signs alone do not decide (``channels/email/signs.py``)."""
    query = (
        select(Message.no_reply, Message.meta)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
        .where(
            ContactIdentity.channel == channel,
            ContactIdentity.external_id == external_id,
            Message.sender == "customer",
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    async with db.reader() as session:
        rows = (await session.execute(query)).all()
    return [(row.no_reply, bool((row.meta or {}).get("auto_signs"))) for row in rows]
