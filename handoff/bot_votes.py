"""Votes the bot reads in a customer's words ("有用", "没用", "还是不行"), recorded like the
web chat's 👍/👎: on the conversation's last bot answer from the knowledge base, through
:meth:`HandoffService.feedback`, so the entry's helpful counts move the same way."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.db import Database
from core.errors import KefuError
from core.models import Message
from handoff.service import HandoffService

log = logging.getLogger(__name__)

LOOK_BACK = 10  # bot messages searched back for the last answer


class LastAnswerVotes:
    """The bot's ``Votes``: a vote on the last bot answer of a conversation."""

    def __init__(self, db: Database, handoff: HandoffService) -> None:
        self.db = db
        self.handoff = handoff

    async def last_answer(self, conversation_id: int) -> int | None:
        """The seq of the conversation's last bot message that answered from an entry."""
        async with self.db.reader() as session:
            rows = await session.execute(
                select(Message.seq, Message.meta)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.sender == "bot",
                    Message.private.is_(False),
                )
                .order_by(Message.seq.desc())
                .limit(LOOK_BACK)
            )
            for seq, meta in rows:
                if (meta or {}).get("entry_id"):
                    return int(seq)
        return None

    async def vote(self, conversation_id: int, value: str) -> bool:
        """Record ``value`` ("up" | "down") on the last answer; False when there is none."""
        seq = await self.last_answer(conversation_id)
        if seq is None:
            return False
        try:
            await self.handoff.feedback(conversation_id, seq, value)
        except KefuError as err:  # the conversation went away meanwhile: nothing to rate
            log.info("vote on conversation %s not recorded: %s", conversation_id, err)
            return False
        return True
