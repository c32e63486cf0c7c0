"""SQLAlchemy 2 models: the durable state of kefu (same schema on SQLite and PostgreSQL).

Domain model after Chatwoot's: a Contact is the person; a ContactIdentity ties them to one
channel identity (unique per channel + inbox + external id); a Conversation belongs to one
contact and has an owner (`bot`, `queued`, `agent`, `resolved`); a Message has a `seq` per
conversation and its platform `source_id`, unique per inbox, which is the inbound dedupe.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.message_meta import MessageMeta

OWNERS = ("bot", "queued", "agent", "resolved")
SENDERS = ("customer", "bot", "agent", "system")
DELIVERY_STATES = ("received", "pending", "sent", "delivered", "failed")
OUTBOX_STATES = ("pending", "sending", "sent", "dead")
MESSAGE_KINDS = ("text", "image", "voice", "video", "file", "location", "link", "event", "unknown")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns timezone-aware datetimes on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every kefu table."""

    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Inbox(Base):
    """One entry point of one channel (a web widget, an Official Account, a mailbox)."""

    __tablename__ = "inboxes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))  # None: every team
    # A web chat inbox's pre-chat form, {"name"|"phone"|"email": "off"|"optional"|"required"},
    # set by an admin (handoff/prechat.py); None: the [desk] defaults.
    prechat: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(Base):
    """A customer, whatever channel they write on."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(8))
    tier: Mapped[str] = mapped_column(String(16), default="normal")
    company: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None]  # personal data erased (privacy/erase.py); row kept
    # A company system's own id for the customer (its ERP or CRM number), for the public API.
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)


class ContactIdentity(Base):
    """A contact's identity on one inbox of one channel (an openid, an address, a visitor id)."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("channel", "inbox_id", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agent(Base):
    """A person who answers customers in the console."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    skills: Mapped[list[Any]] = mapped_column(default=list)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=5)
    # The status the agent chose (online|away|offline); presence also needs a live console.
    status: Mapped[str] = mapped_column(String(16), default="online")
    last_assigned_at: Mapped[datetime | None]
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    session_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped: sessions end
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a console of this agent was last connected (heartbeat, or its close): presence.
    last_seen_at: Mapped[datetime | None]
    # Removed by an admin: the row stays for the history (names on messages and events).
    removed_at: Mapped[datetime | None]


class Conversation(Base):
    """One customer's conversation on one inbox; its owner decides who answers."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_owner_activity", "owner", "last_activity_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    identity_id: Mapped[int] = mapped_column(ForeignKey("contact_identities.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(16), default="bot")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    bot_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_customer_message_at: Mapped[datetime | None]
    first_agent_reply_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    purged_at: Mapped[datetime | None]  # emptied by retention (privacy/retention.py)


class Message(Base):
    """One message in a conversation, in order (`seq`), deduplicated by `source_id`."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("inbox_id", "source_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id"))
    seq: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    sender: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    source_id: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    delivery: Mapped[str] = mapped_column(String(16), default="received")
    delivery_error: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[MessageMeta] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Inbound only: a reply (bot turn or fixed reply) was committed for this message.
    answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Inbound only: why nobody may answer it (core.domain.NoReply), or None.
    no_reply: Mapped[str | None] = mapped_column(String(32))


class Ticket(Base):
    """A case opened when the bot escalates: someone owns it until it is resolved."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    category: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(String(64), default="")
    transcript: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(32), default="")
    tier: Mapped[str] = mapped_column(String(16), default="normal")
    sentiment: Mapped[str] = mapped_column(String(16), default="neutral")
    skills: Mapped[list[Any]] = mapped_column(default=list)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    first_response_due: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    pending_since: Mapped[datetime | None]
    warned: Mapped[list[Any]] = mapped_column(default=list)  # SLA kinds already warned
    merged_into: Mapped[int | None] = mapped_column(Integer)
    survey_state: Mapped[str] = mapped_column(String(16), default="")  # ""|pending|done
    csat: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    type_id: Mapped[int | None] = mapped_column(Integer, index=True)  # ticket_types.id (a version)


class OutboxItem(Base):
    """A reply waiting to be delivered through its conversation's channel."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ChannelState(Base):
    """Small durable state a channel keeps per inbox: sync cursors, send windows, tokens' meta."""

    __tablename__ = "channel_state"
    inbox: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Counter(Base):
    """Named counters: ticket numbers, the knowledge base revision."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Lease(Base):
    """A named job only one worker may run at a time (a mailbox poller): holder and expiry."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ImportBatch(Base):
    """One run of ``kefu import``: what it read and what it did, so it can be rolled back."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # customers | tickets | kb
    file_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="done")  # done | rolled_back
    sample: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rolled_back_at: Mapped[datetime | None]


class ImportItem(Base):
    """A row an import batch created or changed (with the values it replaced)."""

    __tablename__ = "import_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))  # created | updated | counter | bump
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# Migration 0013_email: the few messages nobody answers, listed by reason in the console.
Index(
    "ix_messages_no_reply",
    Message.no_reply,
    Message.id,
    sqlite_where=Message.no_reply.is_not(None),
    postgresql_where=Message.no_reply.is_not(None),
)


class CustomerReceipt(Base):
    """How far the customer's client has received and read a conversation (web chat).

    The widget reports the highest ``seq`` it has shown (delivered) and the highest it
    showed with the page in view (read); agent messages up to them are marked in the
    console. Marks never go backwards.
    """

    __tablename__ = "customer_receipts"
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    delivered_seq: Mapped[int] = mapped_column(Integer, default=0)
    read_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
