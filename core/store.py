"""The hot path's two writes: a customer's text in a bot-held conversation, a bot turn's replies.

A bot turn writes twice: the customer's message, then the bot's replies. Through the ORM each
write was several statements and a unit of work; here each is a couple of plain statements
with the checks in their WHERE clauses (the owner is still the bot, the customer owns the
conversation, the question is not answered yet). On SQLite they are jobs for the group writer
(``core/group_writer.py``: every waiting job in one commit); on PostgreSQL the same statements
run as SQLAlchemy Core in ordinary transactions, whose row locks keep several workers correct.
Anything else (another owner, a resend, an email thread, an escalation) is left to the
general path (``core/inbound.py``).

Values are written on SQLite the way SQLAlchemy writes them (UTC datetimes as
``YYYY-MM-DD HH:MM:SS.ffffff``, JSON as text, booleans as 0/1), so both paths read alike.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url

from core import store_pg
from core.db import Database
from core.group_writer import GroupWriter, sql_json, sql_time
from core.hot_rows import AlreadyAnswered, NotBot, StoredInbound, StoredReply
from core.message_meta import MessageMeta

__all__ = ["INSERTS", "AlreadyAnswered", "HotStore", "NotBot", "StoredInbound", "StoredReply"]


_RECORD = """
UPDATE conversations
   SET last_seq = last_seq + 1, last_activity_at = :now, updated_at = :now,
       first_customer_message_at = COALESCE(first_customer_message_at, :now)
 WHERE id = :cid AND owner = 'bot'
   AND identity_id IN (
       SELECT ci.id FROM contact_identities ci JOIN inboxes i ON i.id = ci.inbox_id
        WHERE ci.channel = :channel AND ci.external_id = :external_id AND i.name = :inbox)
RETURNING last_seq, inbox_id, bot_state, language
"""

_INSERT = """
INSERT INTO messages (conversation_id, inbox_id, seq, direction, sender, kind, text,
                      attachments, private, source_id, delivery, meta, created_at,
                      answered, no_reply)
VALUES (:cid, :inbox_id, :seq, :direction, :sender, 'text', :text, '[]', 0, :source_id,
        :delivery, :meta, :now, 0, NULL)
"""

_ADVANCE_BOT = """
UPDATE conversations
   SET last_seq = last_seq + :n, bot_state = :state, language = :language,
       last_activity_at = :now, updated_at = :now
 WHERE id = :cid AND owner = 'bot'
RETURNING last_seq, inbox_id, channel
"""

_ANSWERED = """
UPDATE messages SET answered = 1
 WHERE conversation_id = :cid AND seq = :seq AND direction = 'in'
   AND answered = 0 AND no_reply IS NULL
"""

_OUTBOX = """
INSERT INTO outbox (message_id, conversation_id, channel, status, attempts, next_attempt_at,
                    idempotency_key, created_at, updated_at)
VALUES (:mid, :cid, :channel, 'pending', 0, :now, :key, :now, :now)
"""


_INBOX = "SELECT id FROM inboxes WHERE name = :name"

_USERS_CONVERSATION = """
SELECT c.last_seq FROM conversations c JOIN contact_identities ci ON ci.id = c.identity_id
 WHERE c.id = :cid AND ci.external_id = :external_id AND ci.channel = :channel
"""

_NEW_INBOX = """
INSERT INTO inboxes (name, channel, created_at) VALUES (:name, :channel, :now)
ON CONFLICT (name) DO NOTHING
"""

# A new visitor: a contact, its identity, a bot-held conversation. Every NOT NULL column
# without a database default is named here (tests/core/test_store.py checks it against the
# models, so a column added later cannot silently break the hot path).
_NEW_CONTACT = """
INSERT INTO contacts (name, tier, created_at, updated_at) VALUES ('', 'normal', :now, :now)
"""

_NEW_IDENTITY = """
INSERT INTO contact_identities (contact_id, channel, inbox_id, external_id, created_at)
VALUES (:contact_id, :channel, :inbox_id, :external_id, :now)
"""

_NEW_CONVERSATION = """
INSERT INTO conversations (contact_id, inbox_id, identity_id, channel, owner, language,
                           last_seq, bot_state, last_activity_at, created_at, updated_at)
VALUES (:contact_id, :inbox_id, :identity_id, :channel, 'bot', :language, 0, '{}', :now,
        :now, :now)
