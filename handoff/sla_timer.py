"""The SLA timer: warns before a target is missed, records breaches, closes old resolved tickets.

Warnings and breaches become private notes on the conversation (the assignee sees them in
the console) and ``sla.warning`` / ``sla.breach`` events on the agents topic (every console,
so supervisors too). Each warning and breach happens once per ticket and target, also with
several workers running the timer: a pass locks the tickets it handles and skips those
another pass holds (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations import add_reply, lock_conversation
from core.events import AGENTS_TOPIC
from core.message_meta import MessageMeta
from core.metrics import Metrics
from core.models import Ticket, utcnow
from handoff.service import HandoffService
from intake.lifecycle import audit, move
from intake.sla import not_breached, record_breach

log = logging.getLogger(__name__)

LABEL = {
    "first_response": ("首次响应", "first response"),
    "resolution": ("解决", "resolution"),
}


class SlaTimer:
    """Checks open tickets against their due times, on an interval."""

    def __init__(self, handoff: HandoffService, metrics: Metrics | None = None) -> None:
        self.handoff = handoff
        self.metrics = metrics or Metrics()
        self.db = handoff.db
        self.settings = handoff.settings

    async def run(self) -> None:
        """Check forever (cancelled at shutdown)."""
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("SLA check failed")
            await asyncio.sleep(self.settings.sla.check_interval_seconds)

    async def check(self, now: datetime | None = None) -> list[tuple[int, str, str]]:
        """One pass; returns (ticket number, kind, "warning"|"breach") for what it raised."""
        now = now or utcnow()
        warn = timedelta(minutes=self.settings.sla.warn_before_minutes)
        raised: list[tuple[int, str, str]] = []
        window = timedelta(hours=self.settings.tickets.reopen_window_hours)
        # Look first with a reader: the write transaction (serialized on SQLite) is only
        # taken when some ticket is due for a warning, a breach or closing. The write pass
        # then takes only those tickets; one already breached on a target is done with it.
        soon = now + warn

        due_soon = and_(
            Ticket.status.in_(("new", "open")),
            or_(
                and_(
                    Ticket.first_response_at.is_(None),
                    Ticket.first_response_due <= soon,
                    not_breached("first_response"),
                ),
                and_(Ticket.resolution_due <= soon, not_breached("resolution")),
            ),
        )
        to_close = and_(Ticket.status == "resolved", Ticket.resolved_at < now - window)
        async with self.db.reader() as session:
            found = (
                await session.execute(select(Ticket.id).where(or_(due_soon, to_close)).limit(1))
            ).scalar_one_or_none()
        if found is None:
            return raised
        async with self.db.transaction() as session:
            tickets = list(
                (
                    await session.execute(
                        select(Ticket)
                        .where(due_soon)
                        .order_by(Ticket.id)
                        # Several workers run this timer: each takes the tickets no other
                        # pass holds (PostgreSQL; SQLite serializes writers anyway).
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            for t in tickets:
                targets = []
                if t.first_response_at is None and t.first_response_due is not None:
                    targets.append(("first_response", t.first_response_due))
                if t.resolution_due is not None:
                    targets.append(("resolution", t.resolution_due))
                for kind, due in targets:
                    if now >= due:
                        if await record_breach(session, t, kind, due):
                            audit(session, t, "sla_breach", kind=kind)
                            await self._note(session, t, kind, "breach")
                            raised.append((t.number, kind, "breach"))
                    elif now >= due - warn and kind not in (t.warned or []):
                        t.warned = [*(t.warned or []), kind]
                        audit(session, t, "sla_warning", kind=kind)
                        await self._note(session, t, kind, "warning")
                        raised.append((t.number, kind, "warning"))
            # Resolved tickets past the reopen window are closed for good.
            old = (
                await session.execute(
                    select(Ticket).where(to_close).with_for_update(skip_locked=True)
                )
            ).scalars()
            for t in old:
                move(session, t, "closed", clock=None)
        for number, kind, what in raised:
            self.metrics.sla(kind, what)
            await self.handoff.events.hub.publish(
                AGENTS_TOPIC, {"type": f"sla.{what}", "ticket": number, "kind": kind}
            )
        return raised

    async def _note(self, session: AsyncSession, t: Ticket, kind: str, what: str) -> None:
        """A private note in one language with the due time in ``[sla] timezone``; its
        ``meta["sla"]`` lets the console word it in the agent's own language."""
        due = t.first_response_due if kind == "first_response" else t.resolution_due
        when = due.astimezone(ZoneInfo(self.settings.sla.timezone)) if due else None
        local = when.strftime("%Y-%m-%d %H:%M") if when else ""
        text = sla_note_text(self.settings.bot.default_language, what, kind, t.number, local)
        meta: MessageMeta = {
            "sla": {"what": what, "kind": kind, "number": t.number, "due_local": local}
        }
        conv = await lock_conversation(session, t.conversation_id)
        await add_reply(session, conv, sender="system", text=text, private=True, meta=meta)


def sla_note_text(language: str, what: str, kind: str, number: int, local: str) -> str:
    """An SLA warning or breach note in ``language`` (zh or en), with a local due time."""
    zh, en = LABEL[kind]
    if language == "en":
        if what == "warning":
            return f"SLA warning: ticket #{number} {en} is due at {local}"
        return f"SLA breached: ticket #{number} {en} was due at {local}"
    if what == "warning":
        return f"SLA 预警：工单 #{number} {zh}将于 {local} 超时"
    return f"SLA 超时：工单 #{number} {zh}已于 {local} 超时"
