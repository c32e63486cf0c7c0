"""The outbox: every reply is stored with an outbox row; this dispatcher delivers them.

Delivery is at-least-once through the conversation's channel adapter (a :class:`Sender`),
with exponential backoff and jitter; after ``max_attempts`` (or a permanent refusal) the
row is dead and its message marked failed with the reason, for the console to show.

A row is claimed before it is sent (``pending`` -> ``sending`` with a lease), so two
dispatchers, or a dispatcher and a channel that answers inline (a WeChat passive reply),
never both send it; a claim left behind by a crash expires (``claim_seconds``) and the row
is retried. Several workers claim disjoint batches (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL). Each delivery carries the row's idempotency key, stable across retries, for
channels that dedupe on it (WeCom ``msgid``, email ``Message-ID``; web chat dedupes by
seq). Per-inbox send quotas (``[outbox] rate_limits``) are shared through Redis; dead rows
can be listed and sent again (the console's dead-letter page).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import OutboxSettings, parse_rate_limits
from core.coordination import Limits, LocalLimits
from core.db import Database
from core.domain import Attachment, OutboundDelivery
from core.errors import Conflict, DeliveryError, NotFound, PermanentDeliveryError
from core.metrics import Metrics
from core.models import ContactIdentity, Conversation, Inbox, Message, OutboxItem, utcnow

log = logging.getLogger(__name__)

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


class Sender(Protocol):
    """What the outbox needs of a channel: deliver one stored reply or raise DeliveryError."""

    async def send(self, delivery: OutboundDelivery) -> None:
        """Deliver ``delivery``; raise DeliveryError (retry) or PermanentDeliveryError."""
        ...


class OutboxDispatcher:
    """Delivers pending outbox rows; woken by :meth:`notify`, and polls as a safety net."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        settings: OutboxSettings,
        *,
        poll_seconds: float = 1.0,
        batch: int = 100,
        metrics: Metrics | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.db = db
        self.senders = senders
        self.limits: Limits = limits or LocalLimits()
        self.rate_limits = parse_rate_limits(settings.rate_limits)
        self.metrics = metrics or Metrics()
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Tell the dispatcher new rows are waiting."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver forever (until cancelled)."""
        while True:
            try:
                processed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed; retrying")
                processed = 0
            if processed >= self.batch:
                continue  # more may be waiting
            try:
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self) -> int:
        """Deliver every due row once; returns how many rows were handled."""
        ids = await self._claim_due()
        if not ids:
            return 0
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(OutboxItem, Message, ContactIdentity.external_id, Inbox.name)
                    .join(Message, Message.id == OutboxItem.message_id)
                    .join(Conversation, Conversation.id == OutboxItem.conversation_id)
                    .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                    .join(Inbox, Inbox.id == Conversation.inbox_id)
                    .where(OutboxItem.id.in_(ids))
                    .order_by(OutboxItem.id)
                )
            ).all()
        for item, msg, external_id, inbox_name in rows:
            delivery = OutboundDelivery(
                outbox_id=item.id,
                message_id=msg.id,
                conversation_id=item.conversation_id,
                seq=msg.seq,
                channel=item.channel,
                inbox=inbox_name,
                external_id=external_id,
                sender=msg.sender,
                text=msg.text,
                idempotency_key=item.idempotency_key,
                attempt=item.attempts + 1,
                kind=msg.kind,
                attachments=tuple(
                    Attachment(a["key"], a["kind"], a["mime"], a["size"], a.get("name", ""))
                    for a in msg.attachments
                ),
            )
            if await self._within_rate(delivery):
                await self._deliver(delivery)
        return len(ids)

    async def _claim_due(self) -> list[int]:
        """Claim a batch of due rows (``sending`` with a lease) in one transaction.

        On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers claim disjoint
        batches at once; on SQLite the write lock serializes the claim anyway.
        """
        now = utcnow()
        async with self.db.transaction() as session:
            ids = list(
                (
                    await session.execute(
                        select(OutboxItem.id)
                        .where(
                            OutboxItem.status.in_(("pending", "sending")),
                            OutboxItem.next_attempt_at <= now,
                        )
                        .order_by(OutboxItem.id)
                        .limit(self.batch)
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            if ids:
                await session.execute(
                    update(OutboxItem)
                    .where(OutboxItem.id.in_(ids))
                    .values(
                        status="sending",
                        next_attempt_at=now + timedelta(seconds=self.settings.claim_seconds),
                    )
                    .execution_options(synchronize_session=False)
                )
        return ids

    async def _within_rate(self, d: OutboundDelivery) -> bool:
        """Per-inbox send quota of the channel; a row over it goes back, no attempt counted."""
        quota = self.rate_limits.get(d.channel)
        if quota is None:
            return True
        limit, window = quota
        if await self.limits.allow(f"outbox:{d.channel}:{d.inbox}", limit, window):
            return True
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == d.outbox_id, OutboxItem.status == "sending")
                .values(
                    status="pending",
                    next_attempt_at=utcnow() + timedelta(seconds=window / limit),
                )
                .execution_options(synchronize_session=False)
            )
        return False

    async def _deliver(self, d: OutboundDelivery) -> None:
        sender = self.senders.get(d.channel)
        error: str | None = None
        permanent = False
        if sender is None:
            error, permanent = f"no adapter for channel {d.channel!r}", True
        else:
            try:
                await sender.send(d)
            except PermanentDeliveryError as err:
                error, permanent = err.message, True
            except DeliveryError as err:
                error = err.message
            except Exception as err:  # a bug in an adapter must not stop the outbox
                log.exception("adapter %s failed on outbox row %s", d.channel, d.outbox_id)
                error = f"{type(err).__name__}: {err}"
        async with self.db.transaction() as session:
            item = await session.get(OutboxItem, d.outbox_id)
            msg = await session.get(Message, d.message_id)
            if item is None or msg is None:
                return
            item.attempts = d.attempt
            if error is None:
                item.status, item.last_error = "sent", None
                msg.delivery, msg.delivery_error = "sent", None
            elif permanent or d.attempt >= self.settings.max_attempts:
                item.status, item.last_error = "dead", error
                msg.delivery, msg.delivery_error = "failed", error
                log.warning(
                    "outbox row %s dead after %s attempts: %s", d.outbox_id, d.attempt, error
                )
            else:
                item.status, item.last_error = "pending", error
                item.next_attempt_at = utcnow() + timedelta(seconds=self.backoff(d.attempt))
            self.metrics.delivery(d.channel, item.status, msg.created_at)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (full jitter)."""
        cap = min(
            self.settings.max_delay_seconds, self.settings.base_delay_seconds * 2 ** (attempt - 1)
        )
        return random.uniform(cap / 2, cap)
