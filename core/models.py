"""SQLAlchemy 2 models: the durable state of kefu (same schema on SQLite and PostgreSQL).

Domain model after Chatwoot's: a Contact is the person; a ContactIdentity ties them to one
channel identity (unique per channel + inbox + external id); a Conversation belongs to one
contact and has an owner (`bot`, `queued`, `agent`, `resolved`); a Message has a `seq` per
conversation and its platform `source_id`, unique per inbox, which is the inbound dedupe.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
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


class Team(Base):
    """A group of agents; an inbox given to a team is seen by that team only (and supervisors)."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginThrottle(Base):
    """Failed console logins per account or client address, and the lockout they caused."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)  # account:<email> | ip:<addr>
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]


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
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
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


class TicketEvent(Base):
    """The audit trail: who changed what on a ticket, and when."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(16))  # agent | customer | bot | system
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaBreach(Base):
    """A missed SLA target (first response or resolution), recorded once per ticket and kind."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("ticket_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # first_response | resolution
    due_at: Mapped[datetime]
    breached_at: Mapped[datetime] = mapped_column(default=utcnow)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))


class Feedback(Base):
    """A customer's rating: "helpful" (1/0) on a bot answer, or "csat" (1-5) on a survey."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("message_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CannedReply(Base):
    """A saved reply agents insert with a shortcut; ``{name}``-style variables are filled."""

    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPolicy(Base):
    """An admin's override of one SLA policy (``normal``, ``high``, ``urgent``, ``vip``)."""

    __tablename__ = "sla_policies"
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    clock: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class KbEntry(Base):
    """A knowledge-base entry (FAQ): the source of truth; the vector index is derived."""

    __tablename__ = "kb_entries"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    group_key: Mapped[str | None] = mapped_column(String(128), index=True)
    language: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(64), default="")
    question: Mapped[str] = mapped_column(Text)
    similar: Mapped[list[Any]] = mapped_column(default=list)
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="published", index=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    helpful: Mapped[int] = mapped_column(default=0, server_default="0")
    unhelpful: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbEntryVersion(Base):
    """One saved version of a KB entry (draft | published | archived), for its history."""

    __tablename__ = "kb_entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))  # create|edit|publish|archive|import
    status: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearningMark(Base):
    """A customer question the learning page has dealt with: added to an entry as a similar
    question, started as a draft, or dismissed; it leaves the page's list for good."""

    __tablename__ = "learning_marks"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    action: Mapped[str] = mapped_column(String(16))  # added | drafted | dismissed
    entry_id: Mapped[str | None] = mapped_column(String(128))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class PrivacyTrail(Base):
    """Who viewed, revealed, exported or erased a customer's personal data (privacy/)."""

    __tablename__ = "privacy_trail"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    actor: Mapped[str] = mapped_column(String(320))  # agent email, or "cli:<user>"
    action: Mapped[str] = mapped_column(String(32))  # view | reveal | export | erase
    contact_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PrivacyExport(Base):
    """A background export of one contact's data (large histories), with its archive file."""

    __tablename__ = "privacy_exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    file: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class AgentConsole(Base):
    """One open console socket of an agent, refreshed by its heartbeat: true presence.

    A row whose heartbeat is older than the stale limit belongs to a worker that died; it
    counts for nothing and is swept by the next heartbeat.
    """

    __tablename__ = "agent_consoles"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationRead(Base):
    """How far an agent has read a conversation: customer messages after ``seq`` are unread."""

    __tablename__ = "conversation_reads"
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# Migration 0013_email: the few messages nobody answers, listed by reason in the console.
Index(
    "ix_messages_no_reply",
    Message.no_reply,
    Message.id,
    sqlite_where=Message.no_reply.is_not(None),
    postgresql_where=Message.no_reply.is_not(None),
)


class CustomerNotice(Base):
    """A change the customer is told about (waiting for them, priority raised, reopened).

    Recorded in the transaction of the change; the notice sender (intake/customer_notices.py)
    sends the conversation's pending notices as one message once the batch window has passed
    (and outside quiet hours unless urgent), then sets ``sent_at`` (or ``skipped``)."""

    __tablename__ = "customer_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # waiting | priority | reopened
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="")  # "" | sent | skipped
    message_id: Mapped[int | None] = mapped_column(Integer)


