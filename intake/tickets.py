"""Tickets: opened at escalation (one open ticket per conversation), triaged, on an SLA clock,
reopened when the customer escalates again within the window, merged when duplicated."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.db import next_counter
from core.errors import Conflict, NotFound
from core.models import Contact, Conversation, Message, Ticket, utcnow
from intake.lifecycle import OPEN_STATUSES, audit, move
from intake.priority import PRIORITY_RANK
from intake.sla import SlaClock
from intake.triage import route_skills, triage, urgency

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


async def open_ticket(session: AsyncSession, conversation_id: int) -> Ticket | None:
    """The conversation's open (new, open or pending) ticket, if any."""
    return (
        await session.execute(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def ticket_by_number(session: AsyncSession, number: int) -> Ticket:
    """The ticket ``#number``; NotFound otherwise."""
    ticket = (
        await session.execute(select(Ticket).where(Ticket.number == number))
    ).scalar_one_or_none()
    if ticket is None:
        raise NotFound(f"Ticket #{number} does not exist.")
    return ticket


async def _kb_category(session: AsyncSession, conversation_id: int, skip: str = "") -> str | None:
    """The category of the last knowledge-base entry the bot answered with, if any (not
    ``skip``: the safety advice sent for a hazard says nothing of what the ticket is about)."""
    metas = (
        await session.execute(
            select(Message.meta)
            .where(Message.conversation_id == conversation_id, Message.sender == "bot")
            .order_by(Message.seq.desc())
            .limit(5)
        )
    ).scalars()
    for meta in metas:
        category = (meta or {}).get("category")  # written with the answer (core.turn_commit)
        if isinstance(category, str) and category and category != skip:
            return category
    return None


class TicketDesk:
    """Opens, triages and times tickets under the configured policies."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = SlaClock(settings.sla)

    async def open_for(
        self, session: AsyncSession, conv: Conversation, *, reason: str, category: str | None
    ) -> Ticket:
        """The open ticket, updated; else a recently resolved one, reopened; else a new one."""
        text = await transcript(session, conv.id)
        customer_lines = [
            ln.split("] Customer: ", 1)[1] for ln in text.splitlines() if "] Customer: " in ln
        ]
        contact = await session.get(Contact, conv.contact_id)
        tier = contact.tier if contact else "normal"
        kb_category = category or await _kb_category(
            session, conv.id, self.settings.triage.safety_category
        )
        t = triage(
            "\n".join(customer_lines),
            self.settings.triage,
            tier=tier,
            channel=conv.channel,
            kb_category=kb_category,
        )
        now = utcnow()
        await self.clock.refresh(session)
        ticket = await open_ticket(session, conv.id)
        if ticket is None:
            last = await latest_ticket(session, conv.id)
            window = timedelta(hours=self.settings.tickets.reopen_window_hours)
            if (
                last is not None
                and last.status == "resolved"
                and last.resolved_at is not None
                and now - last.resolved_at <= window
            ):
                ticket = last
                move(session, ticket, "open", clock=self.clock, actor="customer", note=reason)
                ticket.survey_state = (
                    "" if ticket.survey_state == "pending" else ticket.survey_state
                )
                ticket.resolution_due = self.clock.due_times(ticket.priority, tier, now)[1]
        if ticket is not None:
            ticket.transcript = text
            ticket.reason = reason
            if PRIORITY_RANK[t.priority] > PRIORITY_RANK.get(ticket.priority, 0):
                audit(
                    session,
                    ticket,
                    "priority",
                    old=ticket.priority,
                    new=t.priority,
                    kinds=sorted(t.kinds),
                )
                ticket.priority = t.priority
                first, res = self.clock.due_times(t.priority, tier, ticket.created_at)
                if ticket.first_response_at is None:
                    ticket.first_response_due = min(ticket.first_response_due or first, first)
                ticket.resolution_due = min(ticket.resolution_due or res, res)
            ticket.category = ticket.category or t.category
            if t.kinds and route_skills(t.kinds, self.settings.triage):
                ticket.skills = list(t.skills)  # a complaint or hazard changes queue
            else:
                ticket.skills = sorted(set(ticket.skills or []) | set(t.skills))
            ticket.sentiment = "negative" if t.sentiment == "negative" else ticket.sentiment
            audit(session, ticket, "escalated", actor="bot", reason=reason)
            return ticket
        number = await next_counter(session, "ticket_number", start=FIRST_TICKET_NUMBER)
        first_due, res_due = self.clock.due_times(t.priority, tier, now)
        subject = customer_lines[0] if customer_lines else ""
        ticket = Ticket(
            number=number,
            conversation_id=conv.id,
            status="new",
            priority=t.priority,
            category=t.category,
            subject=subject[:120],
            reason=reason,
            transcript=text,
            channel=conv.channel,
            tier=tier,
            sentiment=t.sentiment,
            skills=list(t.skills),
            first_response_due=first_due,
            resolution_due=res_due,
            created_at=now,
        )
        session.add(ticket)
        await session.flush()
        audit(
            session,
            ticket,
            "created",
            actor="bot",
            reason=reason,
            priority=t.priority,
            category=t.category,
            terms=list(t.terms),
            kinds=list(t.kinds),
        )
        return ticket

    async def customer_alarm(self, session: AsyncSession, conv: Conversation, text: str) -> None:
        """A complaint, a hazard or anger written while a person handles the ticket: it becomes
        urgent (the customer is told, see customer_notices) and goes to its kind's queue."""
        ticket = await open_ticket(session, conv.id)
        if ticket is None:
            return
        found = urgency(text, self.settings.triage)
        if not found.kinds:
            return
        if {"complaint", "angry"} & found.kinds:
            ticket.sentiment = "negative"
        routed = route_skills(found.kinds, self.settings.triage)
        if routed:
            ticket.skills = list(routed)
        if PRIORITY_RANK["urgent"] <= PRIORITY_RANK.get(ticket.priority, 0):
            return
        kinds = [k for k in ("hazard", "complaint", "angry") if k in found.kinds]
        audit(
            session, ticket, "priority", actor="customer", old=ticket.priority, new="urgent",
            kinds=kinds, terms=list(found.terms),
        )  # fmt: skip
        ticket.priority = "urgent"
        await self.clock.refresh(session)
        first, res = self.clock.due_times("urgent", ticket.tier, ticket.created_at)
        if ticket.first_response_at is None:
            ticket.first_response_due = min(ticket.first_response_due or first, first)
        ticket.resolution_due = min(ticket.resolution_due or res, res)

    async def merge(
        self, session: AsyncSession, source: Ticket, target: Ticket, agent_id: int | None
    ) -> None:
        """Close ``source`` as a duplicate of ``target``; its transcript is kept on the target."""
        if source.id == target.id:
            raise Conflict("A ticket cannot be merged into itself.", code="merge_self")
        if target.status == "closed":
            raise Conflict(f"Ticket #{target.number} is closed.", code="merge_closed")
        if source.status == "closed":
            raise Conflict(f"Ticket #{source.number} is already closed.", code="merge_closed")
        if source.status != "resolved":
            move(session, source, "resolved", clock=self.clock, actor="agent", agent_id=agent_id)
        move(session, source, "closed", clock=self.clock, actor="agent", agent_id=agent_id)
        source.merged_into = target.number
        target.transcript = (
            f"{target.transcript}\n--- merged from #{source.number} ---\n{source.transcript}"
        )
        if PRIORITY_RANK.get(source.priority, 0) > PRIORITY_RANK.get(target.priority, 0):
            target.priority = source.priority
        audit(session, source, "merged", actor="agent", agent_id=agent_id, into=target.number)
        audit(session, target, "merged", actor="agent", agent_id=agent_id, source=source.number)
