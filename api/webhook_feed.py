"""The message feed: ``message.created`` and ``conversation.created`` webhook deliveries.

Most messages are stored by the hot path (``core/store.py``: plain SQL, no ORM, so the
audit-trail listener of ``api.webhooks`` never sees them), and the message path must not
pay for webhooks. So messages are announced *after* they are committed, from here: each
conversation has a mark in ``webhook_feed`` (the last ``seq`` announced), and a pass turns
the messages after the mark into delivery rows and moves the mark, in one transaction. A
pass runs when the hub says a conversation changed (``conversation.updated``, which every
stored message already publishes) and, to miss nothing a lost wake-up or a restart would,
over the conversations of the latest messages every ``[api] webhook_poll_seconds``.

Nothing is lost: the mark moves only with the rows it stands for, and a conversation's
``seq`` values are committed in order (the conversation's row lock), so messages up to the
conversation's committed ``last_seq`` are all visible. Nothing is sent twice: the mark's row
is locked while a pass writes, so two workers never announce the same message. A
conversation's events go in one order (``order_key`` ``messages:<id>``): created first,
then its messages by ``seq``. Only webhooks that want these events cost anything: without
one a pass reads one small table and stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.settings import ApiSettings
from api.tables import WebhookFeed
from api.webhooks import conversation_brief, queue_delivery, subscribed
from core.coordination import Hub
from core.db import Database
from core.events import AGENTS_TOPIC
from core.models import Conversation, Message, utcnow

log = logging.getLogger(__name__)

FEED_EVENTS = ("conversation.created", "message.created")
RESCAN = 2000  # message ids looked back at by each sweep (commits may land out of id order)
PER_PASS = 500  # messages of one conversation announced per transaction
HOOKS_FOR = 1.0  # seconds "no webhook wants these events" is believed
BATCH = 50  # conversations announced per transaction
COALESCE = 0.02  # seconds between passes: a burst of messages is announced in one go


def message_brief(m: Message) -> dict[str, Any]:
    """A message as webhook bodies show it (attachments by name, not content)."""
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "direction": m.direction,
        "sender": m.sender,
        "agent_id": m.agent_id,
        "kind": m.kind,
        "text": m.text,
        "private": m.private,
        "attachments": [
            {k: a.get(k) for k in ("kind", "mime", "size", "name")} for a in m.attachments or []
        ],
        "created_at": m.created_at.isoformat(),
    }


Hooks = list[tuple[int, list[str], Any]]


def _lock_mark(session: Session, conversation_id: int) -> tuple[WebhookFeed, bool]:
    """The conversation's mark, locked; created (at 0) when it had none. ``True``: new."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    made = session.execute(
        insert(WebhookFeed)
        .values(conversation_id=conversation_id, seq=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["conversation_id"])
    )
    mark = session.execute(
        select(WebhookFeed)
        .where(WebhookFeed.conversation_id == conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return mark, bool(made.rowcount)  # type: ignore[attr-defined]


def feed_conversation(session: Session, conversation_id: int, hooks: Hooks) -> tuple[int, bool]:
    """Announce the conversation's messages after its mark: (deliveries made, whether more
    messages are left for another pass).

    A webhook gets only what happened after it was created (a new subscription is not
    flooded with history).
    """
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        return 0, False
    last_seq = conv.last_seq  # committed: every message up to it is visible
    mark, new = _lock_mark(session, conversation_id)
    queued = 0
    now = utcnow()
    key = f"messages:{conv.id}"
    if new:
        for hook_id, evs, since in hooks:
            if "conversation.created" in evs and conv.created_at >= since:
                data = {"conversation": conversation_brief(conv)}
                queue_delivery(session, hook_id, "conversation.created", key, data, now)
                queued += 1
    if last_seq <= mark.seq:
        return queued, False
    wanting = [(h, since) for h, evs, since in hooks if "message.created" in evs]
    oldest = min((since for _, since in wanting), default=None)
    if oldest is None:
        mark.seq = last_seq
        return queued, False
    msgs = (
        session.execute(
            select(Message)
            .where(
                Message.conversation_id == conv.id,
                Message.seq > mark.seq,
                Message.seq <= last_seq,
                Message.created_at >= oldest,
            )
            .order_by(Message.seq)
            .limit(PER_PASS)
        )
        .scalars()
        .all()
    )
    brief = conversation_brief(conv)
    seen = mark.seq
    for m in msgs:
        data = {"message": message_brief(m), "conversation": brief}
        for hook_id, since in wanting:
            if m.created_at >= since:
                queue_delivery(session, hook_id, "message.created", key, data, now)
                queued += 1
        seen = m.seq
    more = len(msgs) == PER_PASS
    # Fewer rows than asked: none left up to last_seq (the others predate every webhook).
    mark.seq = seen if more else max(seen, last_seq)
    return queued, more


class MessageFeed:
    """Runs the passes: woken by the hub, and a sweep every poll interval."""

    def __init__(self, db: Database, hub: Hub, settings: ApiSettings) -> None:
        self.db = db
        self.hub = hub
        self.settings = settings
        self._wake = asyncio.Event()
        self._dirty: set[int] = set()
        self._none_since: float | None = None  # when a pass last found no webhook
        self._after = 0  # message id the next sweep starts after
        self._swept = 0.0  # when the last sweep ran (monotonic)
        self.passes = 0

    def listen(self, _topic: str, event: dict[str, Any]) -> None:
        """A hub listener: a conversation changed (maybe a new message)."""
        cid = event.get("conversation_id")
        if event.get("type") == "conversation.updated" and isinstance(cid, int):
            self._dirty.add(cid)
            self._wake.set()

    def forget_hooks(self) -> None:
        """Webhooks changed: read them again on the next pass."""
        self._none_since = None
        self._wake.set()

    async def run(self) -> None:
        """Feed until cancelled."""
        unsubscribe = self.hub.subscribe(AGENTS_TOPIC, self.listen)
        try:
            async with self.db.reader() as session:
                top = await session.scalar(select(func.max(Message.id)))
            self._after = max(0, (top or 0) - RESCAN)  # a restart re-checks the latest
            while True:
                self._wake.clear()
                due = time.monotonic() - self._swept >= self.settings.webhook_poll_seconds
                try:
                    await self.step(sweep=due)
                except Exception:
                    log.exception("webhook message feed pass failed; retrying")
                await asyncio.sleep(COALESCE)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.webhook_poll_seconds):
                        await self._wake.wait()
        finally:
            unsubscribe()

    async def _interested(self) -> Hooks:
        """The webhooks that want these events. Only "none" is remembered a while: a pass
        that finds none moves no mark, so a webhook created meanwhile misses nothing."""
        now = time.monotonic()
        if self._none_since is not None and now - self._none_since < HOOKS_FOR:
            return []
        async with self.db.reader() as session:
            hooks = await session.run_sync(subscribed)
        wanted = [(h, evs, since) for h, evs, since in hooks if set(evs) & set(FEED_EVENTS)]
        self._none_since = None if wanted else now
        return wanted

    async def step(self, sweep: bool = True) -> int:
        """One pass over the conversations woken about and, with ``sweep``, those of the
        latest messages whose mark is behind; returns the deliveries made."""
        self.passes += 1
        idle = self._none_since is not None
        hooks = await self._interested()
        woken, self._dirty = self._dirty, set()
        if not hooks:
            return 0
        async with self.db.reader() as session:
            top = int(await session.scalar(select(func.max(Message.id))) or 0)
        if idle:  # the first webhook in a while: what came before it is not its business
            self._after = max(self._after, top - RESCAN)
        if sweep:
            woken |= await self._behind(top)
            self._swept = time.monotonic()
            self._after = max(self._after, top - RESCAN)
        return await self.feed(woken, hooks)

    async def _behind(self, top: int) -> set[int]:
        """Conversations of the latest messages (ids after the sweep's start, up to ``top``)
        whose mark is behind them."""
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(Message.conversation_id)
                    .outerjoin(WebhookFeed, WebhookFeed.conversation_id == Message.conversation_id)
                    .where(
                        Message.id > self._after,
                        Message.id <= top,
                        (WebhookFeed.seq.is_(None)) | (Message.seq > WebhookFeed.seq),
                    )
                    .distinct()
                )
            ).scalars()
            return {int(cid) for cid in rows}

    async def _due(self, conversation_ids: set[int]) -> set[int]:
        """Those of the conversations with something to announce (read without the write
        lock: a wake-up for a change of owner, say, costs no write transaction)."""
        if not conversation_ids:
            return set()
        async with self.db.reader() as session:
            rows = await session.execute(
                select(Conversation.id)
                .outerjoin(WebhookFeed, WebhookFeed.conversation_id == Conversation.id)
                .where(
                    Conversation.id.in_(sorted(conversation_ids)),
                    (WebhookFeed.seq.is_(None)) | (WebhookFeed.seq < Conversation.last_seq),
                )
            )
            return {int(cid) for cid in rows.scalars()}

    async def feed(self, conversation_ids: set[int], hooks: Hooks) -> int:
        """Announce these conversations' new messages, ``BATCH`` conversations a transaction
        (marks locked in id order: two workers never deadlock); returns deliveries made."""
        total = 0
        pending = sorted(await self._due(conversation_ids))
        while pending:
            batch, pending = pending[:BATCH], pending[BATCH:]

            def run(session: Session, ids: list[int] = batch) -> list[tuple[int, int, bool]]:
                return [(cid, *feed_conversation(session, cid, hooks)) for cid in ids]

            async with self.db.transaction() as session:
                results = await session.run_sync(run)
            total += sum(made for _, made, _ in results)
            pending = [cid for cid, _, more in results if more] + pending
        return total