class ApiToken(Base):
    """A bearer token for the public API (``/api/v1``): named, scoped, stored only hashed."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, shown in lists
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    rate_limit: Mapped[int] = mapped_column(Integer, default=600)  # calls per minute
    created_by: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ApiCall(Base):
    """The audit log of the public API: one row per call, with the token's name."""

    __tablename__ = "api_calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    token_name: Mapped[str] = mapped_column(String(100), default="")
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IdempotencyKey(Base):
    """A POST's ``Idempotency-Key`` and the response it got, replayed on a repeat."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body, hashed
    status: Mapped[int] = mapped_column(Integer, default=0)  # 0: still running
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Webhook(Base):
    """An admin's subscription: events POSTed, signed with ``secret``, to ``url``."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(100))  # needed in clear to sign
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook: the exact body, its attempts and the last response."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "webhook_id", "order_key", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)  # X-Kefu-Delivery
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(64))
    order_key: Mapped[str] = mapped_column(String(64))  # deliveries of one key go in order
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_response: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Label(Base):
    """A conversation label (``退货``, ``VIP``...): admin-defined with a colour, or made by an
    agent on the fly when ``[labels] free_form`` allows it."""

    __tablename__ = "labels"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    color: Mapped[str] = mapped_column(String(16), default="#64748b")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationLabel(Base):
    """A label on a conversation (who put it there and when, for the reports)."""

    __tablename__ = "conversation_labels"
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Macro(Base):
    """A named set of actions an agent applies to a conversation at once (reply, label,
    priority, status, assign); managed by admins."""

    __tablename__ = "macros"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    actions: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Product(Base):
    """A product a customer owns (issue 17): model, serial, purchase, warranty, install address.

    ``warranty_end`` is the whole unit's warranty and ``part_warranty`` {part: ISO date} the
    longer ones, both computed from ``[workorders] warranty_rules`` when the purchase date or
    the model is written (intake/warranty.py)."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(64), default="")  # 洗衣机, 空调, ...
    model: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100), unique=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_channel: Mapped[str] = mapped_column(String(64), default="")
    order_number: Mapped[str] = mapped_column(String(64), default="")
    invoice: Mapped[str] = mapped_column(String(500), default="")  # an attachment key or URL
    warranty_end: Mapped[date | None] = mapped_column(Date)
    part_warranty: Mapped[dict[str, Any]] = mapped_column(default=dict)
    install_address: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContactEvent(Base):
    """The audit of contact changes: who edited which fields (old and new) or merged whom.

    ``contact_id`` is a plain number, not a foreign key: the record of a merge outlives the
    contact that was merged away."""

    __tablename__ = "contact_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(Integer, index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))  # edit | merge | merged_into
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class WebhookFeed(Base):
    """How far the webhooks have announced one conversation's messages (``api.webhook_feed``).

    ``seq`` is the last message already turned into ``message.created`` deliveries; a row
    exists once ``conversation.created`` was considered, so it is announced once.
    """

    __tablename__ = "webhook_feed"
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TicketLink(Base):
    """The version of a ticket's signed page link: revoking bumps it (intake/ticket_links.py)."""

    __tablename__ = "ticket_links"
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))


class SupervisorAlert(Base):
    """Supervisors told of an urgent complaint or hazard, an SLA warning or breach (once)."""

    __tablename__ = "supervisor_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)  # ticket + reason: routed once
    kind: Mapped[str] = mapped_column(String(32))  # urgent | sla_warning | sla_breach
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    routed_at: Mapped[datetime | None] = mapped_column(index=True)  # deliveries made
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))


class AlertDelivery(Base):
    """One alert to one email address or WeCom group robot: the alerts' durable outbox."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "target", "address"),
        Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("supervisor_alerts.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(16))  # email | wecom
    address: Mapped[str] = mapped_column(String(400))  # an email address or a team's name
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketType(Base):
    """One version of a ticket type (咨询, 投诉, 报修, 安装, 退换货) and its fields (issue 17).

    Editing a type adds a version; a ticket keeps the version it was typed with, so its
    fields read as they were defined then. ``fields``: [{key, kind, label: {zh, en},
    options: [{key, zh, en}], required_at: status | null}] (intake/ticket_types.py)."""

    __tablename__ = "ticket_types"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketFieldValue(Base):
    """The value of one field of a typed ticket (text; numbers, dates, product ids as text)."""

    __tablename__ = "ticket_field_values"
    __table_args__ = (UniqueConstraint("ticket_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BotForm(Base):
    """A form the bot is filling in a conversation (a repair request): what it has, what it
    asked last. Kept in SQL so any worker continues it, and after a restart (issue 17)."""

    __tablename__ = "bot_forms"
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    type_key: Mapped[str] = mapped_column(String(32))
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    asking: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Engineer(Base):
    """A field engineer (上门师傅): skills (appliance categories), regions (districts), and how
    many visits a day they take. ``agent_id``: the console account they sign in with."""

    __tablename__ = "engineers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40), default="")
    skills: Mapped[list[Any]] = mapped_column(default=list)
    regions: Mapped[list[Any]] = mapped_column(default=list)
    daily_capacity: Mapped[int] = mapped_column(Integer, default=6)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Visit(Base):
    """An on-site visit for a repair or installation: window, engineer, status, parts used."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_engineer_start", "engineer_id", "window_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    engineer_id: Mapped[int] = mapped_column(ForeignKey("engineers.id"))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    address: Mapped[str] = mapped_column(Text, default="")
    district: Mapped[str] = mapped_column(String(64), default="")
    # dispatched | on_the_way | arrived | done | rescheduled | failed
    status: Mapped[str] = mapped_column(String(16), default="dispatched")
    reason: Mapped[str] = mapped_column(Text, default="")
    parts: Mapped[list[Any]] = mapped_column(default=list)  # [{name, cost_cents}]
    parts_cost_cents: Mapped[int] = mapped_column(Integer, default=0)
    in_warranty: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
