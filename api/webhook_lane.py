"""The webhook lane: sends delivery rows, apart from the message outbox.

It follows the outbox's rules (``core/outbox.py``): a row is claimed with a lease before it
is sent (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the work), a
claim left by a dead worker expires and is retried, failures back off exponentially with
jitter. It runs as its own task with its own HTTP session and concurrency cap, so a slow or
dead receiver only ever fills this lane: customer replies never wait for it.

Order: a row is claimed only when no older row of the same webhook and ticket is still
waiting, so one ticket's events arrive in the order they happened, retries included.
After ``[api] webhook_max_attempts`` failed tries a row is dead and its webhook disabled
with the reason; its later rows wait (nothing is dropped) until an admin enables it again
or retries the dead row from the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import timedelta
from functools import partial
from typing import Any

import aiohttp
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import aliased

from api.settings import ApiSettings
from api.tables import IdempotencyKey, Webhook, WebhookDelivery
from api.webhooks import add_waker, remove_waker, sign
from core.db import Database
from core.models import utcnow

log = logging.getLogger(__name__)

USER_AGENT = "kefu-webhooks/1"
RESPONSE_KEPT = 1000  # characters of the receiver's answer kept for the console
KEEP_SENT = timedelta(days=30)  # delivered rows are kept this long for the console
PURGE_EVERY = 600.0  # seconds between two clean-ups


class WebhookLane:
    """Delivers due webhook rows; woken after a commit that queued some, polls otherwise."""

    def __init__(self, db: Database, settings: ApiSettings) -> None:
        self.db = db
        self.settings = settings
        self.idempotency_hours = settings.idempotency_hours
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: aiohttp.ClientSession | None = None
        self._purged = 0.0
        self._load: dict[int, int] = {}  # sends in flight per webhook

    @property
    def lease_seconds(self) -> float:
        """How long a claim holds: the send's timeout plus a margin."""
        return self.settings.webhook_timeout_seconds + 30.0

    def notify(self) -> None:
        """Wake the lane (thread-safe: commits may happen on another loop's thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Deliver until cancelled; in-flight sends cut short are retried later."""
        self._loop = asyncio.get_running_loop()
        add_waker(id(self), self.notify)
        timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout_seconds)
        self._http = aiohttp.ClientSession(timeout=timeout)
        try:
            while True:
                self._wake.clear()
                try:
                    await self._fill()
                    if time.monotonic() - self._purged > PURGE_EVERY:
                        await self.purge()
                        self._purged = time.monotonic()
                except Exception:
                    log.exception("webhook pass failed; retrying")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.webhook_poll_seconds):
                        await self._wake.wait()
        finally:
            remove_waker(id(self))
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._http.close()

    @property
    def per_hook(self) -> int:
        """Sends in flight for one webhook: one place is always left for the others, so a
        slow receiver never holds every other company system's deliveries."""
        return max(1, self.settings.webhook_concurrency - 1)

    async def _fill(self) -> None:
        room = self.settings.webhook_concurrency - len(self._tasks)
        if room <= 0:
            return
        for hook_id, row in await self._claim(room):
            task = asyncio.create_task(self._send(*row), name=f"webhook-{row[0]}")
            self._tasks.add(task)
            self._load[hook_id] = self._load.get(hook_id, 0) + 1
            task.add_done_callback(partial(self._done, hook_id))

    def _done(self, hook_id: int, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        left = self._load.get(hook_id, 1) - 1
        if left > 0:
            self._load[hook_id] = left
        else:
            self._load.pop(hook_id, None)
        self._wake.set()  # room in the lane, and maybe the ticket's next event

    async def _claim(self, room: int) -> list[tuple[int, tuple[int, str, str, str, str, int, Any]]]:
        """Claim up to ``room`` due rows whose turn it is, at most ``per_hook`` in flight per
        webhook; returns (webhook id, what the send needs) for each."""
        now = utcnow()
        until = now + timedelta(seconds=self.lease_seconds)
        older = aliased(WebhookDelivery)
        waits = exists().where(
            older.webhook_id == WebhookDelivery.webhook_id,
            older.order_key == WebhookDelivery.order_key,
            older.id < WebhookDelivery.id,
            older.status.in_(("pending", "sending")),
        )
        due = (
            (WebhookDelivery.status == "pending")
            | ((WebhookDelivery.status == "sending") & (WebhookDelivery.next_attempt_at <= now))
        ) & (WebhookDelivery.next_attempt_at <= now)
        # Usually nothing is due: find that out without the write transaction (on SQLite it
        # would queue behind the message path's writer once a second for nothing).
        async with self.db.reader() as session:
            anything = (
                await session.execute(
                    select(WebhookDelivery.id)
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .where(due, Webhook.active.is_(True))
                    .limit(1)
                )
            ).first()
        if anything is None:
            return []
        async with self.db.transaction() as session:
            hooks = (
                await session.execute(
                    select(WebhookDelivery.webhook_id)
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .where(due, Webhook.active.is_(True))
                    .distinct()
                )
            ).scalars()
            ids: list[int] = []
            for hook_id in sorted(hooks):  # webhook by webhook, like the outbox's channels
                want = min(room - len(ids), self.per_hook - self._load.get(hook_id, 0))
                if want <= 0:
                    continue
                ids += (
                    await session.execute(
                        select(WebhookDelivery.id)
                        .where(due, WebhookDelivery.webhook_id == hook_id, ~waits)
                        .order_by(WebhookDelivery.id)
                        .limit(want)
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            if not ids:
                return []
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(status="sending", next_attempt_at=until)
                .execution_options(synchronize_session=False)
            )
            rows = (
                await session.execute(
                    select(
                        WebhookDelivery.webhook_id,
                        WebhookDelivery.id,
                        WebhookDelivery.uid,
                        WebhookDelivery.event,
                        WebhookDelivery.body,
                        Webhook.url,
                        WebhookDelivery.attempts,
                        Webhook.secret,
                    )
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .where(WebhookDelivery.id.in_(ids))
                    .order_by(WebhookDelivery.id)
                )
            ).all()
        return [(r[0], (r[1], r[2], r[3], r[4], r[5], r[6], (r[7], until))) for r in rows]

    async def _send(
        self, row_id: int, uid: str, name: str, body: str, url: str, attempts: int, extra: Any
    ) -> None:
        secret, until = extra
        raw = body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Kefu-Event": name,
            "X-Kefu-Delivery": uid,
            "X-Kefu-Signature": sign(secret, int(time.time()), raw),
        }
        status: int | None = None
        answer: str | None = None
        error: str | None = None
        try:
            assert self._http is not None
            async with self._http.post(url, data=raw, headers=headers) as resp:
                status = resp.status
                answer = (await resp.text(errors="replace"))[:RESPONSE_KEPT]
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except asyncio.CancelledError:
            await self._give_back(row_id, until)
            raise
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            error = f"{type(err).__name__}: {err}"[:RESPONSE_KEPT]
        try:
            await self._record(row_id, until, attempts + 1, status, answer, error)
        except Exception:  # the lease expires and the row is retried
            log.exception("webhook delivery %s: outcome not recorded", row_id)

    async def _record(
        self,
        row_id: int,
        until: Any,
        attempt: int,
        status: int | None,
        answer: str | None,
        error: str | None,
    ) -> None:
        """Sent, retried after a backoff, or dead (and its webhook disabled with the reason)."""
        async with self.db.transaction() as session:
            d = await session.get(WebhookDelivery, row_id, with_for_update=True)
            if d is None or d.status != "sending" or d.next_attempt_at != until:
                return  # deleted, or the lease was lost and someone else has it
            d.attempts, d.last_status, d.last_response, d.last_error = (
                attempt,
                status,
                answer,
                error,
            )
            if error is None:
                d.status, d.delivered_at = "sent", utcnow()
                return
            if attempt < self.settings.webhook_max_attempts:
                d.status = "pending"
                d.next_attempt_at = utcnow() + timedelta(seconds=self.backoff(attempt))
                return
            d.status = "dead"
            hook = await session.get(Webhook, d.webhook_id, with_for_update=True)
            if hook is not None and hook.active:
                hook.active = False
                hook.disabled_reason = (
                    f"{attempt} failed attempts in a row (last: {error}); "
                    f"连续 {attempt} 次发送失败，已停用。"
                )
                log.warning("webhook %s disabled: %s", hook.id, error)

    async def _give_back(self, row_id: int, until: Any) -> None:
        """A send cut short (shutdown): due again at once, no attempt counted."""
        with contextlib.suppress(Exception):
            async with self.db.transaction() as session:
                await session.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id == row_id,
                        WebhookDelivery.status == "sending",
                        WebhookDelivery.next_attempt_at == until,
                    )
                    .values(status="pending", next_attempt_at=utcnow())
                    .execution_options(synchronize_session=False)
                )

    async def purge(self) -> tuple[int, int]:
        """Forget what is no longer needed: expired idempotency keys, old delivered rows.

        Returns how many of each were deleted. Dead and waiting rows are never purged.
        """
        now = utcnow()
        async with self.db.transaction() as session:
            keys = await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.created_at < now - timedelta(hours=self.idempotency_hours)
                )
            )
            sent = await session.execute(
                delete(WebhookDelivery).where(
                    WebhookDelivery.status == "sent", WebhookDelivery.updated_at < now - KEEP_SENT
                )
            )
        return int(keys.rowcount or 0), int(sent.rowcount or 0)  # type: ignore[attr-defined]

    def backoff(self, attempt: int) -> float:
        """Seconds before try ``attempt + 1`` (exponential, capped, half jitter)."""
        cap = min(
            self.settings.webhook_max_delay_seconds,
            self.settings.webhook_base_delay_seconds * 2 ** (attempt - 1),
        )
        return random.uniform(cap / 2, cap)
