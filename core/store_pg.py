"""The hot path's two writes on PostgreSQL: the same checks as the SQLite jobs of
``core/store.py``, as SQLAlchemy Core statements in ordinary transactions (no group writer:
several workers write at once, and row locks keep them correct)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.db import Database
from core.hot_rows import AlreadyAnswered, NotBot, StoredInbound, StoredReply
from core.message_meta import MessageMeta
from core.models import ContactIdentity, Conversation, Inbox, Message, OutboxItem

_T_CONV = cast(Table, Conversation.__table__)
_T_MSG = cast(Table, Message.__table__)
_T_IDENT = cast(Table, ContactIdentity.__table__)
_T_INBOX = cast(Table, Inbox.__table__)
_T_OUTBOX = cast(Table, OutboxItem.__table__)


async def record_customer_text(
    db: Database,
    conversation_id: int,
    channel: str,
    inbox: str,
    external_id: str,
    source_id: str,
    text: str,
    now: datetime,
) -> StoredInbound | None:
    """``HotStore.record_customer_text`` on PostgreSQL: two Core statements, one transaction."""
    conv, msg, ident, ibx = _T_CONV, _T_MSG, _T_IDENT, _T_INBOX
    customer = (
        select(ident.c.id)
        .join(ibx, ibx.c.id == ident.c.inbox_id)
        .where(ident.c.channel == channel, ident.c.external_id == external_id, ibx.c.name == inbox)
    )
    try:
        async with db.transaction() as session:
            row = (
                await session.execute(
                    update(conv)
                    .where(
                        conv.c.id == conversation_id,
                        conv.c.owner == "bot",
                        conv.c.identity_id.in_(customer.scalar_subquery()),
                    )
                    .values(
                        last_seq=conv.c.last_seq + 1,
                        last_activity_at=now,
                        updated_at=now,
                        first_customer_message_at=func.coalesce(
                            conv.c.first_customer_message_at, now
                        ),
                    )
                    .returning(conv.c.last_seq, conv.c.inbox_id, conv.c.bot_state, conv.c.language)
                )
            ).first()
            if row is None:
                return None
            seq, inbox_id, state, language = row
            message_id = (
                await session.execute(
                    insert(msg)
                    .values(
                        conversation_id=conversation_id,
                        inbox_id=inbox_id,
                        seq=seq,
                        direction="in",
                        sender="customer",
                        kind="text",
                        text=text,
                        attachments=[],
                        private=False,
                        source_id=source_id,
                        delivery="received",
                        meta={},
                        created_at=now,
                        answered=False,
                    )
                    .returning(msg.c.id)
                )
            ).scalar_one()
    except IntegrityError:
        return None  # a resend: the general path finds the first delivery
    return StoredInbound(
        int(message_id),
        int(seq),
        int(inbox_id),
        now,
        state if isinstance(state, dict) else {},
        language,
    )


async def add_bot_replies(
    db: Database,
    conversation_id: int,
    answered_seq: int,
    replies: list[tuple[str, MessageMeta]],
    state: dict[str, Any],
    language: str,
    live_channels: frozenset[str],
    now: datetime,
) -> list[StoredReply]:
    """``HotStore.add_bot_replies`` on PostgreSQL: the same checks, Core statements."""
    conv, msg, box = _T_CONV, _T_MSG, _T_OUTBOX
    async with db.transaction() as session:
        row = (
            await session.execute(
                update(conv)
                .where(conv.c.id == conversation_id, conv.c.owner == "bot")
                .values(
                    last_seq=conv.c.last_seq + len(replies),
                    bot_state=state,
                    language=language,
                    last_activity_at=now,
                    updated_at=now,
                )
                .returning(conv.c.last_seq, conv.c.inbox_id, conv.c.channel)
            )
        ).first()
        if row is None:
            raise NotBot()
        marked = await session.execute(
            update(msg)
            .where(
                msg.c.conversation_id == conversation_id,
                msg.c.seq == answered_seq,
                msg.c.direction == "in",
                msg.c.answered.is_(False),
                msg.c.no_reply.is_(None),
            )
            .values(answered=True)
        )
        if not getattr(marked, "rowcount", 0):
            raise AlreadyAnswered()  # rolls the transaction back: nothing is written
        last, inbox_id, channel = int(row[0]), int(row[1]), str(row[2])
        live = channel in live_channels
        first = last - len(replies) + 1
        ids = (
            await session.execute(
                insert(msg)
                .values(
                    [
                        {
                            "conversation_id": conversation_id,
                            "inbox_id": inbox_id,
                            "seq": first + i,
                            "direction": "out",
                            "sender": "bot",
                            "kind": "text",
                            "text": text,
                            "attachments": [],
                            "private": False,
                            "delivery": "sent" if live else "pending",
                            "meta": meta,
                            "created_at": now,
                            "answered": False,
                        }
                        for i, (text, meta) in enumerate(replies)
                    ]
                )
                .returning(msg.c.id, msg.c.seq)
            )
        ).all()
        by_seq = {int(s): int(i) for i, s in ids}
        if not live:
            await session.execute(
                insert(box).values(
                    [
                        {
                            "message_id": by_seq[first + i],
                            "conversation_id": conversation_id,
                            "channel": channel,
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "idempotency_key": uuid.uuid4().hex,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i in range(len(replies))
                    ]
                )
            )
    return [
        StoredReply(by_seq[first + i], first + i, text, meta, now)
        for i, (text, meta) in enumerate(replies)
    ]
