"""What a channel may read and write of the core's storage: typed calls, no ORM, no session.

Channels hand customer messages to the one inbound path (``core/inbound.py``) and get
replies from the outbox; for everything else they need of the database (their own small
state, a visitor's conversation, the messages a socket must push, a reply's thread) they
call these functions, which return plain frozen values. So a channel never imports an ORM
model or opens a session, and what it may touch is listed here.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.conversations import inbox_id
from core.db import Database
from core.domain import StoredMessage
from core.message_meta import MessageMeta
from core.models import (
    ChannelState,
    Contact,
    ContactIdentity,
    Conversation,
    Message,
    Ticket,
    utcnow,
)
from core.outbox_rows import claim_messages

_T_CONTACT = cast(Table, Contact.__table__)
_T_IDENT = cast(Table, ContactIdentity.__table__)
_T_CONV = cast(Table, Conversation.__table__)


def stored(m: Message) -> StoredMessage:
    """The channel's view of a message row."""
    return StoredMessage(
        m.id,
        m.seq,
        m.direction,
        m.sender,
        m.kind,
        m.text,
        m.source_id,
        m.external_id,
        m.private,
        m.created_at,
        m.meta.copy() if m.meta else MessageMeta(),
        tuple(a for a in m.attachments or [] if isinstance(a, dict)),
    )


# -- a channel's own small state (send windows, sync cursors) ---------------------------------


async def read_state(db: Database, inbox: str, key: str) -> dict[str, Any]:
    """The value stored under (inbox, key); an empty dict when none."""
    async with db.reader() as session:
        row = (
            await session.execute(
                select(ChannelState.value).where(
                    ChannelState.inbox == inbox, ChannelState.key == key
                )
            )
        ).scalar_one_or_none()
    return dict(row) if isinstance(row, dict) else {}


async def write_state(db: Database, inbox: str, key: str, value: dict[str, Any]) -> None:
    """Store ``value`` under (inbox, key), inserting or replacing."""
    for attempt in range(2):
        try:
            async with db.transaction() as session:
                row = await session.get(ChannelState, (inbox, key))
                if row is None:
                    session.add(ChannelState(inbox=inbox, key=key, value=value))
                else:
                    row.value = value
            return
        except IntegrityError:
            if attempt == 1:  # a concurrent insert won twice: give up loudly
                raise


# -- conversations -----------------------------------------------------------------------------


async def open_conversation(
    db: Database, channel: str, inbox: str, external_id: str, language: str | None = None
) -> int:
    """A new conversation for a new channel user (a web chat visitor); its id.

    Every web chat visitor starts here, so it is three Core inserts in one transaction
    (contact, identity, conversation; column defaults as the models declare them), not the
    ORM's unit of work: a new visitor cost about as much CPU as two bot turns through it.
    """
    now = utcnow()
    async with db.transaction() as session:
        ibx = await inbox_id(session, inbox, channel)
        conn = await session.connection()

        async def add(table: Table, **values: Any) -> int:
            stmt = insert(table).values(created_at=now, **values).returning(table.c.id)
            return int((await conn.execute(stmt)).scalar_one())

        contact_id = await add(_T_CONTACT, updated_at=now)
        identity_id = await add(
            _T_IDENT, contact_id=contact_id, channel=channel, inbox_id=ibx, external_id=external_id
        )
        return await add(
            _T_CONV,
            contact_id=contact_id,
            inbox_id=ibx,
            identity_id=identity_id,
            channel=channel,
            owner="bot",
            language=language,
            bot_state={},
            last_activity_at=now,
            updated_at=now,
        )


async def users_conversation(
    db: Database, channel: str, external_id: str, conversation_id: int
) -> int | None:
    """The last seq of the conversation, if it is this channel user's; else None."""
    async with db.reader() as session:
        found = (
            await session.execute(
                select(Conversation.last_seq)
                .join(ContactIdentity, ContactIdentity.id == Conversation.identity_id)
                .where(
                    Conversation.id == conversation_id,
                    ContactIdentity.external_id == external_id,
                    ContactIdentity.channel == channel,
                )
            )
        ).scalar_one_or_none()
    return None if found is None else int(found)


async def owner_of(db: Database, conversation_id: int) -> str | None:
    """Who holds the conversation now (bot, queued, agent, resolved); None if it is gone."""
    async with db.reader() as session:
        owner = (
            await session.execute(
                select(Conversation.owner).where(Conversation.id == conversation_id)
            )
        ).scalar_one_or_none()
    return None if owner is None else str(owner)


