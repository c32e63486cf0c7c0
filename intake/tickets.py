"""Ticket lifecycle, first version: open on escalation (one open ticket per conversation),
resolve with the conversation, keep the transcript."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import next_counter
from core.models import Contact, Conversation, Message, Ticket, utcnow
from intake.triage import priority_for

OPEN_STATUSES = ("new", "open", "pending")
FIRST_TICKET_NUMBER = 1001
SENDER_LABEL = {"customer": "Customer", "bot": "Bot", "agent": "Agent", "system": "System"}


async def transcript(session: AsyncSession, conversation_id: int) -> str:
    """The public history of a conversation as plain text, one line per message."""
    rows = (
        await session.execute(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.private.is_(False))
            .order_by(Message.seq)
        )
    ).scalars()
    lines = []
    for m in rows:
        who = SENDER_LABEL.get(m.sender, m.sender)
        if m.sender == "agent" and m.meta.get("agent_name"):
            who = f"Agent {m.meta['agent_name']}"
        lines.append(f"[{m.created_at:%Y-%m-%d %H:%M:%S}] {who}: {m.text}")
    return "\n".join(lines)


async def open_ticket_for(
    session: AsyncSession, conv: Conversation, *, reason: str, category: str | None = None
) -> Ticket:
    """The conversation's open ticket, updated, or a new one with the next number."""
    text = await transcript(session, conv.id)
    customer_text = "\n".join(line for line in text.splitlines() if "] Customer: " in line)
    contact = await session.get(Contact, conv.contact_id)
    priority = priority_for(customer_text, tier=contact.tier if contact else "normal")
    ticket = (
        await session.execute(
            select(Ticket)
            .where(Ticket.conversation_id == conv.id, Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if ticket is not None:
        ticket.transcript = text
        ticket.reason = reason
        if priority == "urgent":
            ticket.priority = "urgent"
        ticket.category = category or ticket.category
        return ticket
    first = next(
        (line.split("] Customer: ", 1)[1] for line in text.splitlines() if "] Customer: " in line),
        "",
    )
    number = await next_counter(session, "ticket_number", start=FIRST_TICKET_NUMBER)
    ticket = Ticket(
        number=number,
        conversation_id=conv.id,
        status="new",
        priority=priority,
        category=category,
        subject=first[:120],
        reason=reason,
        transcript=text,
    )
    session.add(ticket)
    await session.flush()
    return ticket


async def resolve_tickets(session: AsyncSession, conversation_id: int) -> None:
    """Mark the conversation's open tickets resolved."""
    rows = (
        await session.execute(
            select(Ticket).where(
                Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_STATUSES)
            )
        )
    ).scalars()
    now = utcnow()
    for ticket in rows:
        ticket.status = "resolved"
        ticket.resolved_at = now


async def latest_ticket(session: AsyncSession, conversation_id: int) -> Ticket | None:
    """The conversation's most recent ticket, if any."""
    return (
        await session.execute(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
