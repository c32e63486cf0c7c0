"""The outbox: every reply is stored with an outbox row; this dispatcher delivers them.

Delivery is at-least-once through the conversation's channel adapter (a :class:`Sender`),
with exponential backoff and jitter; after ``max_attempts`` (or a permanent refusal) the
row is dead and its message marked failed with the reason, for the console to show.

A row is claimed before it is sent (``pending`` -> ``sending`` with a lease), so two
dispatchers, or a dispatcher and a channel that answers inline (a WeChat passive reply),
never both send it; a claim left behind by a crash expires and the row is retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import OutboxSettings
from core.db import Database
from core.domain import Attachment, OutboundDelivery
from core.errors import DeliveryError, PermanentDeliveryError
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
    ) -> None:
        self.db = db
        self.senders = senders
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
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(OutboxItem, Message, ContactIdentity.external_id, Inbox.name)
                    .join(Message, Message.id == OutboxItem.message_id)
                    .join(Conversation, Conversation.id == OutboxItem.conversation_id)
                    .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                    .join(Inbox, Inbox.id == Conversation.inbox_id)
                    .where(
                        OutboxItem.status.in_(("pending", "sending")),
                        OutboxItem.next_attempt_at <= utcnow(),
                    )
                    .order_by(OutboxItem.id)
                    .limit(self.batch)
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
            async with self.db.transaction() as session:
                claimed = await claim(session, item.id)
            if claimed:
                await self._deliver(delivery)
        return len(rows)

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

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (full jitter)."""
        cap = min(
            self.settings.max_delay_seconds, self.settings.base_delay_seconds * 2 ** (attempt - 1)
        )
        return random.uniform(cap / 2, cap)
