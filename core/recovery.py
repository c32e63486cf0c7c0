"""Turn recovery: a customer message whose bot turn died with its worker is answered anyway.

A turn runs in the worker that stored the message, after the customer was acknowledged;
``kill -9`` there loses the turn but not the message. Every worker looks, every few seconds,
for bot-owned conversations whose newest message is a customer's, older than
``[workers] turn_recovery_seconds``, not answered and not one nobody may answer (an
auto-reply, a bounce: ``Message.no_reply``), and runs the turn again. The
turn takes the conversation's lock and its commit checks the "answered" mark under the
row lock, so a turn that was only slow, or two workers recovering the same message, still
produce one reply.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import and_, select

from core.db import Database
from core.models import Conversation, Message, utcnow
from core.pipeline import TurnPipeline

log = logging.getLogger(__name__)

HORIZON = timedelta(hours=1)  # older unanswered messages are left to people


class TurnRecovery:
    """Finds and reruns lost bot turns."""

    def __init__(self, db: Database, pipeline: TurnPipeline, grace_seconds: float) -> None:
        self.db = db
        self.pipeline = pipeline
        self.grace = timedelta(seconds=grace_seconds)
        self.interval = min(max(grace_seconds / 3, 0.5), 10.0)

    async def run(self) -> None:
        """Look forever (cancelled at shutdown)."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the database may be down: next pass
                log.warning("turn recovery pass failed: %s", err)

    async def check(self) -> int:
        """One pass; returns how many lost turns were rerun."""
        now = utcnow()
        async with self.db.reader() as session:
            rows = (
                await session.execute(
                    select(Conversation.id, Message.seq)
                    .join(
                        Message,
                        and_(
                            Message.conversation_id == Conversation.id,
                            Message.seq == Conversation.last_seq,
                        ),
                    )
                    .where(
                        Conversation.owner == "bot",
                        Message.sender == "customer",
                        Message.kind == "text",  # the bot answers text only (media: a notice)
                        Message.answered.is_(False),
                        Message.no_reply.is_(None),  # an auto-reply, a bounce...: never answered
                        Message.created_at <= now - self.grace,
                        Message.created_at > now - HORIZON,
                    )
                    .order_by(Message.created_at)
                    .limit(50)
                )
            ).all()
        done = 0
        for conversation_id, seq in rows:
            log.warning(
                "rerunning the lost bot turn of conversation %s seq %s", conversation_id, seq
            )
            await self.pipeline.bot_turn(conversation_id, seq)
            done += 1
        return done
