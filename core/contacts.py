"""Contacts for other packages: a conversation's customer (the bot's order lookup), and
merging two contacts who are one person (the public API; the console can use the same)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.errors import Conflict, NotFound
from core.models import Contact, ContactIdentity, Conversation, utcnow

# A contact's service tier, as agents (the console) and other systems (/api/v1) set it.
TIERS = ("normal", "vip")

# Filled on the kept contact from the merged one where the kept one has nothing.
MERGED_FIELDS = ("name", "email", "phone", "company", "note", "language", "external_id")


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


async def merge_contacts(session: AsyncSession, source_id: int, target_id: int) -> Contact:
    """Merge contact ``source_id`` into ``target_id`` inside the caller's transaction.

    The source's channel identities and conversations move to the target (so the customer's
    channels, history and tickets follow), blank fields of the target are filled from the
    source (the target keeps its own values where it has them; VIP wins), and the source is
    deleted. Conflict when merging a contact into itself or one whose personal data was
    erased; NotFound when either does not exist. Returns the kept contact.
    """
    if source_id == target_id:
        raise Conflict(
            "A contact cannot be merged into itself. 不能与自身合并。", code="merge_self"
        )
    # Lock in id order: two merges of the same pair in opposite directions cannot deadlock.
    first, second = sorted((source_id, target_id))
    rows = {
        c.id: c
        for c in (
            await session.execute(
                select(Contact)
                .where(Contact.id.in_((first, second)))
                .order_by(Contact.id)
                .with_for_update()
            )
        ).scalars()
    }
    source, target = rows.get(source_id), rows.get(target_id)
    if source is None or target is None:
        missing = source_id if source is None else target_id
        raise NotFound(f"Contact {missing} does not exist. 联系人不存在。")
    if source.erased_at is not None or target.erased_at is not None:
        raise Conflict(
            "An erased contact cannot be merged. 已删除个人数据的联系人不能合并。",
            code="contact_erased",
        )
    taken = {k: getattr(source, k) for k in MERGED_FIELDS}
    if source.external_id is not None:
        source.external_id = None  # unique: freed before the kept contact may take it
        await session.flush()
    for key, value in taken.items():
        if not getattr(target, key) and value:
            setattr(target, key, value)
    if source.tier == "vip":
        target.tier = "vip"
    await session.execute(
        update(ContactIdentity)
        .where(ContactIdentity.contact_id == source_id)
        .values(contact_id=target_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Conversation)
        .where(Conversation.contact_id == source_id)
        .values(contact_id=target_id)
        .execution_options(synchronize_session=False)
    )
    target.updated_at = utcnow()
    await session.flush()
    await session.delete(source)
    await session.flush()
    return target
