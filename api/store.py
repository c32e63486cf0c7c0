"""Typed queries of the public API: tickets opened by other systems, listings (contacts:
api/contacts.py).

Tickets opened through the API follow the same rules as the bot's escalations: one open
ticket per conversation, triage when no priority is given, SLA due times from the policies,
an audit trail entry, and the conversation queued for an agent. A ticket for a customer who
has never written (an order system's complaint, say) gets a conversation on the ``api``
inbox (see ``api.inbox``): its public replies are relayed by the system that opened it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.inbox import API_CHANNEL
from core.config import Settings
from core.conversations import add_reply, find_identity, inbox_id, lock_conversation
from core.db import next_counter
from core.errors import BadRequest, Conflict
from core.models import Contact, ContactIdentity, Conversation, Ticket, utcnow
from intake.lifecycle import STATUSES, audit
from intake.priority import PRIORITIES
from intake.sla import SlaClock
from intake.tickets import FIRST_TICKET_NUMBER, open_ticket
from intake.triage import triage


def is_count(raw: str) -> bool:
    """Whether a query value is a positive whole number of sane size (ASCII digits only:
    ``int()`` refuses "²" and very long numbers, which must be a 400, never a 500)."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) > 0


@dataclass(frozen=True)
class NewTicket:
    """A ticket request, validated."""

    subject: str
    text: str
    priority: str | None
    category: str | None
    conversation_id: int | None


def new_ticket(body: dict[str, Any]) -> NewTicket:
    """Validate ``POST /api/v1/tickets``; BadRequest names the field."""
    subject, text = body.get("subject", ""), body.get("text", "")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 255:
        raise BadRequest("subject must be 1-255 characters.", code="bad_subject")
    if not isinstance(text, str) or len(text) > 20_000:
        raise BadRequest("text must be a string of at most 20000 characters.", code="bad_text")
    priority = body.get("priority")
    if priority is not None and priority not in PRIORITIES:
        raise BadRequest(f"priority must be one of {', '.join(PRIORITIES)}.", code="bad_priority")
    kind = body.get("type", body.get("category"))
    if kind is not None and (not isinstance(kind, str) or not 0 < len(kind) <= 64):
        raise BadRequest("type must be 1-64 characters.", code="bad_type")
    conv = body.get("conversation_id")
    if conv is not None and (
        not isinstance(conv, int) or isinstance(conv, bool) or not 0 < conv < 2**31
    ):
        raise BadRequest("conversation_id must be a conversation's id.", code="bad_conversation")
    return NewTicket(subject.strip(), text.strip(), priority, kind, conv)


async def phone_inbox(
    session: AsyncSession, settings: Settings, contact: Contact
) -> tuple[str, str] | None:
    """(channel, inbox) reaching a contact known only by phone (no email, no identity on any
    channel but the API) through a channel whose ids are phone numbers (SMS), if configured."""
    if not contact.phone or contact.email:
        return None
    for info in settings.channels:
        inboxes = settings.inboxes_of(info.name) if info.phone_ids else ()
        if inboxes:
            break
    else:
        return None
    elsewhere = (
        await session.execute(
            select(ContactIdentity.id)
            .where(ContactIdentity.contact_id == contact.id, ContactIdentity.channel != API_CHANNEL)
            .limit(1)
        )
    ).first()
    return None if elsewhere is not None else (info.name, inboxes[0].name)


