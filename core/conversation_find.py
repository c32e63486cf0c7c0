"""Which conversation an inbound message belongs to: the inbox, the sender's identity
(created on first contact), a thread the channel points at (a token, mail headers, a ticket
number in the subject), the conversation a live channel names, or the sender's latest one.

Every function works inside the caller's transaction, like ``core/conversations.py``.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import insert_on_conflict
from core.domain import InboundMessage, ThreadHint
from core.errors import NotFound
from core.models import (
    Contact,
    ContactIdentity,
    Conversation,
    Inbox,
    Message,
    Ticket,
    utcnow,
)


async def inbox_id(session: AsyncSession, name: str, channel: str) -> int:
    """The id of the inbox called ``name``, created on first use (safe when raced)."""
    found = (await session.execute(select(Inbox.id).where(Inbox.name == name))).scalar()
    if found is not None:
        return int(found)
    # Two first visitors at once (several workers): one creates it, the other finds it.
    # ON CONFLICT DO NOTHING keeps a PostgreSQL transaction usable, unlike a caught error.
    await session.execute(
        insert_on_conflict(session, Inbox)
        .values(name=name, channel=channel, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Inbox.name])
    )
    return int((await session.execute(select(Inbox.id).where(Inbox.name == name))).scalar_one())


async def identity_for(
    session: AsyncSession,
    channel: str,
    inbox: int,
    external_id: str,
    name: str = "",
    *,
    email: str | None = None,
) -> ContactIdentity:
    """The contact identity for a channel user, creating the contact on first contact."""
    identity = await find_identity(session, channel, inbox, external_id)
    if identity is not None:
        return identity
    return await _new_identity(session, channel, inbox, external_id, name, email)


async def find_identity(
    session: AsyncSession, channel: str, inbox: int, external_id: str
) -> ContactIdentity | None:
    """The identity of a channel user on ``inbox``, if they wrote before."""
    return (
        await session.execute(
            select(ContactIdentity).where(
                ContactIdentity.channel == channel,
                ContactIdentity.inbox_id == inbox,
                ContactIdentity.external_id == external_id,
            )
        )
    ).scalar_one_or_none()


async def _new_identity(
    session: AsyncSession, channel: str, inbox: int, external_id: str, name: str, email: str | None
) -> ContactIdentity:
    """A new contact and its first identity."""
    contact = Contact(name=name or "", email=email)
    session.add(contact)
    await session.flush()
    identity = ContactIdentity(
        contact_id=contact.id, channel=channel, inbox_id=inbox, external_id=external_id
    )
    session.add(identity)
    await session.flush()
    return identity


async def start_conversation(
    session: AsyncSession, identity: ContactIdentity, language: str | None = None
) -> Conversation:
    """A new conversation for ``identity``, owned by the bot."""
    conv = Conversation(
        contact_id=identity.contact_id,
        inbox_id=identity.inbox_id,
        identity_id=identity.id,
        channel=identity.channel,
        owner="bot",
        language=language,
        bot_state={},
    )
    session.add(conv)
    await session.flush()
    return conv


async def conversation_for(session: AsyncSession, identity: ContactIdentity) -> Conversation:
    """The identity's latest conversation (one per customer and inbox), or a new one."""
    conv = (
        await session.execute(
            select(Conversation)
            .where(Conversation.identity_id == identity.id)
            .order_by(Conversation.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return conv if conv is not None else await start_conversation(session, identity)


async def identity_of(
    session: AsyncSession, inbound: InboundMessage, ibx: int
) -> tuple[ContactIdentity, bool]:
    """The sender's identity on ``ibx`` (created on first contact); and whether it existed."""
    found = await find_identity(session, inbound.channel, ibx, inbound.external_id)
    if found is not None:
        return found, True
    new = await _new_identity(
        session,
        inbound.channel,
        ibx,
        inbound.external_id,
        inbound.contact_name,
        inbound.contact_email,
    )
    return new, False


async def threaded(
    session: AsyncSession, hint: ThreadHint, ibx: int, identity_id: int
) -> tuple[Conversation | None, str | None]:
    """The conversation ``hint`` points at, if it is this sender's on this inbox; and the rule."""
    candidates: list[tuple[int, str]] = [(c, "token") for c in hint.conversation_ids]
    refs = list(hint.references[:50])
    if refs:
        rows = (
            await session.execute(
                select(Message.conversation_id)
                .where(
                    Message.inbox_id == ibx,
                    or_(Message.external_id.in_(refs), Message.source_id.in_(refs)),
                )
                .order_by(Message.id.desc())
                .limit(5)
            )
        ).scalars()
        candidates.extend((int(c), "headers") for c in rows)
    if hint.ticket_number is not None:
        conv_id = (
            await session.execute(
                select(Ticket.conversation_id).where(Ticket.number == hint.ticket_number)
            )
        ).scalar()
        if conv_id is not None:
            candidates.append((int(conv_id), "subject"))
    for conv_id, rule in candidates:
        conv = await session.get(Conversation, conv_id)
        if conv is not None and conv.inbox_id == ibx and conv.identity_id == identity_id:
            return conv, rule
    return None, None


async def own_conversation(
    session: AsyncSession, inbound: InboundMessage
) -> tuple[Conversation, int]:
    """The conversation the message names, if it is this channel user's; and its inbox id.

    One query instead of inbox, identity and conversation look-ups: a conversation that
    does not exist and one that belongs to somebody else are the same NotFound. The row is
    locked (PostgreSQL), so what the turn reads of it stays current until commit.
    """
    row = (
        await session.execute(
            select(Conversation, ContactIdentity.inbox_id)
            .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
            .join(Inbox, Inbox.id == ContactIdentity.inbox_id)
            .where(
                Conversation.id == inbound.conversation_id,
                ContactIdentity.channel == inbound.channel,
                ContactIdentity.external_id == inbound.external_id,
                Inbox.name == inbound.inbox,
            )
            .with_for_update(of=Conversation)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"Conversation {inbound.conversation_id} does not exist.")
    return row[0], int(row[1])
