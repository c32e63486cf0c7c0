"""Outgoing webhooks: subscriptions, the events they get, and how deliveries are signed.

Events are read off the ticket audit trail, which every ticket change already writes
(``intake.lifecycle.audit``): a listener turns each new ``TicketEvent`` into one delivery row
per subscribed webhook *in the same flush*, so a delivery exists exactly when the change
was committed (a rolled-back change sends nothing, a committed one is never lost) and the
message path gains no network call. ``api.webhook_lane`` sends the rows; the admins manage
subscriptions through ``api.webhook_store``.

Signature: ``X-Kefu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``
with the webhook's secret; receivers recompute it and refuse a ``t`` older than a few
minutes (a replayed request). ``X-Kefu-Delivery`` is the delivery's id, the same on every
retry, for receivers to drop duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from api.tables import Webhook, WebhookDelivery
from core.models import Conversation, Ticket, utcnow
from core.security import same
from handoff.views import ticket_brief
from intake.lifecycle import pending_audits

# audit action -> webhook events (a resolution is also a status change)
EVENT_OF: dict[str, tuple[str, ...]] = {
    "created": ("ticket.created",),
    "escalated": ("conversation.escalated",),
    "status": ("ticket.status_changed",),
    "takeover": ("ticket.assigned",),
    "assigned": ("ticket.assigned",),
    "transferred": ("ticket.assigned",),
    "released": ("ticket.updated",),
    "priority": ("ticket.updated",),
    "category": ("ticket.updated",),
    "type": ("ticket.updated",),
    "fields": ("ticket.updated",),
    "merged": ("ticket.updated",),
    "csat": ("csat.submitted",),
    "sla_warning": ("sla.warning",),
    "sla_breach": ("sla.breach",),
}
EVENTS = (
    "conversation.created",
    "conversation.resolved",
    "message.created",
    "ticket.created",
    "ticket.updated",
    "ticket.status_changed",
    "ticket.assigned",
    "ticket.resolved",
    "conversation.escalated",
    "csat.submitted",
    "sla.warning",
    "sla.breach",
)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Kefu-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and ``t`` is recent (no replays)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - t) > tolerance:
        return False
    expected = sign(secret, t, body).split("v1=", 1)[1]
    return same(parts.get("v1", ""), expected)


def events_for(action: str, detail: dict[str, Any]) -> tuple[str, ...]:
    """The webhook events one audit entry stands for."""
    names = EVENT_OF.get(action, ())
    if action == "status" and detail.get("to") == "resolved":
        names = (*names, "ticket.resolved")
    if action == "created" and detail.get("reason") not in (None, "api"):
        names = (*names, "conversation.escalated")  # the bot escalated: a first ticket
    return names


# -- capture: audit entries become delivery rows in the same flush -------------------------

_wakers: dict[int, Callable[[], None]] = {}


def add_waker(key: int, wake: Callable[[], None]) -> None:
    """Call ``wake`` after a commit that queued deliveries (each running lane registers)."""
    _wakers[key] = wake


def remove_waker(key: int) -> None:
    """Stop waking a lane that stopped."""
    _wakers.pop(key, None)


def _owner_changes(session: Session) -> list[tuple[Conversation, str, str]]:
    """(conversation, owner before, owner now) of the conversations whose owner this flush
    changes (every change of owner goes through the ORM: ``handoff.service``)."""
    out = []
    for obj in session.dirty:
        if isinstance(obj, Conversation):
            hist = inspect(obj).attrs.owner.history
            if hist.deleted and hist.added and hist.deleted[0] != hist.added[0]:
                out.append((obj, str(hist.deleted[0]), str(hist.added[0])))
    return out


def conversation_events(before: str, now: str, has_ticket: bool) -> tuple[str, ...]:
    """The webhook events of a change of owner: resolved, or escalated from the bot to a
    person (announced here only without an open ticket: a ticket's own audit entry says
    ``conversation.escalated`` when the bot opens one)."""
    if now == "resolved":
        return ("conversation.resolved",)
    if before == "bot" and now in ("queued", "agent") and not has_ticket:
        return ("conversation.escalated",)
    return ()


def conversation_brief(conv: Conversation) -> dict[str, Any]:
    """A conversation as webhook bodies show it."""
    return {
        "id": conv.id,
        "channel": conv.channel,
        "contact_id": conv.contact_id,
        "owner": conv.owner,
        "assignee_id": conv.assignee_id,
        "language": conv.language,
        "last_seq": conv.last_seq,
    }


def _open_ticket(session: Session, conversation_id: int) -> Ticket | None:
    """The conversation's open ticket, flushed or about to be."""
    for obj in (*session.new, *session.dirty):
        if (
            isinstance(obj, Ticket)
            and obj.conversation_id == conversation_id
            and obj.status not in ("resolved", "closed")
        ):
            return obj
    return session.execute(
        select(Ticket)
        .where(
            Ticket.conversation_id == conversation_id,
            Ticket.status.not_in(("resolved", "closed")),
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def queue_delivery(
    session: Session, hook_id: int, name: str, order_key: str, data: dict[str, Any], now: Any
) -> None:
    """Add one delivery row (the lane sends it after the commit)."""
    uid = str(uuid.uuid4())
    body = {"id": uid, "event": name, "created_at": now.isoformat(), "data": data}
    session.add(
        WebhookDelivery(
            uid=uid,
            webhook_id=hook_id,
            event=name,
            order_key=order_key,
            body=orjson.dumps(body).decode(),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    session.info["kefu_webhooks"] = True


def subscribed(session: Session) -> list[tuple[int, list[str], Any]]:
    """(id, events, created_at) of the webhooks that get events now. Paused by an admin
    (inactive, no reason): nothing is queued. Disabled after failures (a reason): still
    queued, so re-enabling it delivers everything missed."""
    return [
        (int(hid), list(evs or []), created)
        for hid, evs, created in session.execute(
            select(Webhook.id, Webhook.events, Webhook.created_at).where(
                (Webhook.active.is_(True)) | (Webhook.disabled_reason.is_not(None))
            )
        ).all()
    ]


def _capture_owners(session: Session, changes: list[tuple[Conversation, str, str]]) -> None:
    """Deliveries for the conversations whose owner changed (resolved, escalated)."""
    hooks = subscribed(session)
    if not any(n.startswith("conversation.") for _, evs, _ in hooks for n in evs):
        return
    now = utcnow()
    for conv, before, after in changes:
        ticket = _open_ticket(session, conv.id)
        for name in conversation_events(before, after, ticket is not None):
            data = {
                "conversation": conversation_brief(conv),
                "change": {"from": before, "to": after},
                "ticket": ticket.number if ticket is not None else None,
            }
            for hook_id, evs, _ in hooks:
                if name in evs:
                    queue_delivery(session, hook_id, name, f"conversation:{conv.id}", data, now)


def _capture(session: Session, _context: Any, _instances: Any) -> None:
    """before_flush: one delivery per new audit entry or change of a conversation's owner,
    and subscribed webhook."""
    changes = _owner_changes(session)
    if changes:
        with session.no_autoflush:
            _capture_owners(session, changes)
    entries = pending_audits(session)
    if not entries:
        return
    with session.no_autoflush:
        hooks = subscribed(session)
        if not hooks:
            return
        now = utcnow()
        for entry in entries:
            names = events_for(entry.action, entry.detail or {})
            wanted = [(hid, n) for n in names for hid, evs, _ in hooks if n in evs]
            if not wanted:
                continue
            ticket = session.get(Ticket, entry.ticket_id)
            if ticket is None:
                continue
            conv = session.get(Conversation, ticket.conversation_id)
            data = {
                "ticket": {
                    **ticket_brief(ticket),
                    "conversation_id": ticket.conversation_id,
                    "contact_id": conv.contact_id if conv else None,
                },
                "change": {
                    "action": entry.action,
                    "actor": entry.actor,
                    "agent_id": entry.agent_id,
                    "detail": entry.detail,
                },
            }
            for hook_id, name in wanted:
                queue_delivery(session, hook_id, name, f"ticket:{ticket.id}", data, now)


def _after_commit(session: Session) -> None:
    if session.info.pop("kefu_webhooks", False):
        for wake in list(_wakers.values()):
            wake()


def _after_rollback(session: Session) -> None:
    session.info.pop("kefu_webhooks", None)


def install() -> None:
    """Listen to every session's flushes (once per process)."""
    if not event.contains(Session, "before_flush", _capture):
        event.listen(Session, "before_flush", _capture)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
