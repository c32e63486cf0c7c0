"""How far a customer's client has received and read a conversation (issue 15).

The web chat widget reports the highest ``seq`` it has shown (delivered) and the highest it
showed with the page in view (read); both only move forward, and are capped at the
conversation's last message. Consoles hear of a change on the agents' topic
(``conversation.receipt``) and mark agent messages up to the marks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.coordination import Hub
from core.db import Database
from core.events import AGENTS_TOPIC
from core.models import Conversation, CustomerReceipt, utcnow


async def read_marks(db: Database, conversation_id: int) -> tuple[int, int]:
    """(delivered_seq, read_seq) of a conversation; (0, 0) when nothing was reported."""
    async with db.reader() as session:
        row = await session.get(CustomerReceipt, conversation_id)
    return (row.delivered_seq, row.read_seq) if row is not None else (0, 0)


async def record(
    db: Database, hub: Hub, conversation_id: int, delivered: int, read: int
) -> tuple[int, int] | None:
    """Move the marks forward to (``delivered``, ``read``); the new marks, or None when
    nothing changed. Read implies delivered."""
    delivered = max(delivered, read)
    for attempt in range(2):
        try:
            marks = await _move(db, conversation_id, delivered, read)
            break
        except IntegrityError:  # two sockets made the row at once: the next pass updates it
            if attempt:
                raise
    if marks is None:
        return None
    event: dict[str, Any] = {
        "type": "conversation.receipt",
        "conversation_id": conversation_id,
        "delivered_seq": marks[0],
        "read_seq": marks[1],
    }
    await hub.publish(AGENTS_TOPIC, event)
    return marks


async def _move(
    db: Database, conversation_id: int, delivered: int, read: int
) -> tuple[int, int] | None:
    async with db.transaction() as session:
        last = (
            await session.execute(
                select(Conversation.last_seq).where(Conversation.id == conversation_id)
            )
        ).scalar()
        if last is None:
            return None
        delivered, read = min(delivered, last), min(read, last)
        row = await session.get(CustomerReceipt, conversation_id, with_for_update=True)
        if row is None:
            row = CustomerReceipt(
                conversation_id=conversation_id, delivered_seq=0, read_seq=0, updated_at=utcnow()
            )
            session.add(row)
        if delivered <= row.delivered_seq and read <= row.read_seq:
            return None
        row.delivered_seq = max(row.delivered_seq, delivered)
        row.read_seq = max(row.read_seq, read)
        row.updated_at = utcnow()
        return (row.delivered_seq, row.read_seq)


async def customer_typing(hub: Hub, conversation_id: int, on: bool) -> None:
    """Tell consoles the customer started or stopped typing."""
    await hub.publish(
        AGENTS_TOPIC,
        {"type": "conversation.typing", "conversation_id": conversation_id, "on": on},
    )
