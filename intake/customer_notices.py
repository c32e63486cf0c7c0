"""Notices to the customer when their ticket changes: waiting for them, made urgent, reopened.

The change records a :class:`~intake.tables.CustomerNotice` in its own transaction (called from
:func:`intake.lifecycle.audit`, the one place every ticket change passes), so a notice is
never lost. :class:`NoticeSender` sends a conversation's notices as **one** message through
the customer's own channel once the oldest has waited ``[notices] batch_seconds`` (several
changes within a minute make one message; a change undone in the meantime says nothing),
outside ``quiet_hours`` unless the ticket is urgent. Each notice is sent once, also with
several workers: the conversation is locked and only unsent rows are taken.

(Agents joining, transfers and the resolution survey are told at once by the desk itself.)
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.conversations import add_reply, lock_conversation
from core.db import Database
from core.events import Events
from core.models import Message, Ticket, utcnow
from intake.priority import PRIORITY_RANK
from intake.settings import parse_quiet_hours
from intake.tables import CustomerNotice
from intake.ticket_links import TicketLinks

log = logging.getLogger(__name__)

KINDS = ("waiting", "priority", "reopened")
TEXTS = {
    "waiting": {
        "zh": "工单 #{number} 正在等待您的回复：{need}",
        "en": "Ticket #{number} is waiting for your reply: {need}",
    },
    "waiting_plain": {
        "zh": "工单 #{number} 正在等待您补充信息，直接回复即可。",
        "en": "Ticket #{number} is waiting for a word from you; just reply here.",
    },
    "priority": {
        "zh": "工单 #{number} 已升级为加急，我们会优先处理。",
        "en": "Ticket #{number} is now urgent; we're giving it priority.",
    },
    "reopened": {
        "zh": "工单 #{number} 已重新打开，客服会继续为您处理。",
        "en": "Ticket #{number} has been reopened; our team is on it again.",
    },
    "page_link": {
        "zh": "查看工单进度：{url}",
        "en": "Follow your ticket here: {url}",
    },
}
NEED_CHARS = 120


def record(session: AsyncSession, ticket: Ticket, action: str, detail: dict[str, Any]) -> None:
    """Record the notice a ticket change calls for, if any (in the change's transaction)."""
    kind = None
    if action == "status" and detail.get("to") == "pending":
        kind = "waiting"
    elif action == "status" and detail.get("from") == "resolved" and detail.get("to") == "open":
        kind = "reopened"
    elif action == "priority" and PRIORITY_RANK.get(str(detail.get("new")), 0) > PRIORITY_RANK.get(
        str(detail.get("old")), 0
    ):
        kind = "priority"
    if kind is not None and ticket.id is not None:
        session.add(
            CustomerNotice(ticket_id=ticket.id, conversation_id=ticket.conversation_id, kind=kind)
        )


def in_quiet_hours(now: datetime, quiet: tuple[str, str] | None, zone: ZoneInfo) -> bool:
    """Whether ``now`` falls in the quiet hours (which may span midnight)."""
    if quiet is None:
        return False
    local = now.astimezone(zone).time()
    start, end = (time.fromisoformat(x) for x in quiet)
    return start <= local < end if start <= end else local >= start or local < end


class NoticeSender:
    """Sends the customers' pending notices, on an interval."""

    def __init__(
        self,
        db: Database,
        events: Events,
        outbox: Any,
        settings: Settings,
        links: TicketLinks | None = None,
    ) -> None:
        self.links = links  # each notice carries the ticket page's link when set
        self.db = db
        self.events = events
        self.outbox = outbox  # its notify() wakes the dispatcher
        self.settings = settings
        self.zone = ZoneInfo(settings.sla.timezone)
        self.quiet = parse_quiet_hours(settings.notices.quiet_hours)

    async def run(self) -> None:
        """Send forever (cancelled at shutdown)."""
        while True:
            try:
                await self.send_due()
            except Exception:
                log.exception("customer notices failed")
            await asyncio.sleep(self.settings.notices.check_interval_seconds)

    def enabled(self, kind: str) -> bool:
        """Whether ``[notices]`` lets this kind out."""
        return bool(getattr(self.settings.notices, kind, False))

    async def send_due(self, now: datetime | None = None) -> list[int]:
        """One pass; the ids of the messages sent."""
        now = now or utcnow()
        ripe = now - timedelta(seconds=self.settings.notices.batch_seconds)
        async with self.db.reader() as session:
            conversations = list(
                (
                    await session.execute(
                        select(CustomerNotice.conversation_id)
                        .where(CustomerNotice.sent_at.is_(None))
                        .group_by(CustomerNotice.conversation_id)
                        .having(func.min(CustomerNotice.created_at) <= ripe)
                    )
                ).scalars()
            )
        sent = []
        for conv_id in conversations:
            message = await self._send(conv_id, now)
            if message is not None:
                sent.append(message)
        return sent

    async def _send(self, conv_id: int, now: datetime) -> int | None:
        quiet = in_quiet_hours(now, self.quiet, self.zone)
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conv_id)
            rows = list(
                (
                    await session.execute(
                        select(CustomerNotice, Ticket)
                        .join(Ticket, Ticket.id == CustomerNotice.ticket_id)
                        .where(
                            CustomerNotice.conversation_id == conv_id,
                            CustomerNotice.sent_at.is_(None),
                        )
                        .order_by(CustomerNotice.id)
                    )
                ).all()
            )
            if not rows:
                return None  # another worker sent them
            if quiet and not any(t.priority == "urgent" for _, t in rows):
                return None  # non-urgent: after the quiet hours
            lines: list[str] = []
            for notice, ticket in rows:
                line = await self._line(session, notice.kind, ticket, conv.language)
                notice.sent_at = now
                notice.outcome = "sent" if line else "skipped"
                if line and line not in lines:
                    lines.append(line)
            if not lines:
                return None
            if self.links is not None:
                lang = self._lang(conv.language)
                for ticket_id in dict.fromkeys(t.id for n, t in rows if n.outcome == "sent"):
                    url = await self.links.link_for(session, ticket_id)
                    lines.append(TEXTS["page_link"][lang].format(url=url))
            msg = await add_reply(
                session,
                conv,
                sender="system",
                text="\n".join(lines),
                meta={"notice": sorted({n.kind for n, _ in rows})},
            )
            for notice, _ in rows:
                if notice.outcome == "sent":
                    notice.message_id = msg.id
            seq, owner = msg.seq, conv.owner
        self.outbox.notify()
        await self.events.message(conv_id, seq)
        await self.events.conversation_updated(conv_id, owner, seq)
        return int(msg.id)

    async def _line(
        self, session: AsyncSession, kind: str, ticket: Ticket, language: str | None
    ) -> str:
        """The notice's line, or "" when switched off or no longer true (undone since)."""
        still = {
            "waiting": ticket.status == "pending",
            "reopened": ticket.status in ("open", "new"),
            "priority": ticket.priority in ("urgent", "high") and ticket.status != "closed",
        }
        if not self.enabled(kind) or not still.get(kind, False):
            return ""
        lang = self._lang(language)
        if kind == "waiting":
            need = await self._need(session, ticket)
            key = "waiting" if need else "waiting_plain"
            return TEXTS[key][lang].format(number=ticket.number, need=need)
        return TEXTS[kind][lang].format(number=ticket.number)

    def _lang(self, language: str | None) -> str:
        return language if language in ("zh", "en") else self.settings.bot.default_language

    async def _need(self, session: AsyncSession, ticket: Ticket) -> str:
        """What the desk last asked: its last public reply since the ticket was opened."""
        text = (
            await session.execute(
                select(Message.text)
                .where(
                    Message.conversation_id == ticket.conversation_id,
                    Message.sender == "agent",
                    Message.private.is_(False),
                    Message.created_at >= ticket.created_at,
                )
                .order_by(Message.seq.desc())
                .limit(1)
            )
        ).scalar()
        line = " ".join((text or "").split())
        return line if len(line) <= NEED_CHARS else line[: NEED_CHARS - 1] + "…"
