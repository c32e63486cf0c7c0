"""The outbox: every reply is stored with an outbox row; this dispatcher delivers them.

Delivery is at-least-once through the conversation's channel adapter (a :class:`Sender`),
with exponential backoff and jitter; after ``max_attempts`` (or a permanent refusal) the
row is dead and its message marked failed with the reason, for the console to show.

A row is claimed before it is sent (``pending`` -> ``sending`` with a lease), so two
dispatchers, or a dispatcher and a channel that answers inline (a WeChat passive reply),
never both send it. The lease is renewed every third of ``claim_seconds`` while the send
is in flight, so a slow platform never lets another worker take the row; a claim left
behind by a crash expires and the row is retried. Several workers claim disjoint rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

Sends run concurrently, in one lane per channel: a dispatcher claims at most ``per_channel``
rows of a channel that it is not already sending, so a slow SMTP server fills only the email
lane and never delays a WeChat reply, and a backlog on one channel never starves another
in the claim. A conversation's replies go out one at a time, in order: a row is claimed only
when no reply of its conversation is in flight (with any worker) and no older one is due.

Each delivery carries the row's idempotency key, stable across retries, for channels that
dedupe on it (WeCom ``msgid``, email ``Message-ID``; web chat dedupes by seq). Per-inbox send
quotas (``[outbox] rate_limits``) are shared through Redis; dead rows can be listed and sent
again (the console's dead-letter page).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from core.config import OutboxSettings, parse_rate_limits
from core.coordination import Limits, LocalLimits
from core.db import Database
from core.domain import Attachment, OutboundDelivery
from core.errors import DeliveryError, PermanentDeliveryError
from core.metrics import Metrics
from core.models import ContactIdentity, Conversation, Inbox, Message, OutboxItem, utcnow

log = logging.getLogger(__name__)


PER_CHANNEL = 8  # sends in flight per channel and dispatcher


class Sender(Protocol):
    """What the outbox needs of a channel: deliver one stored reply or raise DeliveryError."""

    async def send(self, delivery: OutboundDelivery) -> None:
        """Deliver ``delivery``; raise DeliveryError (retry) or PermanentDeliveryError."""
        ...


@dataclass
class _Claim:
    """A row this dispatcher holds, and the lease it wrote (its proof of holding it)."""

    outbox_id: int
    until: datetime


def _waits_its_turn(now: datetime) -> Any:
    """A row whose conversation has a reply in flight, or an older reply due before it."""
    other = aliased(OutboxItem)
    same_conversation = other.conversation_id == OutboxItem.conversation_id
    in_flight = exists().where(
        same_conversation, other.status == "sending", other.next_attempt_at > now
    )
    older_due = exists().where(
        same_conversation,
        other.id < OutboxItem.id,
        other.status.in_(("pending", "sending")),
        other.next_attempt_at <= now,
    )
    return in_flight | older_due


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
        per_channel: int = PER_CHANNEL,
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
        self.batch = batch  # the most rows of one channel claimed in one pass
        self.per_channel = per_channel
        self._lanes: dict[str, set[asyncio.Task[None]]] = {}
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Tell the dispatcher new rows are waiting."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver forever (until cancelled; sends cut short are given back for a retry)."""
        try:
            while True:
                self._wake.clear()  # before claiming: a wake-up during the claim counts
                try:
                    await self._fill()
                except Exception:
                    log.exception("outbox pass failed; retrying")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wake.wait()  # set by notify() and by every finished send
        finally:
            await self._cancel_lanes()

    async def run_once(self) -> int:
        """Deliver every due row once, concurrently per channel; returns how many were handled."""
        handled: set[int] = set()
        try:
            while True:
                handled.update(await self._fill(exclude=handled))
                in_flight = self._in_flight()
                if not in_flight:
                    return len(handled)
                # A finished send frees a lane and may let its conversation's next reply go.
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self._cancel_lanes()

    def _in_flight(self) -> list[asyncio.Task[None]]:
        return [task for lane in self._lanes.values() for task in lane]

    async def _cancel_lanes(self) -> None:
        tasks = self._in_flight()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _fill(self, exclude: Collection[int] = ()) -> list[int]:
        """Claim what the lanes have room for and start sending it; returns the claimed ids."""
        claims = await self._claim_due(exclude)
        if not claims:
            return []
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(OutboxItem, Message, ContactIdentity.external_id, Inbox.name)
                    .join(Message, Message.id == OutboxItem.message_id)
                    .join(Conversation, Conversation.id == OutboxItem.conversation_id)
                    .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                    .join(Inbox, Inbox.id == Conversation.inbox_id)
                    .where(OutboxItem.id.in_(list(claims)))
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
            task = asyncio.create_task(
                self._send(delivery, claims[item.id]), name=f"outbox-{item.channel}-{item.id}"
            )
            self._lanes.setdefault(item.channel, set()).add(task)
            task.add_done_callback(partial(self._sent, item.channel))
        return list(claims)

    def _sent(self, channel: str, task: asyncio.Task[None]) -> None:
        lane = self._lanes.get(channel, set())
        lane.discard(task)
        if not lane:
            self._lanes.pop(channel, None)
        self._wake.set()  # room in the lane, and maybe the conversation's next reply

    async def _claim_due(self, exclude: Collection[int]) -> dict[int, _Claim]:
        """Claim due rows (``sending`` with a lease) in one transaction, channel by channel.

        Each channel gets only as many rows as its lane has room for, so a backlog on one
        channel neither starves another nor parks rows with a worker that cannot send them.
        On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers claim disjoint rows at
        once; on SQLite the write lock serializes the claim anyway.
        """
        now = utcnow()
        until = now + timedelta(seconds=self.settings.claim_seconds)
        due = OutboxItem.status.in_(("pending", "sending")) & (OutboxItem.next_attempt_at <= now)
        if exclude:
            due = due & OutboxItem.id.not_in(exclude)
        async with self.db.transaction() as session:
            channels = (
                await session.execute(select(OutboxItem.channel).where(due).distinct())
            ).scalars()
            ids: list[int] = []
            for channel in sorted(channels):
                room = self.per_channel - len(self._lanes.get(channel, ()))
                want = min(room, self.batch)
                if want <= 0:
                    continue  # this lane is full: its rows stay free for other workers
                got = list(
                    (
                        await session.execute(
                            select(OutboxItem.id)
                            .where(due, OutboxItem.channel == channel, ~_waits_its_turn(now))
                            .order_by(OutboxItem.id)
                            .limit(want)
                            .with_for_update(skip_locked=True)
                        )
                    ).scalars()
                )
                if len(got) == want < room:
                    self._wake.set()  # the batch was full and the lane is not: more may wait
                ids += got
            if ids:
                await session.execute(
                    update(OutboxItem)
                    .where(OutboxItem.id.in_(ids))
                    .values(status="sending", next_attempt_at=until)
                    .execution_options(synchronize_session=False)
                )
        return {outbox_id: _Claim(outbox_id, until) for outbox_id in ids}

    async def _send(self, d: OutboundDelivery, claim: _Claim) -> None:
        """One row's way out: quota, the send under a live lease, the outcome recorded."""
        try:
            if await self._within_rate(d):
                async with self._renewing(claim):
                    error, permanent = await self._attempt(d)
                await self._record(d, error, permanent)
        except asyncio.CancelledError:
            await self._give_back(claim)
            raise
        except Exception:  # the database went away: the lease expires and the row is retried
            log.exception("outbox row %s: delivery not recorded", d.outbox_id)

    @contextlib.asynccontextmanager
    async def _renewing(self, claim: _Claim) -> AsyncIterator[None]:
        """Keep the claim's lease alive while the body runs."""
        keeper = asyncio.create_task(self._renew(claim), name=f"outbox-lease-{claim.outbox_id}")
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def _renew(self, claim: _Claim) -> None:
        """Push the lease forward every third of it, as long as this dispatcher holds it."""
        lease = self.settings.claim_seconds
        while True:
            await asyncio.sleep(lease / 3)
            until = utcnow() + timedelta(seconds=lease)
            try:
                async with self.db.transaction() as session:
                    result = await session.execute(
                        update(OutboxItem)
                        .where(
                            OutboxItem.id == claim.outbox_id,
                            OutboxItem.status == "sending",
                            OutboxItem.next_attempt_at == claim.until,
                        )
                        .values(next_attempt_at=until)
                        .execution_options(synchronize_session=False)
                    )
            except Exception:  # try again next time; the lease may well still hold
                log.warning("outbox row %s: lease not renewed", claim.outbox_id, exc_info=True)
                continue
            if not result.rowcount:  # type: ignore[attr-defined]
                log.warning(
                    "outbox row %s: lease lost during a send; it may go out twice",
                    claim.outbox_id,
                )
                return
            claim.until = until

    async def _give_back(self, claim: _Claim) -> None:
        """A send cut short (shutdown): due again at once, no attempt counted, never 'sent'."""
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    update(OutboxItem)
                    .where(
                        OutboxItem.id == claim.outbox_id,
                        OutboxItem.status == "sending",
                        OutboxItem.next_attempt_at == claim.until,
                    )
                    .values(status="pending", next_attempt_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
        except Exception:  # its lease expires instead, and the row is retried then
            log.warning("outbox row %s: not given back", claim.outbox_id, exc_info=True)

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

    async def _attempt(self, d: OutboundDelivery) -> tuple[str | None, bool]:
        """Hand the row to its channel; returns (error or None, whether it is permanent)."""
        sender = self.senders.get(d.channel)
        if sender is None:
            return f"no adapter for channel {d.channel!r}", True
        try:
            await sender.send(d)
        except PermanentDeliveryError as err:
            return err.message, True
        except DeliveryError as err:
            return err.message, False
        except Exception as err:  # a bug in an adapter must not stop the outbox
            log.exception("adapter %s failed on outbox row %s", d.channel, d.outbox_id)
            return f"{type(err).__name__}: {err}", False
        return None, False

    async def _record(self, d: OutboundDelivery, error: str | None, permanent: bool) -> None:
        """Write the attempt's outcome: sent, retried after a backoff, or dead."""
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
