"""Contacts, conversations and messages: recording inbound messages once, adding replies.

Every function here works inside a caller's transaction (an ``AsyncSession``), so a
turn's writes (the customer's message, the bot's replies, their outbox rows, a ticket)
commit or roll back together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain import Attachment, InboundMessage
from core.errors import NotFound
from core.models import (
    Agent,
    Contact,
    ContactIdentity,
    Conversation,
    Inbox,
    Message,
    OutboxItem,
    utcnow,
)

INBOUND = "in"
OUTBOUND = "out"


@dataclass(frozen=True)
class Recorded:
    """The result of recording an inbound message."""

    conversation: Conversation
    message: Message
    duplicate: bool


async def inbox_id(session: AsyncSession, name: str, channel: str) -> int:
    """The id of the inbox called ``name``, created on first use."""
    found = (await session.execute(select(Inbox.id).where(Inbox.name == name))).scalar()
    if found is not None:
        return int(found)
    inbox = Inbox(name=name, channel=channel)
    session.add(inbox)
    await session.flush()
    return inbox.id


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
    identity = (
        await session.execute(
            select(ContactIdentity).where(
                ContactIdentity.channel == channel,
                ContactIdentity.inbox_id == inbox,
                ContactIdentity.external_id == external_id,
            )
        )
    ).scalar_one_or_none()
    if identity is not None:
        return identity
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


async def lock_conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    """Load a conversation for update (row lock on PostgreSQL); NotFound if missing."""
    conv = (
        await session.execute(
            select(Conversation)
            .where(Conversation.id == conversation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if conv is None:
        raise NotFound(f"Conversation {conversation_id} does not exist.")
    return conv


async def next_seq(session: AsyncSession, conversation_id: int) -> int:
    """Allocate the next message sequence number of a conversation."""
    now = utcnow()
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1, last_activity_at=now, updated_at=now)
        .returning(Conversation.last_seq)
    )
    seq = result.scalar_one_or_none()
    if seq is None:
        raise NotFound(f"Conversation {conversation_id} does not exist.")
    return int(seq)


async def find_by_source(session: AsyncSession, inbox: int, source_id: str) -> Message | None:
    """The message a platform already delivered under ``source_id``, if any."""
    return (
        await session.execute(
            select(Message).where(Message.inbox_id == inbox, Message.source_id == source_id)
        )
    ).scalar_one_or_none()


async def record_inbound(session: AsyncSession, inbound: InboundMessage) -> Recorded:
    """Store a customer message exactly once in the customer's conversation."""
    ibx = await inbox_id(session, inbound.inbox, inbound.channel)
    existing = await find_by_source(session, ibx, inbound.source_id)
    if existing is not None:
        conv = await session.get(Conversation, existing.conversation_id)
        assert conv is not None
        return Recorded(conv, existing, duplicate=True)
    identity = await identity_for(
        session,
        inbound.channel,
        ibx,
        inbound.external_id,
        inbound.contact_name,
        email=inbound.contact_email,
    )
    if inbound.conversation_id is not None:
        conv_or_none = await session.get(Conversation, inbound.conversation_id)
        if conv_or_none is None or conv_or_none.identity_id != identity.id:
            raise NotFound(f"Conversation {inbound.conversation_id} does not exist.")
        conv = conv_or_none
    else:
        conv = await conversation_for(session, identity)
    seq = await next_seq(session, conv.id)
    now = inbound.received_at or utcnow()
    msg = Message(
        conversation_id=conv.id,
        inbox_id=ibx,
        seq=seq,
        direction=INBOUND,
        sender="customer",
        kind=inbound.kind,
        text=inbound.text,
        attachments=[attachment_json(a) for a in inbound.attachments],
        source_id=inbound.source_id,
        delivery="received",
        meta={},
        created_at=now,
    )
    session.add(msg)
    await session.flush()
    await session.refresh(conv)
    if conv.first_customer_message_at is None:
        conv.first_customer_message_at = now
    return Recorded(conv, msg, duplicate=False)


def attachment_json(a: Attachment) -> dict[str, Any]:
    """An attachment as stored in a message row."""
    return {"key": a.key, "kind": a.kind, "mime": a.mime, "size": a.size, "name": a.name}


async def add_reply(
    session: AsyncSession,
    conv: Conversation,
    *,
    sender: str,
    text: str,
    private: bool = False,
    agent: Agent | None = None,
    meta: dict[str, Any] | None = None,
) -> Message:
    """Store an outgoing message and, unless it is a private note, its outbox row."""
    seq = await next_seq(session, conv.id)
    meta = dict(meta or {})
    if agent is not None:
        meta["agent_name"] = agent.name
    msg = Message(
        conversation_id=conv.id,
        inbox_id=conv.inbox_id,
        seq=seq,
        direction=OUTBOUND,
        sender=sender,
        text=text,
        private=private,
        agent_id=agent.id if agent else None,
        delivery="received" if private else "pending",
        meta=meta,
    )
    session.add(msg)
    await session.flush()
    if not private:
        session.add(
            OutboxItem(
                message_id=msg.id,
                conversation_id=conv.id,
                channel=conv.channel,
                idempotency_key=uuid.uuid4().hex,
                status="pending",
            )
        )
    return msg


async def messages_after(
    session: AsyncSession,
    conversation_id: int,
    after_seq: int,
    *,
    include_private: bool = False,
    limit: int = 500,
) -> list[Message]:
    """Messages of a conversation with seq > after_seq, in order."""
    stmt = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    if not include_private:
        stmt = stmt.where(Message.private.is_(False))
    return list((await session.execute(stmt)).scalars())
