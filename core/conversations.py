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
from sqlalchemy.orm.attributes import set_committed_value

from core.conversation_find import (
    conversation_for,
    find_identity,
    identity_for,
    identity_of,
    inbox_id,
    own_conversation,
    start_conversation,
    threaded,
)
from core.domain import Attachment, InboundMessage
from core.errors import NotFound
from core.message_meta import MessageMeta
from core.models import (
    Agent,
    Conversation,
    Message,
    OutboxItem,
    utcnow,
)

__all__ = [
    "INBOUND",
    "OUTBOUND",
    "Recorded",
    "add_bot_replies",
    "add_reply",
    "advance",
    "attachment_json",
    "conversation_for",
    "find_by_source",
    "find_identity",
    "identity_for",
    "inbox_id",
    "lock_conversation",
    "messages_after",
    "next_seq",
    "record_inbound",
    "start_conversation",
]

INBOUND = "in"
OUTBOUND = "out"


@dataclass(frozen=True)
class Recorded:
    """The result of recording an inbound message."""

    conversation: Conversation
    message: Message
    duplicate: bool
    thread_rule: str | None = None  # how a ThreadHint matched: token | headers | subject


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
        conv, ibx = await own_conversation(session, inbound)
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
        identity, known = await identity_of(session, inbound, ibx)
        matched: Conversation | None = None
        if inbound.thread is not None and known:
            matched, thread_rule = await threaded(session, inbound.thread, ibx, identity.id)
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
    meta: MessageMeta | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Message:
    """Store an outgoing message and, unless it is a private note, its outbox row."""
    seq = await next_seq(session, conv.id)
    meta = MessageMeta(**(meta or {}))
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
    replies: list[tuple[str, MessageMeta]],
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
    meta: MessageMeta,
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
