"""Contacts, conversations and messages: recording inbound messages once, adding replies.

Every function here works inside a caller's transaction (an ``AsyncSession``), so a
turn's writes (the customer's message, the bot's replies, their outbox rows, a ticket)
commit or roll back together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core.db import insert_on_conflict
from core.domain import Attachment, InboundMessage, ThreadHint
from core.errors import NotFound
from core.models import (
    Agent,
    Contact,
    ContactIdentity,
    Conversation,
    Inbox,
    Message,
    OutboxItem,
    Ticket,
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
    thread_rule: str | None = None  # how a ThreadHint matched: token | headers | subject


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


async def record_inbound(
    session: AsyncSession, inbound: InboundMessage, *, optimistic: bool = False
) -> Recorded:
    """Store a customer message exactly once in the customer's conversation.

    ``optimistic`` skips the look-up of an earlier delivery: the unique index on the
    platform's message id then raises IntegrityError for a resend, and the caller retries
    without it (one query less per message, for the usual case of no resend).
    """
    thread_rule: str | None = None
    if inbound.conversation_id is not None:
        conv, ibx = await _own_conversation(session, inbound)
        if not optimistic:
            existing = await find_by_source(session, ibx, inbound.source_id)
            if existing is not None:
                return Recorded(conv, existing, duplicate=True)
    else:
        ibx = await inbox_id(session, inbound.inbox, inbound.channel)
        if not optimistic:
            existing = await find_by_source(session, ibx, inbound.source_id)
            if existing is not None:
                found = await session.get(Conversation, existing.conversation_id)
                assert found is not None
                return Recorded(found, existing, duplicate=True)
        identity, known = await _identity(session, inbound, ibx)
        matched: Conversation | None = None
        if inbound.thread is not None and known:
            matched, thread_rule = await _threaded(session, inbound.thread, ibx, identity.id)
        if matched is not None:
            conv = matched
        elif inbound.thread is not None and inbound.thread.new_conversation:
            conv = await start_conversation(session, identity)
        else:
            conv = await conversation_for(session, identity)
    seq = await advance(session, conv)
    if inbound.conversation_id is None:
        await session.refresh(conv)  # found without a row lock: read it again, current
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
        meta=dict(inbound.meta),
        created_at=now,
        answered=False,
        no_reply=inbound.no_reply,
    )
    if inbound.thread is not None:
        msg.meta["thread"] = thread_rule  # None: it started a conversation of its own
    session.add(msg)
    await session.flush()
    if conv.first_customer_message_at is None:
        conv.first_customer_message_at = now
    return Recorded(conv, msg, duplicate=False, thread_rule=thread_rule)


async def _identity(
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


async def _threaded(
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


async def _own_conversation(
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


async def advance(session: AsyncSession, conv: Conversation, count: int = 1) -> int:
    """Allocate ``count`` sequence numbers (the last is returned) and refresh ``conv``.

    The row's owner and first-message time come back with the new seq (RETURNING), so the
    object is current without a second query; on PostgreSQL the UPDATE's row lock makes
    them the latest committed values.
    """
    now = utcnow()
    row = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conv.id)
            .values(last_seq=Conversation.last_seq + count, last_activity_at=now, updated_at=now)
            .returning(
                Conversation.last_seq, Conversation.owner, Conversation.first_customer_message_at
            )
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"Conversation {conv.id} does not exist.")
    for key, value in (
        ("last_seq", row[0]),
        ("owner", row[1]),
        ("first_customer_message_at", row[2]),
        ("last_activity_at", now),
        ("updated_at", now),
    ):
        set_committed_value(conv, key, value)
    return int(row[0])


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
    attachments: tuple[Attachment, ...] = (),
) -> Message:
    """Store an outgoing message and, unless it is a private note, its outbox row."""
    seq = await next_seq(session, conv.id)
    meta = dict(meta or {})
    if agent is not None:
        meta["agent_name"] = agent.name
    msg = _outgoing(conv.id, conv.inbox_id, seq, sender, text, meta, private=private, agent=agent)
    if attachments:  # a file from the console: its kind is the message's (text is a caption)
        msg.attachments = [attachment_json(a) for a in attachments]
        msg.kind = "image" if all(a.kind == "image" for a in attachments) else "file"
    session.add(msg)
    await session.flush()
    if not private:
        session.add(_outbox_row(msg, conv.channel))
    return msg


async def add_bot_replies(
    session: AsyncSession,
    conversation_id: int,
    replies: list[tuple[str, dict[str, Any]]],
    state: dict[str, Any],
    language: str,
    *,
    delivered_on: frozenset[str] = frozenset(),
) -> list[Message] | None:
    """A bot turn's replies (text, meta) and memory, if the bot still owns the conversation.

    Three statements: one UPDATE takes the seqs, saves the bot's memory and checks the owner
    (no row: a person took over, nothing is written, None is returned), one INSERT for the
    messages, one for their outbox rows. ``delivered_on``: channels that deliver by waking
    a socket that reads the database (web chat); the caller wakes it right after commit,
    so on those the rows are stored as sent instead of waiting for the dispatcher.
    """
    now = utcnow()
    row = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.owner == "bot")
            .values(
                last_seq=Conversation.last_seq + len(replies),
                bot_state=state,
                language=language,
                last_activity_at=now,
                updated_at=now,
            )
            .returning(Conversation.last_seq, Conversation.inbox_id, Conversation.channel)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        return None
    last, inbox, channel = int(row[0]), int(row[1]), str(row[2])
    delivered = channel in delivered_on
    first = last - len(replies) + 1
    msgs = [
        _outgoing(conversation_id, inbox, first + i, "bot", text, meta, delivered=delivered)
        for i, (text, meta) in enumerate(replies)
    ]
    session.add_all(msgs)
    await session.flush()
    if not delivered:  # a live socket got them: nothing for the outbox dispatcher
        session.add_all([_outbox_row(m, channel) for m in msgs])
    return msgs


def _outgoing(
    conversation_id: int,
    inbox: int,
    seq: int,
    sender: str,
    text: str,
    meta: dict[str, Any],
    *,
    private: bool = False,
    agent: Agent | None = None,
    delivered: bool = False,
) -> Message:
    """An outgoing message row (``delivered``: already sent by the caller)."""
    return Message(
        conversation_id=conversation_id,
        inbox_id=inbox,
        seq=seq,
        direction=OUTBOUND,
        sender=sender,
        text=text,
        private=private,
        agent_id=agent.id if agent else None,
        delivery="received" if private else ("sent" if delivered else "pending"),
        meta=meta,
    )


def _outbox_row(msg: Message, channel: str, *, delivered: bool = False) -> OutboxItem:
    """The outbox row of an outgoing message (``delivered``: recorded as sent once)."""
    return OutboxItem(
        message_id=msg.id,
        conversation_id=msg.conversation_id,
        channel=channel,
        idempotency_key=uuid.uuid4().hex,
        status="sent" if delivered else "pending",
        attempts=1 if delivered else 0,
    )


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