async def open_api_ticket(
    session: AsyncSession, settings: Settings, clock: SlaClock, req: NewTicket, contact: Contact
) -> tuple[Ticket, Conversation]:
    """Open a ticket for ``contact`` (on the given conversation, else on the ``api`` inbox)."""
    if req.conversation_id is not None:
        conv = await lock_conversation(session, req.conversation_id)
        if conv.contact_id != contact.id:
            raise BadRequest(
                "The conversation belongs to another contact.", code="bad_conversation"
            )
        existing = await open_ticket(session, conv.id)
        if existing is not None:
            raise Conflict(
                f"Ticket #{existing.number} is already open on this conversation.",
                code="ticket_open",
            )
    else:
        channel, inbox_name, external = API_CHANNEL, API_CHANNEL, f"contact:{contact.id}"
        by_phone = await phone_inbox(session, settings, contact)
        if by_phone is not None:  # known only by phone: notices go out by SMS
            channel, inbox_name = by_phone
            external = contact.phone or ""
        inbox = await inbox_id(session, inbox_name, channel)
        identity = await find_identity(session, channel, inbox, external)
        if identity is None:
            identity = ContactIdentity(
                contact_id=contact.id,
                channel=channel,
                inbox_id=inbox,
                external_id=external,
            )
            session.add(identity)
            await session.flush()
        conv = Conversation(
            contact_id=contact.id,
            inbox_id=inbox,
            identity_id=identity.id,
            channel=channel,
            owner="queued",
            language=contact.language,
            bot_state={},
        )
        session.add(conv)
        await session.flush()
    t = triage(
        f"{req.subject}\n{req.text}", settings.triage, tier=contact.tier, channel=conv.channel
    )
    priority = req.priority or t.priority
    now = utcnow()
    await clock.refresh(session)
    first_due, res_due = clock.due_times(priority, contact.tier, now)
    ticket = Ticket(
        number=await next_counter(session, "ticket_number", start=FIRST_TICKET_NUMBER),
        conversation_id=conv.id,
        status="new",
        priority=priority,
        category=req.category or t.category,
        subject=req.subject[:255],
        reason="api",
        transcript=req.text,
        channel=conv.channel,
        tier=contact.tier,
        sentiment=t.sentiment,
        skills=list(t.skills),
        first_response_due=first_due,
        resolution_due=res_due,
        created_at=now,
    )
    session.add(ticket)
    await session.flush()
    audit(session, ticket, "created", actor="system", reason="api", priority=priority)
    if conv.owner in ("bot", "resolved"):
        conv.owner, conv.assignee_id, conv.resolved_at = "queued", None, None
    if req.text:
        # The description stays inside kefu: a note for the agents, never sent anywhere.
        await add_reply(
            session, conv, sender="system", private=True, text=f"{req.subject}\n\n{req.text}"
        )
    return ticket, conv


def encode_cursor(ticket_id: int) -> str:
    """An opaque cursor: the last ticket id seen."""
    return base64.urlsafe_b64encode(f"t{ticket_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> int:
    """The ticket id inside a cursor; BadRequest when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        value = int(text[1:]) if text.startswith("t") else 0
    except (ValueError, UnicodeDecodeError):
        value = 0
    if not 0 < value < 2**31:
        raise BadRequest(
            "cursor is not valid; use next_cursor of the last page.", code="bad_cursor"
        )
    return value


@dataclass(frozen=True)
class TicketFilter:
    """Filters of ``GET /api/v1/tickets``."""

    status: str | None = None
    priority: str | None = None
    assignee_id: int | None = None
    contact_id: int | None = None
    cursor: int | None = None
    limit: int = 50


def ticket_filter(query: Any) -> TicketFilter:
    """Validate the query of a ticket listing; BadRequest names the bad parameter."""

    def number(name: str) -> int | None:
        raw = query.get(name)
        if raw is None or raw == "":
            return None
        if not is_count(raw) or not 0 < int(raw) < 2**31:
            raise BadRequest(f"{name} must be a positive whole number.", code="bad_query")
        return int(raw)

    status, priority = query.get("status") or None, query.get("priority") or None
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}.", code="bad_query")
    if priority is not None and priority not in PRIORITIES:
        raise BadRequest(f"priority must be one of {', '.join(PRIORITIES)}.", code="bad_query")
    limit = number("limit") or 50
    cursor = query.get("cursor")
    return TicketFilter(
        status,
        priority,
        number("assignee_id"),
        number("contact_id"),
        decode_cursor(cursor) if cursor else None,
        min(limit, 200),
    )


async def list_tickets(
    session: AsyncSession, f: TicketFilter
) -> tuple[list[tuple[Ticket, int]], str | None]:
    """A page of (ticket, contact id), newest first, and the cursor of the next page."""
    stmt = (
        select(Ticket, Conversation.contact_id)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .order_by(Ticket.id.desc())
        .limit(f.limit + 1)
    )
    if f.status:
        stmt = stmt.where(Ticket.status == f.status)
    if f.priority:
        stmt = stmt.where(Ticket.priority == f.priority)
    if f.assignee_id:
        stmt = stmt.where(Ticket.assignee_id == f.assignee_id)
    if f.contact_id:
        stmt = stmt.where(Conversation.contact_id == f.contact_id)
    if f.cursor:
        stmt = stmt.where(Ticket.id < f.cursor)
    rows = [(t, int(cid)) for t, cid in (await session.execute(stmt)).all()]
    more = len(rows) > f.limit
    rows = rows[: f.limit]
    return rows, encode_cursor(rows[-1][0].id) if more and rows else None
