"""Typed reads of a conversation's customer for other packages (the bot's order lookup)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import Database
from core.models import Contact, Conversation


@dataclass(frozen=True)
class ContactKeys:
    """What identifies the customer to another system: their phone and email, if known."""

    phone: str | None
    email: str | None


async def contact_keys(db: Database, conversation_id: int) -> ContactKeys:
    """The phone and email of the conversation's contact (both None when unknown)."""
    async with db.reader() as session:
        row = (
            await session.execute(
                select(Contact.phone, Contact.email)
                .join(Conversation, Conversation.contact_id == Contact.id)
                .where(Conversation.id == conversation_id)
            )
        ).first()
    return ContactKeys(row[0], row[1]) if row else ContactKeys(None, None)
