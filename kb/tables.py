"""Tables the knowledge base owns: entries and their versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, utcnow


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
