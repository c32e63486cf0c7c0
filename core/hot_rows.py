"""What the hot path's writes return, and the two ways a bot turn's write is refused.

Shared by the SQLite group-writer jobs (``core/store.py``) and their PostgreSQL twins
(``core/store_pg.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.message_meta import MessageMeta


@dataclass(frozen=True)
class StoredInbound:
    """A customer message the hot path stored, and what the bot turn needs to know."""

    message_id: int
    seq: int
    inbox_id: int
    created_at: datetime
    bot_state: dict[str, Any]
    language: str | None


@dataclass(frozen=True)
class StoredReply:
    """One bot reply the hot path stored."""

    message_id: int
    seq: int
    text: str
    meta: MessageMeta
    created_at: datetime


class NotBot(Exception):
    """The bot no longer holds the conversation (a person took over while it thought)."""


class AlreadyAnswered(Exception):
    """Another turn answered the message first (or it may not be answered at all)."""
