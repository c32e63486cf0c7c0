"""Everything kefu holds about one contact, read in one snapshot for an export.

The export follows the customer's right of access (个人信息查阅、复制权): identities on every
channel, every conversation with its messages (internal notes included and marked, since they
are about the person), tickets with their fields, events and SLA breaches, survey answers, and
the attachment files the messages refer to. Nothing here writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Contact, ContactIdentity, Conversation, Inbox, Message, Ticket
from intake.tables import Feedback, SlaBreach, TicketEvent


@dataclass
class Bundle:
    """One contact's data as JSON-ready dicts, and the attachment keys it refers to."""

    data: dict[str, Any]
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> description


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _columns(row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row's columns as JSON-ready values (datetimes as ISO 8601)."""
    out: dict[str, Any] = {}
    for col in row.__table__.columns:
        if col.key in skip:
            continue
        value = getattr(row, col.key)
        out[col.key] = _iso(value) if isinstance(value, datetime) else value
    return out


_KEY = re.compile(r"^[0-9a-f]{64}$")


def file_keys(attachments: Any, meta: Any) -> dict[str, dict[str, Any]]:
    """Attachment-store keys a message refers to: its attachments, and keys in its meta
    (a channel may keep the original it received, e.g. the raw email as ``raw_key``)."""
    found: dict[str, dict[str, Any]] = {}
    for a in attachments or []:
        if isinstance(a, dict) and isinstance(a.get("key"), str):
            found[a["key"]] = a
    for name, value in (meta or {}).items() if isinstance(meta, dict) else ():
        if isinstance(value, str) and _KEY.match(value):
            found.setdefault(value, {"key": value, "kind": "file", "name": name})
    return found


async def contact_or_404(session: AsyncSession, contact_id: int) -> Contact:
    """The contact, or NotFound in both languages."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"客户 {contact_id} 不存在。Contact {contact_id} does not exist.")
    return contact


async def message_count(session: AsyncSession, contact_id: int) -> int:
    """How many messages the contact's conversations hold (decides inline or background)."""
    stmt = (
        select(func.count())
        .select_from(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.contact_id == contact_id)
    )
    return int((await session.execute(stmt)).scalar_one())


async def collect(session: AsyncSession, contact_id: int) -> Bundle:
    """The contact's whole record; NotFound when there is no such contact."""
    contact = await contact_or_404(session, contact_id)
    inboxes = {i.id: i.name for i in (await session.execute(select(Inbox))).scalars()}
    idents = (
        await session.execute(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id == contact_id)
            .order_by(ContactIdentity.id)
        )
    ).scalars()
    convs = list(
        (
            await session.execute(
                select(Conversation)
                .where(Conversation.contact_id == contact_id)
                .order_by(Conversation.id)
            )
        ).scalars()
    )
    conv_ids = [c.id for c in convs]
    bundle = Bundle(data={})
    messages: dict[int, list[dict[str, Any]]] = {c: [] for c in conv_ids}
    if conv_ids:
        rows = await session.execute(
            select(Message)
            .where(Message.conversation_id.in_(conv_ids))
            .order_by(Message.conversation_id, Message.seq)
        )
        for m in rows.scalars():
            for key, info in file_keys(m.attachments, m.meta).items():
                bundle.attachments.setdefault(key, info)
            messages[m.conversation_id].append(
                {
                    "seq": m.seq,
                    "direction": m.direction,
                    "sender": m.sender,
                    "private_note": m.private,
                    "kind": m.kind,
                    "text": m.text,
                    "attachments": m.attachments or [],
                    "delivery": m.delivery,
                    "subject": (m.meta or {}).get("subject"),
                    "created_at": _iso(m.created_at),
                }
            )
    tickets = list(
        (
            await session.execute(
                select(Ticket).where(Ticket.conversation_id.in_(conv_ids)).order_by(Ticket.id)
            )
        ).scalars()
    )
    ticket_ids = [t.id for t in tickets]
    events: dict[int, list[dict[str, Any]]] = {t: [] for t in ticket_ids}
    breaches: dict[int, list[dict[str, Any]]] = {t: [] for t in ticket_ids}
    if ticket_ids:
        for e in (
            await session.execute(
                select(TicketEvent)
                .where(TicketEvent.ticket_id.in_(ticket_ids))
                .order_by(TicketEvent.id)
            )
        ).scalars():
            events[e.ticket_id].append(_columns(e, skip=("id", "ticket_id")))
        for b in (
            await session.execute(select(SlaBreach).where(SlaBreach.ticket_id.in_(ticket_ids)))
        ).scalars():
            breaches[b.ticket_id].append(_columns(b, skip=("id", "ticket_id")))
    feedback: Any = (
        (
            await session.execute(
                select(Feedback).where(Feedback.conversation_id.in_(conv_ids)).order_by(Feedback.id)
            )
        ).scalars()
        if conv_ids
        else []
    )
    bundle.data = {
        "contact": _columns(contact),
        "identities": [
            {
                "channel": i.channel,
                "inbox": inboxes.get(i.inbox_id, ""),
                "external_id": i.external_id,
                "created_at": _iso(i.created_at),
            }
            for i in idents
        ],
        "conversations": [
            {
                **_columns(c, skip=("bot_state", "identity_id", "inbox_id", "last_seq")),
                "inbox": inboxes.get(c.inbox_id, ""),
                "messages": messages[c.id],
            }
            for c in convs
        ],
        "tickets": [
            {
                **_columns(t),
                "events": events[t.id],
                "sla_breaches": breaches[t.id],
            }
            for t in tickets
        ],
        "survey_answers": [_columns(f) for f in feedback],
    }
    return bundle
