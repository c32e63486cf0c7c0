"""What the bot's repair form needs from the desk: the form kept in SQL, what is known about
the customer (phone, products, the type's fields) and opening the typed ticket at the end.

The bot (bot/repair_form.py) knows this only as its ``FormBackend`` Protocol (bot/ports.py);
core/app.py wires the two together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.db import Database
from core.errors import BadRequest, Conflict
from core.models import Contact, Conversation, Ticket
from intake import ticket_types, visits
from intake.address import parse_address, problem
from intake.imports.cleaning import Invalid
from intake.lifecycle import audit
from intake.products import Owned, apply_warranty, contact_products, owned
from intake.tables import BotForm, Product
from intake.tickets import TicketDesk
from intake.warranty import Warranty

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Known:
    """What the desk already knows about the customer behind a conversation."""

    phone: str
    products: list[Owned]
    fields: list[dict[str, Any]] = field(default_factory=list)  # the type's newest fields
    type_name: dict[str, str] = field(default_factory=dict)


@dataclass
class Form:
    """A form in progress."""

    type_key: str
    values: dict[str, str]
    asking: str


class RepairDesk:
    """The bot's form backend on the database."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.zone = ZoneInfo(settings.sla.timezone)
        self.desk = TicketDesk(settings)
        self.warranty = Warranty(settings.workorders.warranty_rules)

    def now(self) -> datetime:
        """Now in the configured zone."""
        return datetime.now(self.zone)

    def today(self) -> date:
        """Today in the configured zone."""
        return self.now().date()

    async def load(self, conversation_id: int) -> Form | None:
        """The form being filled in this conversation, if any."""
        async with self.db.reader() as session:
            row = await session.get(BotForm, conversation_id)
            return Form(row.type_key, dict(row.values or {}), row.asking) if row else None

    async def save(self, conversation_id: int, form: Form) -> None:
        """Keep the form (created or updated)."""
        async with self.db.transaction() as session:
            row = await session.get(BotForm, conversation_id)
            if row is None:
                session.add(
                    BotForm(
                        conversation_id=conversation_id,
                        type_key=form.type_key,
                        values=form.values,
                        asking=form.asking,
                    )
                )
            else:
                row.type_key, row.values, row.asking = form.type_key, dict(form.values), form.asking

    async def clear(self, conversation_id: int) -> None:
        """Forget the form (cancelled or submitted)."""
        async with self.db.transaction() as session:
            await session.execute(delete(BotForm).where(BotForm.conversation_id == conversation_id))

    async def known(self, conversation_id: int, type_key: str) -> Known:
        """The customer's phone and products, and the type's fields."""
        async with self.db.transaction() as session:
            await ticket_types.seed(session, self.settings.workorders.ticket_types)
            kind = await ticket_types.latest_type(session, type_key)
            contact_id = (
                await session.execute(
                    select(Conversation.contact_id).where(Conversation.id == conversation_id)
                )
            ).scalar()
            contact = await session.get(Contact, contact_id) if contact_id else None
            products = await contact_products(session, contact_id) if contact_id else []
            return Known(
                contact.phone or "" if contact else "",
                [owned(p) for p in products],
                list(kind.fields),
                {"zh": kind.name_zh, "en": kind.name_en},
            )

    async def add_product(self, conversation_id: int, model: str, category: str) -> int:
        """A product the customer names by model, recorded on them (no purchase date yet)."""
        async with self.db.transaction() as session:
            contact_id = (
                await session.execute(
                    select(Conversation.contact_id).where(Conversation.id == conversation_id)
                )
            ).scalar_one()
            product = Product(contact_id=contact_id, model=model[:100], category=category[:64])
            apply_warranty(product, self.warranty)
            session.add(product)
            await session.flush()
            return product.id

    async def open_ticket(
        self,
        conversation_id: int,
        type_key: str,
        values: dict[str, str],
        summary: str,
        language: str,
    ) -> tuple[int, str]:
        """Open (or update the open) ticket of the conversation, typed, with the values; its
        number, and the appointment when an engineer was sent ("" otherwise), in
        ``language``: the bot tells it after the ticket's number, in one message."""
        async with self.db.transaction() as session:
            conv = await session.get(Conversation, conversation_id, with_for_update=True)
            if conv is None:
                raise LookupError(conversation_id)
            ticket: Ticket = await self.desk.open_for(
                session, conv, reason="bot_form", category=type_key
            )
            if summary and not ticket.subject:
                ticket.subject = summary[:120]
            kind, _, changes = await ticket_types.set_fields(
                session, ticket, values, self.zone, type_key
            )
            audit(session, ticket, "type", actor="bot", type=kind.key, version=kind.version)
            audit(session, ticket, "fields", actor="bot", changes=changes)
            appointment = ""
            if values.get("window") and values.get("address"):
                appointment = await self._dispatch(session, ticket, language)
            # The phone the customer typed stays on the ticket only: it is a claim, and a
            # claim never joins this chat to the customer who owns that number.
            return ticket.number, appointment

    async def _dispatch(self, session: AsyncSession, ticket: Ticket, language: str) -> str:
        """Send an engineer at once when one fits, and say the appointment; when none does
        (""), the desk dispatches by hand."""
        lang = "en" if language == "en" else "zh"
        try:
            async with session.begin_nested():
                visit, engineer = await visits.dispatch(
                    session, ticket, self.zone, told_by_caller=True
                )
        except (Conflict, BadRequest) as err:
            log.info("ticket #%s: no engineer dispatched by the bot (%s)", ticket.number, err)
            return ""
        return visits.notice(ticket, visit, engineer, "dispatched", self.zone, lang)

    def address_rest(self, text: str) -> str | None:
        """The street after an address's city and district; None when it is not one."""
        found = parse_address(text)
        return None if found is None else found.rest

    def address_problem(self, text: str) -> str:
        """Why ``text`` is not an address ("no_city", "no_street", "not_address")."""
        return problem(text)

    async def clean(self, conversation_id: int, field: dict[str, Any], text: str) -> str:
        """A field's value cleaned as the desk stores it; ValueError says what is wrong."""
        async with self.db.reader() as session:
            contact_id = (
                await session.execute(
                    select(Conversation.contact_id).where(Conversation.id == conversation_id)
                )
            ).scalar()
            try:
                return await ticket_types.clean_value(session, field, text, contact_id, self.zone)
            except Invalid as err:
                raise ValueError(str(err)) from None