"""

# The hot path's INSERT statements, by table (for the completeness check in the tests).
INSERTS = {
    "messages": _INSERT,
    "outbox": _OUTBOX,
    "inboxes": _NEW_INBOX,
    "contacts": _NEW_CONTACT,
    "contact_identities": _NEW_IDENTITY,
    "conversations": _NEW_CONVERSATION,
}


class HotStore:
    """Typed hot-path writes; None where the caller must take the general path."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # A file database only: an in-memory one is private to each connection.
        on_file = db.is_sqlite and (make_url(db.url).database or ":memory:") != ":memory:"
        self.writer = GroupWriter(db) if on_file else None
        # PostgreSQL: the same statements as SQLAlchemy Core in an ordinary transaction
        # (no group writer: several workers write at once, row locks keep them correct).
        self.enabled = self.writer is not None or not db.is_sqlite

    async def open_conversation(
        self, channel: str, inbox: str, external_id: str, language: str | None, now: datetime
    ) -> int | None:
        """A new channel user's contact, identity and bot-held conversation; its id.

        None where there is no group writer: the caller then uses the Core statements of
        ``core/channel_store.open_conversation``.
        """
        if self.writer is None:
            return None
        stamp = sql_time(now)

        def job(conn: sqlite3.Connection) -> int:
            found = conn.execute(_INBOX, {"name": inbox}).fetchone()
            if found is None:
                conn.execute(_NEW_INBOX, {"name": inbox, "channel": channel, "now": stamp})
                found = conn.execute(_INBOX, {"name": inbox}).fetchone()
            inbox_id = int(found[0])
            contact_id = conn.execute(_NEW_CONTACT, {"now": stamp}).lastrowid
            identity_id = conn.execute(
                _NEW_IDENTITY,
                {
                    "contact_id": contact_id,
                    "channel": channel,
                    "inbox_id": inbox_id,
                    "external_id": external_id,
                    "now": stamp,
                },
            ).lastrowid
            cur = conn.execute(
                _NEW_CONVERSATION,
                {
                    "contact_id": contact_id,
                    "inbox_id": inbox_id,
                    "identity_id": identity_id,
                    "channel": channel,
                    "language": language,
                    "now": stamp,
                },
            )
            return int(cur.lastrowid or 0)

        return await self.writer.run(job)

    async def users_conversation(
        self, channel: str, external_id: str, conversation_id: int
    ) -> tuple[int | None] | None:
        """``(last seq,)`` of the conversation if it is this channel user's, ``(None,)`` if
        not; None where there is no group writer (the caller reads it the general way)."""
        if self.writer is None:
            return None
        params = {"cid": conversation_id, "external_id": external_id, "channel": channel}

        def job(conn: sqlite3.Connection) -> tuple[int | None]:
            row = conn.execute(_USERS_CONVERSATION, params).fetchone()
            return (None if row is None else int(row[0]),)

        return await self.writer.read(job)

    async def record_customer_text(
        self,
        conversation_id: int,
        *,
        channel: str,
        inbox: str,
        external_id: str,
        source_id: str,
        text: str,
        now: datetime,
    ) -> StoredInbound | None:
        """Store a text the channel's customer wrote in their bot-held conversation.

        None when this is not the plain case (another owner, not this customer's
        conversation, a resend): the caller then runs the general path, which decides.
        """
        if self.writer is None:
            if not self.enabled:
                return None
            return await store_pg.record_customer_text(
                self.db, conversation_id, channel, inbox, external_id, source_id, text, now
            )
        stamp = sql_time(now)

        def job(conn: sqlite3.Connection) -> StoredInbound | None:
            row = conn.execute(
                _RECORD,
                {
                    "now": stamp,
                    "cid": conversation_id,
                    "channel": channel,
                    "external_id": external_id,
                    "inbox": inbox,
                },
            ).fetchone()
            if row is None:
                return None
            seq, inbox_id, state, language = row
            cur = conn.execute(
                _INSERT,
                {
                    "cid": conversation_id,
                    "inbox_id": inbox_id,
                    "seq": seq,
                    "direction": "in",
                    "sender": "customer",
                    "text": text,
                    "source_id": source_id,
                    "delivery": "received",
                    "meta": "{}",
                    "now": stamp,
                },
            )
            loaded = json.loads(state) if state else {}
            return StoredInbound(
                int(cur.lastrowid or 0),
                int(seq),
                int(inbox_id),
                now,
                loaded if isinstance(loaded, dict) else {},
                language,
            )

        try:
            return await self.writer.run(job)
        except sqlite3.IntegrityError:
            return None  # a resend: the general path finds the first delivery

    async def add_bot_replies(
        self,
        conversation_id: int,
        answered_seq: int,
        replies: list[tuple[str, MessageMeta]],
        state: dict[str, Any],
        language: str,
        *,
        live_channels: frozenset[str],
        now: datetime,
    ) -> list[StoredReply]:
        """A bot turn's replies, its memory and the question's answered mark, together.

        Raises :class:`NotBot` when a person took the conversation meanwhile and
        :class:`AlreadyAnswered` when another turn answered first (nothing is written).
        On a channel with a live socket the replies are stored as sent, without outbox rows.
        """
        if self.writer is None:
            return await store_pg.add_bot_replies(
                self.db, conversation_id, answered_seq, replies, state, language, live_channels, now
            )
        stamp = sql_time(now)

        def job(conn: sqlite3.Connection) -> list[StoredReply]:
            row = conn.execute(
                _ADVANCE_BOT,
                {
                    "n": len(replies),
                    "state": sql_json(state),
                    "language": language,
                    "now": stamp,
                    "cid": conversation_id,
                },
            ).fetchone()
            if row is None:
                raise NotBot()
            last, inbox_id, channel = int(row[0]), int(row[1]), str(row[2])
            if conn.execute(_ANSWERED, {"cid": conversation_id, "seq": answered_seq}).rowcount == 0:
                raise AlreadyAnswered()
            live = channel in live_channels
            out = []
            for i, (text, meta) in enumerate(replies):
                seq = last - len(replies) + 1 + i
                cur = conn.execute(
                    _INSERT,
                    {
                        "cid": conversation_id,
                        "inbox_id": inbox_id,
                        "seq": seq,
                        "direction": "out",
                        "sender": "bot",
                        "text": text,
                        "source_id": None,
                        "delivery": "sent" if live else "pending",
                        "meta": sql_json(meta),
                        "now": stamp,
                    },
                )
                mid = int(cur.lastrowid or 0)
                if not live:
                    conn.execute(
                        _OUTBOX,
                        {
                            "mid": mid,
                            "cid": conversation_id,
                            "channel": channel,
                            "now": stamp,
                            "key": uuid.uuid4().hex,
                        },
                    )
                out.append(StoredReply(mid, seq, text, meta, now))
            return out

        return await self.writer.run(job)

    async def close(self) -> None:
        """Stop the writer thread."""
        if self.writer is not None:
            await self.writer.close()
