"""The outbox: every reply is stored with an outbox row; this dispatcher delivers them.

Delivery is at-least-once through the conversation's channel adapter (a :class:`Sender`),
with exponential backoff and jitter; after ``max_attempts`` (or a permanent refusal) the
row is dead and its message marked failed with the reason, for the console to show.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select

from core.config import OutboxSettings
from core.db import Database
from core.domain import OutboundDelivery
from core.errors import DeliveryError, PermanentDeliveryError
from core.models import ContactIdentity, Conversation, Inbox, Message, OutboxItem, utcnow

log = logging.getLogger(__name__)


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
                    .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= utcnow())
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
            )
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
                item.last_error = error
                item.next_attempt_at = utcnow() + timedelta(seconds=self.backoff(d.attempt))

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (full jitter)."""
        cap = min(
            self.settings.max_delay_seconds, self.settings.base_delay_seconds * 2 ** (attempt - 1)
        )
        return random.uniform(cap / 2, cap)
