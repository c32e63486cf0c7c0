"""Private notes written by kefu itself (not an agent) into a conversation, for the agents.

A component that learns something the agent should know (the order system did not answer)
leaves it in the conversation as a private system message: it takes the next seq like any
message, never goes to the outbox, and the console shows it in the timeline.
"""

from __future__ import annotations

from core.conversations import add_reply
from core.db import Database
from core.models import Conversation


async def add_note(db: Database, conversation_id: int, text: str) -> None:
    """Store ``text`` as a private system note in the conversation (nothing if it is gone)."""
    async with db.transaction() as session:
        conv = await session.get(Conversation, conversation_id)
        if conv is not None:
            await add_reply(session, conv, sender="system", text=text[:2000], private=True)
