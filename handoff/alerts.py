"""Supervisor alerts, delivered: the team's supervisors by email and WeCom group robots.

intake/alerts.py records an alert with the ticket change that calls for it. This module's
:class:`AlertDispatcher`, running in every worker:

1. **routes** each new alert once (rows taken with ``FOR UPDATE SKIP LOCKED``, marked
   ``routed_at``): one :class:`~handoff.tables.AlertDelivery` per target, unique per alert and
   target, so nothing is sent twice. Targets: the email addresses of the supervisors of the
   ticket's team (the inbox's team; every supervisor when the inbox has no team or the team
   none; admins when there are no supervisors at all) when ``[alerts] email_inbox`` names an
   email inbox, the ``[alerts] emails`` of that team or ``*``, and the team's (or ``*``)
   WeCom group robots of ``[alerts] webhooks``. A kind switched off is routed to nobody
   (the console still lists it); an alert whose key was routed before (the same ticket and
   reason) too;
2. **sends** due deliveries, claimed with a lease like the message outbox, with backoff and
   jitter, and gives up after ``max_attempts`` or a permanent refusal (a bad robot key,
   WeCom errcode 93000; a mail server's 5xx). Sending never runs on the message path.

Every alert is announced on the agents topic (``alert`` event) for the consoles, and listed
by ``GET /api/agent/alerts`` (handoff/alert_routes.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.db import Database
from core.errors import DeliveryError, PermanentDeliveryError
from core.events import AGENTS_TOPIC
from core.models import Agent, Conversation, Inbox, Ticket, utcnow
from handoff.alert_senders import AlertSender, AlertView, EmailAlerts, Mailer, WecomRobot
from handoff.settings import parse_team_map
from handoff.tables import AlertDelivery, Team
from intake import alerts
from intake.tables import SupervisorAlert

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
BATCH = 50


class AlertDispatcher:
    """Routes new alerts to their targets and delivers them, on an interval."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        hub: Any,
        mailer: Mailer | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.cfg = settings.alerts
        self.hub = hub
        self.zone = ZoneInfo(settings.sla.timezone)
        self.emails = parse_team_map(self.cfg.emails, "[alerts] emails")
        self.robots = parse_team_map(self.cfg.webhooks, "[alerts] webhooks")
        self.senders: dict[str, AlertSender] = {
            "wecom": WecomRobot(self.cfg.webhook_base, self.robots, self.cfg.timeout_seconds)
        }
        if mailer is not None:
            self.senders["email"] = EmailAlerts(mailer)
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Wake the dispatcher (new alerts were committed)."""
        self._wake.set()

    async def run(self) -> None:
        """Route and send forever (cancelled at shutdown)."""
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except Exception:
                log.exception("supervisor alerts failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.cfg.poll_seconds)
            except TimeoutError:
                pass

    async def run_once(self, now: datetime | None = None) -> tuple[int, int]:
        """One pass: (alerts routed, deliveries sent)."""
        routed = await self.route(now)
        sent = await self.send_due(now)
        return routed, sent

    # -- routing --------------------------------------------------------------------------

    def enabled(self, kind: str) -> bool:
        return bool(getattr(self.cfg, kind, False))

    async def route(self, now: datetime | None = None) -> int:
        """Make the deliveries of alerts not routed yet; returns how many alerts were routed."""
        now = now or utcnow()
        announced: list[dict[str, Any]] = []
        async with self.db.reader() as session:  # the write lock only when there is work
            if not await alerts.any_unrouted(session):
                return 0
        async with self.db.transaction() as session:
            for alert in await alerts.claim_unrouted(session, BATCH):
                alert.routed_at = now
                before = await alerts.routed_before(session, alert)
                row = (
                    await session.execute(
                        select(Ticket.number, Inbox.team_id, Team.name)
                        .join(Conversation, Conversation.id == Ticket.conversation_id)
                        .join(Inbox, Inbox.id == Conversation.inbox_id)
                        .outerjoin(Team, Team.id == Inbox.team_id)
                        .where(Ticket.id == alert.ticket_id)
                    )
                ).first()
                if row is None:
                    continue
                number, team_id, team_name = row
                alert.team_id = team_id
                announced.append(
                    {"type": "alert", "id": alert.id, "kind": alert.kind, "ticket": number}
                )
                if before or not self.enabled(alert.kind):
                    continue
                for target, address in await self._targets(session, team_id, team_name or ""):
                    session.add(
                        AlertDelivery(
                            alert_id=alert.id, target=target, address=address, next_attempt_at=now
                        )
                    )
        for event in announced:
            await self.hub.publish(AGENTS_TOPIC, event)
        return len(announced)

    async def _targets(self, session: Any, team_id: int | None, team: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if "email" in self.senders:
            addresses: list[str] = []
            if self.cfg.email_supervisors:
                addresses += await supervisors(session, team_id)
            addresses += [*self.emails.get("*", ()), *self.emails.get(team, ())]
            out += [("email", a) for a in dict.fromkeys(a.strip().lower() for a in addresses) if a]
        for name in ("*", team):
            if name and name in self.robots:
                out += [("wecom", f"{name}#{i}") for i in range(len(self.robots[name]))]
        return list(dict.fromkeys(out))

    # -- sending --------------------------------------------------------------------------

    async def send_due(self, now: datetime | None = None) -> int:
        """Send the due deliveries this worker can claim; returns how many went out."""
        now = now or utcnow()
        due = or_(
            AlertDelivery.status == "pending",
            AlertDelivery.status == "sending",  # a crashed worker's lease ran out
        )
        async with self.db.reader() as session:  # the write lock only when there is work
            waiting = (
                await session.execute(
                    select(AlertDelivery.id)
                    .where(due, AlertDelivery.next_attempt_at <= now)
                    .limit(1)
                )
            ).first()
        if waiting is None:
            return 0
        async with self.db.transaction() as session:
            ids = list(
                (
                    await session.execute(
                        select(AlertDelivery.id)
                        .where(due, AlertDelivery.next_attempt_at <= now)
                        .order_by(AlertDelivery.id)
                        .limit(BATCH)
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            if ids:
                await session.execute(
                    update(AlertDelivery)
                    .where(AlertDelivery.id.in_(ids))
                    .values(status="sending", next_attempt_at=now + LEASE)
                    .execution_options(synchronize_session=False)
                )
        if not ids:
            return 0
        views = await self._views(ids)
        results = await asyncio.gather(*(self._send(d, view) for d, view in views))
        return sum(1 for ok in results if ok)

    async def _views(self, ids: list[int]) -> list[tuple[AlertDelivery, AlertView]]:
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(AlertDelivery, SupervisorAlert, Ticket, Team.name)
                    .join(SupervisorAlert, SupervisorAlert.id == AlertDelivery.alert_id)
                    .join(Ticket, Ticket.id == SupervisorAlert.ticket_id)
                    .outerjoin(Team, Team.id == SupervisorAlert.team_id)
                    .where(AlertDelivery.id.in_(ids))
                )
            ).all()
        return [(d, self.view(a, t, team or "")) for d, a, t, team in rows]

    def view(self, alert: SupervisorAlert, ticket: Ticket, team: str) -> AlertView:
        """What the alert says."""
        detail = alert.detail or {}
        reasons = tuple(str(k) for k in detail.get("kinds") or ())
        due = ""
        if alert.kind != "urgent":
            target = str(detail.get("kind", ""))
            reasons = (target,)
            moment = ticket.first_response_due if target == "first_response" else None
            moment = moment or ticket.resolution_due
            due = moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if moment else ""
        return AlertView(
            id=alert.id,
            kind=alert.kind,
            ticket=ticket.number,
            subject=ticket.subject,
            priority=ticket.priority,
            team=team,
            reasons=reasons,
            due=due,
            console_url=f"{self.settings.public_url}/agent/#/c/{ticket.conversation_id}",
        )

    async def _send(self, d: AlertDelivery, view: AlertView) -> bool:
        sender = self.senders.get(d.target)
        error: str | None = None
        permanent = False
        if sender is None:
            error, permanent = f"no sender for {d.target} alerts", True
        else:
            try:
                await sender(view, d.address)
            except PermanentDeliveryError as err:
                error, permanent = err.message, True
            except DeliveryError as err:
                error = err.message
            except Exception as err:  # a bug must not stop the alerts
                log.exception("alert delivery %s failed", d.id)
                error = f"{type(err).__name__}"
        attempt = d.attempts + 1
        values: dict[str, Any] = {"attempts": attempt, "last_error": error}
        if error is None:
            values.update(status="sent", sent_at=utcnow())
        elif permanent or attempt >= self.cfg.max_attempts:
            values.update(status="dead")
            log.warning("alert delivery %s (%s) gave up: %s", d.id, d.target, error)
        else:
            cap = self.cfg.base_delay_seconds * 2 ** (attempt - 1)
            later = utcnow() + timedelta(seconds=random.uniform(cap / 2, cap))
            values.update(status="pending", next_attempt_at=later)
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    update(AlertDelivery)
                    .where(AlertDelivery.id == d.id, AlertDelivery.status == "sending")
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
        except IntegrityError:  # pragma: no cover - the row was deleted meanwhile
            return False
        return error is None


async def supervisors(session: Any, team_id: int | None) -> list[str]:
    """Email addresses of the team's supervisors (every supervisor without one; admins when
    there is no supervisor at all)."""
    base = select(Agent.email).where(Agent.active.is_(True))
    found: list[str] = []
    if team_id is not None:
        found = list(
            (
                await session.execute(
                    base.where(Agent.role == "supervisor", Agent.team_id == team_id)
                )
            ).scalars()
        )
    if not found:
        found = list((await session.execute(base.where(Agent.role == "supervisor"))).scalars())
    if not found:
        found = list((await session.execute(base.where(Agent.role == "admin"))).scalars())
    return found


async def deliveries_of(
    session: AsyncSession, alert_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """How each delivery of these alerts went, by alert, oldest first (for the console)."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not alert_ids:
        return out
    found = await session.execute(
        select(AlertDelivery)
        .where(AlertDelivery.alert_id.in_(alert_ids))
        .order_by(AlertDelivery.id)
    )
    for d in found.scalars():
        out.setdefault(d.alert_id, []).append(
            {
                "target": d.target,
                "address": d.address,  # a robot is named by its team, never by its key
                "status": d.status,
                "attempts": d.attempts,
                "error": d.last_error,
            }
        )
    return out
