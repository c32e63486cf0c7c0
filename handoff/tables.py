"""Tables the agent desk owns: teams, login throttling, canned replies and macros, labels,
console presence and read marks, the learning queue's marks, a contact's history, and the
deliveries of supervisor alerts (the alerts themselves are intake's: a ticket change records
one in its own transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import intake.tables  # noqa: F401  (alert_deliveries refers to supervisor_alerts)
from core.models import Base, utcnow


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


class CannedReply(Base):
    """A saved reply agents insert with a shortcut; ``{name}``-style variables are filled."""

    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
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
