"""``kefu import tickets``: service records from the old system, with their numbers and times.

Every imported ticket keeps its original number and timestamps, so reports cover the history
(they count tickets and conversations by when they were created). A ticket in kefu belongs to a
conversation: each imported ticket gets a closed historical conversation on the ``import``
inbox (owner ``resolved``, so it never enters the live queue) holding the record's text. The
customer is found by phone, email or WeChat id like ``kefu import customers`` does, or created;
rows naming no customer share one placeholder contact. The ticket counter moves past the
highest imported number so new tickets never collide with old ones. How a row is read and
checked: intake/imports/ticket_rows.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.imports.batches import BatchWriter
from core.imports.columns import ColumnMap, Field
from core.imports.runner import Outcome
from core.imports.tabular import Row
from core.models import (
    Agent,
    Contact,
    ContactIdentity,
    Conversation,
    Counter,
    Message,
    Ticket,
    utcnow,
)
from intake.imports.cleaning import Invalid
from intake.imports.contacts import IMPORT_INBOX, ContactBook, Incoming, Person, id_channels
from intake.imports.ticket_fields import channel_words, ticket_fields
from intake.imports.ticket_rows import PlannedTicket, read_row
from intake.tables import TicketEvent
from intake.tickets import FIRST_TICKET_NUMBER

COUNTER = "ticket_number"
PLACEHOLDER = "未知客户（导入） Unknown customer (import)"


class TicketImport:
    """Plans and writes ticket rows, their customers and historical conversations."""

    kind: str = "tickets"

    def __init__(self, settings: Settings) -> None:
        self.book = ContactBook(settings)
        self.ids = id_channels(settings)
        self.fields: Sequence[Field] = ticket_fields(self.ids)
        self.channels = channel_words(settings.channels)
        self.zone = ZoneInfo(settings.sla.timezone)
        self.numbers: dict[int, int] = {}  # number -> line, over the whole file
        self.agents: dict[str, int] = {}
        self.chunk: list[PlannedTicket] = []
        self.placeholder: int | None = None
        self.identity: dict[int, int] = {}  # contact id -> its identity on the import inbox
        self.highest = 0
        self.customers = {"created": 0, "merged": 0}

    def check_columns(self, cmap: ColumnMap) -> None:
        """The file needs ticket numbers, creation times and a subject or description."""
        cmap.require_any(("number",))
        cmap.require_any(("created_at",))
        cmap.require_any(("subject", "description"))

    async def prepare(self, session: AsyncSession) -> None:
        """Load agents (by email and name) and contact names."""
        await self.book.prepare(session)
        for a in (await session.execute(select(Agent))).scalars():
            self.agents.setdefault(a.email.lower(), a.id)
            if a.name:
                self.agents.setdefault(a.name.strip().casefold(), a.id)

    async def plan(
        self, session: AsyncSession, rows: Sequence[Row], cmap: ColumnMap
    ) -> list[Outcome]:
        """Clean each row, check its number, match its customer."""
        cleaned: list[tuple[Row, PlannedTicket | str, Incoming | None, str]] = []
        for row in rows:
            try:
                planned, inc, note = read_row(
                    row,
                    cmap,
                    zone=self.zone,
                    channels=self.channels,
                    ids=self.ids,
                    agents=self.agents,
                )
                cleaned.append((row, planned, inc, note))
            except Invalid as err:
                cleaned.append((row, str(err), None, ""))
        wanted = [p.number for _, p, _, _ in cleaned if isinstance(p, PlannedTicket)]
        existing = dict(
            (
                await session.execute(
                    select(Ticket.number, Conversation.channel)
                    .join(Conversation, Conversation.id == Ticket.conversation_id)
                    .where(Ticket.number.in_(wanted or [-1]))
                )
            ).all()
        )
        await self.book.lookup(session, [i for _, _, i, _ in cleaned if i is not None])
        out: list[Outcome] = []
        self.chunk = []
        for row, plan_or_reason, inc, note in cleaned:
            if isinstance(plan_or_reason, str):
                out.append(Outcome(row.line, "rejected", plan_or_reason))
                continue
            planned = plan_or_reason
            n = planned.number
            if n in self.numbers:
                out.append(
                    Outcome(row.line, "rejected", f"ticket #{n} is also on line {self.numbers[n]}")
                )
                continue
            self.numbers[n] = row.line
            if n in existing:
                if existing[n] == IMPORT_INBOX:
                    out.append(Outcome(row.line, "skipped", f"ticket #{n} was already imported"))
                else:
                    out.append(
                        Outcome(
                            row.line,
                            "rejected",
                            f"ticket #{n} already exists in kefu (a live ticket)",
                        )
                    )
                continue
            detail, review = f"ticket #{n}", ""
            if inc is not None:
                try:
                    placed = self.book.place(row.line, inc)
                except Invalid as err:
                    out.append(Outcome(row.line, "rejected", f"customer: {err}"))
                    continue
                planned.person = placed.person
                review = placed.review
                if placed.action == "created":
                    self.customers["created"] += 1
                    detail += "; new customer"
                else:
                    self.customers["merged"] += placed.action == "merged"
                    detail += f"; customer {placed.person.label()}"
            else:
                detail += "; no customer given (placeholder contact)"
            self.highest = max(self.highest, n)
            self.chunk.append(planned)
            out.append(Outcome(row.line, "created", detail + note, review))
        return out

    async def apply(self, session: AsyncSession, writer: BatchWriter) -> None:
        """Write the chunk's customers, conversations, messages, tickets and audit events."""
        await self.book.write(session, writer)
        if not self.chunk:
            return
        inbox = await self.book.inbox_id(session, writer, IMPORT_INBOX)
        contact_of = [await self._contact(session, writer, p.person) for p in self.chunk]
        await self._identities(session, writer, inbox, set(contact_of))
        tiers = dict(
            (
                await session.execute(
                    select(Contact.id, Contact.tier).where(Contact.id.in_(set(contact_of)))
                )
            ).all()
        )
        now = utcnow()
        convs = await session.execute(
            insert(Conversation).returning(Conversation.id, sort_by_parameter_order=True),
            [
                {
                    "contact_id": cid,
                    "inbox_id": inbox,
                    "identity_id": self.identity[cid],
                    "channel": IMPORT_INBOX,
                    "owner": "resolved",
                    "last_seq": 1,
                    "bot_state": {},
                    "first_customer_message_at": p.created_at,
                    "resolved_at": p.resolved_at or p.closed_at,
                    "last_activity_at": p.closed_at or p.resolved_at or p.created_at,
                    "created_at": p.created_at,
                    "updated_at": now,
                }
                for p, cid in zip(self.chunk, contact_of, strict=True)
            ],
        )
        conv_ids = list(convs.scalars())
        writer.created("conversations", conv_ids)
        msgs = await session.execute(
            insert(Message).returning(Message.id),
            [
                {
                    "conversation_id": cv,
                    "inbox_id": inbox,
                    "seq": 1,
                    "direction": "in",
                    "sender": "customer",
                    "kind": "text",
                    "text": p.text,
                    "attachments": [],
                    "private": False,
                    "delivery": "received",
                    "meta": {"imported": True},
                    "created_at": p.created_at,
                }
                for p, cv in zip(self.chunk, conv_ids, strict=True)
            ],
        )
        writer.created("messages", list(msgs.scalars()))
        tickets = await session.execute(
            insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True),
            [
                {
                    "number": p.number,
                    "conversation_id": cv,
                    "status": p.status,
                    "priority": p.priority,
                    "category": p.category,
                    "subject": p.subject,
                    "reason": "import",
                    "transcript": self._transcript(p),
                    "channel": p.channel,
                    "tier": tiers.get(cid, "normal"),
                    "sentiment": "neutral",
                    "skills": [],
                    "assignee_id": p.assignee_id,
                    "first_response_at": p.first_response_at,
                    "warned": [],
                    "survey_state": "done" if p.csat else "",
                    "csat": p.csat,
                    "resolved_at": p.resolved_at,
                    "closed_at": p.closed_at,
                    "created_at": p.created_at,
                    "updated_at": now,
                }
                for p, cv, cid in zip(self.chunk, conv_ids, contact_of, strict=True)
            ],
        )
        ticket_ids = list(tickets.scalars())
        writer.created("tickets", ticket_ids)
        await session.execute(
            insert(TicketEvent),
            [
                {
                    "ticket_id": tid,
                    "actor": "system",
                    "action": "imported",
                    "detail": {"batch": writer.batch.id, "line": p.line},
                    "created_at": now,
                }
                for tid, p in zip(ticket_ids, self.chunk, strict=True)
            ],
        )
        self.chunk = []

    def _transcript(self, p: PlannedTicket) -> str:
        """The record's text in the transcript format tickets use."""
        when = p.created_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")
        return f"[{when}] Customer: {p.text}"

    async def _contact(self, session: AsyncSession, writer: BatchWriter, p: Person | None) -> int:
        if p is not None and p.contact_id is not None:
            return p.contact_id
        if self.placeholder is None:
            c = Contact(name=PLACEHOLDER, tier="normal", created_at=utcnow(), updated_at=utcnow())
            session.add(c)
            await session.flush()
            self.placeholder = c.id
            writer.created("contacts", [c.id])
        return self.placeholder

    async def _identities(
        self, session: AsyncSession, writer: BatchWriter, inbox: int, contacts: set[int]
    ) -> None:
        """Each contact's identity on the import inbox (its historical conversations use it)."""
        missing = contacts - self.identity.keys()
        if not missing:
            return
        for cid, iid in await session.execute(
            select(ContactIdentity.contact_id, func.min(ContactIdentity.id))
            .where(ContactIdentity.inbox_id == inbox, ContactIdentity.contact_id.in_(missing))
            .group_by(ContactIdentity.contact_id)
        ):
            self.identity[cid] = iid
        rows = [
            {
                "contact_id": cid,
                "channel": IMPORT_INBOX,
                "inbox_id": inbox,
                "external_id": f"contact-{cid}",
                "created_at": utcnow(),
            }
            for cid in sorted(missing - self.identity.keys())
        ]
        if rows:
            result = await session.execute(
                insert(ContactIdentity).returning(ContactIdentity.id, sort_by_parameter_order=True),
                rows,
            )
            ids = list(result.scalars())
            writer.created("contact_identities", ids)
            self.identity.update(
                (int(r["contact_id"]), i)  # type: ignore[call-overload]
                for r, i in zip(rows, ids, strict=True)
            )

    async def finish(self, session: AsyncSession, writer: BatchWriter) -> dict[str, int]:
        """Move the ticket counter past the highest imported number."""
        if self.highest:
            before = (
                await session.execute(select(Counter.value).where(Counter.name == COUNTER))
            ).scalar()
            target = max(self.highest, before if before is not None else FIRST_TICKET_NUMBER - 1)
            if before is None:
                session.add(Counter(name=COUNTER, value=target))
            elif target != before:
                row = await session.get(Counter, COUNTER)
                assert row is not None
                row.value = target
            if target != before:
                writer.counter(COUNTER, before, ("tickets", "number"))
                await session.flush()
        return {f"customers_{k}": v for k, v in self.customers.items()}