async def contact_email(db: Database, conversation_id: int) -> str | None:
    """The email address of the conversation's customer, if we know one."""
    async with db.reader() as session:
        email = (
            await session.execute(
                select(Contact.email)
                .join(Conversation, Conversation.contact_id == Contact.id)
                .where(Conversation.id == conversation_id)
            )
        ).scalar_one_or_none()
    return None if email is None else str(email)


async def latest_ticket_number(db: Database, conversation_id: int) -> int | None:
    """The number of the conversation's newest ticket, if it has one."""
    async with db.reader() as session:
        number = (
            await session.execute(
                select(Ticket.number)
                .where(Ticket.conversation_id == conversation_id)
                .order_by(Ticket.id.desc())
                .limit(1)
            )
        ).scalar()
    return None if number is None else int(number)


# -- messages ----------------------------------------------------------------------------------


async def messages_after(
    db: Database, conversation_id: int, after_seq: int, *, limit: int = 500
) -> list[StoredMessage]:
    """The public messages of a conversation after ``after_seq``, in order."""
    async with db.reader() as session:
        rows = (
            await session.execute(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.seq > after_seq,
                    Message.private.is_(False),
                )
                .order_by(Message.seq)
                .limit(limit)
            )
        ).scalars()
        return [stored(m) for m in rows]


async def message(db: Database, message_id: int) -> StoredMessage | None:
    """One stored message by id."""
    async with db.reader() as session:
        m = await session.get(Message, message_id)
        return None if m is None else stored(m)


async def claim_replies_after(
    db: Database, conversation_id: int, after_seq: int
) -> tuple[list[int], dict[int, str]]:
    """Public replies after ``after_seq``: their ids in order, and those this caller claimed.

    For a channel that answers inside the platform's own response (WeChat's passive reply):
    a claimed reply is marked sent, so the outbox never sends it; the others are the
    dispatcher's (it may be sending them right now).
    """
    async with db.reader() as session:
        rows = (
            await session.execute(
                select(Message.id, Message.text)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.seq > after_seq,
                    Message.direction == "out",
                    Message.private.is_(False),
                )
                .order_by(Message.seq)
            )
        ).all()
    if not rows:
        return [], {}
    ids = [int(r[0]) for r in rows]
    async with db.transaction() as session:
        claimed = set(await claim_messages(session, ids))
    return ids, {int(r[0]): str(r[1]) for r in rows if int(r[0]) in claimed}


async def set_external_id(db: Database, message_id: int, external_id: str) -> str | None:
    """Give a message its platform id unless it has one; the id it has now (None: gone)."""
    async with db.transaction() as session:
        await session.execute(
            update(Message)
            .where(Message.id == message_id, Message.external_id.is_(None))
            .values(external_id=external_id)
            .execution_options(synchronize_session=False)
        )
        found = (
            await session.execute(select(Message.external_id).where(Message.id == message_id))
        ).first()
    return None if found is None else found[0]


async def conversation_messages(db: Database, conversation_id: int) -> list[StoredMessage]:
    """Every public message of a conversation, in order (a reply's thread, for instance)."""
    return await messages_after(db, conversation_id, 0, limit=100_000)


async def conversation_file(db: Database, conversation_id: int, key: str) -> dict[str, Any] | None:
    """The stored description (key, kind, mime, size, name) of file ``key`` when a public
    message of the conversation carries it; else None."""
    async with db.reader() as session:
        rows = (
            await session.execute(
                select(Message.attachments).where(
                    Message.conversation_id == conversation_id,
                    Message.private.is_(False),
                    Message.attachments.cast(String).contains(key),
                )
            )
        ).scalars()
        for attachments in rows:
            for a in attachments or []:
                if isinstance(a, dict) and a.get("key") == key:
                    return dict(a)
    return None


async def delivery_failed(db: Database, channel: str, external_id: str, error: str) -> int | None:
    """A platform's later receipt says a sent message never arrived (an SMS to a dead
    number): the message is marked failed with the reason, for agents to see. Returns its
    conversation id, or None when no message of ``channel`` has that platform id."""
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(Message.id, Message.conversation_id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.external_id == external_id, Conversation.channel == channel)
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        await session.execute(
            update(Message)
            .where(Message.id == row[0])
            .values(delivery="failed", delivery_error=error[:500])
            .execution_options(synchronize_session=False)
        )
    return int(row[1])
