"""A customer's own tickets, for the bot to answer "我的工单 #1001 处理到哪一步了？".

Only the tickets of the conversations of the same contact are ever read, so a ticket number
that belongs to someone else finds nothing, exactly like a number that does not exist.
What the customer sees: status, what the desk waits for, the assignee's first name, the due
date and the last public reply; never private notes, other customers or agents' full names.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.domain import TicketView
from core.models import Agent, Conversation, Message, Ticket

SHOWN = 10  # the most recent tickets a customer is shown
SNIPPET = 80  # characters of the last reply


def first_name(name: str) -> str:
    """ "Li Wei" -> "Li"; Chinese names and nicknames (王师傅, 小李) have no space: kept."""
    return (name or "").strip().split(" ")[0]


def snippet(text: str, size: int = SNIPPET) -> str:
    """One line of at most ``size`` characters."""
    line = " ".join((text or "").split())
    return line if len(line) <= size else line[: size - 1] + "…"


class TicketStatus:
    """Reads the tickets of the customer behind a conversation (the bot's ``TicketLookup``)."""

    def __init__(self, db: Database, timezone: str) -> None:
        self.db = db
        self.zone = ZoneInfo(timezone)

    async def tickets_for(self, conversation_id: int) -> list[TicketView]:
        """The customer's tickets, newest first (merged duplicates left out)."""
        async with self.db.reader() as session:
            contact = (
                await session.execute(
                    select(Conversation.contact_id).where(Conversation.id == conversation_id)
                )
            ).scalar()
            if contact is None:
                return []
            rows = (
                await session.execute(
                    select(Ticket, Agent.name)
                    .join(Conversation, Conversation.id == Ticket.conversation_id)
                    .outerjoin(Agent, Agent.id == Ticket.assignee_id)
                    .where(Conversation.contact_id == contact, Ticket.merged_into.is_(None))
                    .order_by(Ticket.id.desc())
                    .limit(SHOWN)
                )
            ).all()
            return [await self._view(session, t, name or "") for t, name in rows]

    async def _view(self, session: AsyncSession, t: Ticket, assignee: str) -> TicketView:
        last = (
            await session.execute(
                select(Message.text, Message.created_at)
                .where(
                    Message.conversation_id == t.conversation_id,
                    Message.private.is_(False),
                    Message.sender == "agent",
                    Message.created_at >= t.created_at,
                )
                .order_by(Message.seq.desc())
                .limit(1)
            )
        ).first()
        update, when = (snippet(last[0]), last[1]) if last is not None else ("", t.created_at)
        return TicketView(
            number=t.number,
            status=t.status,
            subject=snippet(t.subject, 40),
            assignee=first_name(assignee),
            due=self._local(t.resolution_due) if t.status in ("new", "open", "pending") else None,
            updated_at=self._local(when) or when,
            update=update,
            need=update if t.status == "pending" else "",
        )

    def _local(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.zone) if moment is not None else None
