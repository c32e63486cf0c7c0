"""Tables intake owns: a ticket's trail, SLA, types and field values, products, engineers and
visits, customer notices, bot forms, supervisor alerts and their deliveries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, utcnow


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


class SlaPolicy(Base):
    """An admin's override of one SLA policy (``normal``, ``high``, ``urgent``, ``vip``)."""

    __tablename__ = "sla_policies"
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    clock: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


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
