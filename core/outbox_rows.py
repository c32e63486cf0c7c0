"""Outbox rows handled outside the dispatcher: a claim by hand, the rows a channel delivers
inline (WeChat's passive reply), and the dead letters the console lists and sends again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.errors import Conflict, NotFound
from core.models import Message, OutboxItem, utcnow

log = logging.getLogger("core.outbox")

LEASE_SECONDS = 120.0


async def claim(
    session: AsyncSession, outbox_id: int, lease_seconds: float = LEASE_SECONDS
) -> bool:
    """Take one due row for sending; False when someone else has it or it is done."""
    now = utcnow()
    result = await session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.id == outbox_id,
            or_(
                OutboxItem.status == "pending",
                (OutboxItem.status == "sending") & (OutboxItem.next_attempt_at <= now),
            ),
        )
        .values(status="sending", next_attempt_at=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_messages(session: AsyncSession, message_ids: list[int]) -> list[int]:
    """Mark these messages' rows sent by the caller (delivered inline); returns the claimed ids.

    A channel that can answer within the platform's own response (WeChat's passive reply)
    calls this in a transaction before answering; the rows it gets are the ones it must
    deliver, and the dispatcher will not send them again.
    """
    rows = (
        await session.execute(
            select(OutboxItem.id, OutboxItem.message_id).where(
                OutboxItem.message_id.in_(message_ids), OutboxItem.status == "pending"
            )
        )
    ).all()
    taken: list[int] = []
    for outbox_id, message_id in rows:
        result = await session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == outbox_id, OutboxItem.status == "pending")
            .values(status="sent", attempts=OutboxItem.attempts + 1, last_error=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            taken.append(message_id)
            await session.execute(
                update(Message).where(Message.id == message_id).values(delivery="sent")
            )
    return taken


@dataclass(frozen=True)
class DeadLetter:
    """A reply the outbox gave up on, with the reason, for the console."""

    outbox_id: int
    message_id: int
    conversation_id: int
    channel: str
    attempts: int
    reason: str
    text: str
    failed_at: datetime


async def dead_letters(db: Database, limit: int = 100) -> list[DeadLetter]:
    """The most recent dead rows, newest first."""
    async with db.reader() as session:
        rows = (
            await session.execute(
                select(OutboxItem, Message.text)
                .join(Message, Message.id == OutboxItem.message_id)
                .where(OutboxItem.status == "dead")
                .order_by(OutboxItem.updated_at.desc(), OutboxItem.id.desc())
                .limit(limit)
            )
        ).all()
    return [
        DeadLetter(
            item.id,
            item.message_id,
            item.conversation_id,
            item.channel,
            item.attempts,
            item.last_error or "",
            text,
            item.updated_at,
        )
        for item, text in rows
    ]


async def retry_dead(db: Database, outbox_id: int) -> None:
    """Send a dead row again from scratch (attempts reset); NotFound / Conflict otherwise."""
    async with db.transaction() as session:
        item = await session.get(OutboxItem, outbox_id, with_for_update=True)
        if item is None:
            raise NotFound(f"Outbox row {outbox_id} does not exist.")
        if item.status != "dead":
            raise Conflict(f"Outbox row {outbox_id} is {item.status}, not dead.", code="not_dead")
        item.status, item.attempts, item.next_attempt_at = "pending", 0, utcnow()
        msg = await session.get(Message, item.message_id)
        if msg is not None:
            msg.delivery, msg.delivery_error = "pending", None
    log.info("outbox row %s queued again by hand", outbox_id)
