"""The customer's ratings: thumbs on a bot answer, 1-5 on the satisfaction survey.

A low score (``[tickets] low_score_reopen``) opens the case again for a supervisor: the
conversation is requeued (:data:`handoff.state.Event.REQUEUE`) and offered to one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.conversations import add_reply
from core.errors import BadRequest, NotFound
from core.models import Conversation, Message, Ticket
from handoff import state
from handoff.notices import notice
from handoff.queue import Queue
from handoff.state import Batch, Event
from intake import feedback
from intake.lifecycle import audit, move
from intake.tickets import ticket_by_number
from kb.entries import count_vote


class Ratings:
    """Records ratings inside the caller's transaction."""

    def __init__(self, settings: Settings, queue: Queue) -> None:
        self.settings = settings
        self.queue = queue

    async def on_message(
        self, session: AsyncSession, conv: Conversation, seq: int, value: object, batch: Batch
    ) -> None:
        """A rating from the customer's widget on message ``seq`` of ``conv`` (locked)."""
        msg = (
            await session.execute(
                select(Message).where(
                    Message.conversation_id == conv.id,
                    Message.seq == seq,
                    Message.private.is_(False),
                )
            )
        ).scalar_one_or_none()
        if msg is None:
            raise NotFound(f"There is no message {seq} in this conversation.", code="no_message")
        if value in ("up", "down") and msg.sender == "bot" and msg.meta.get("entry_id"):
            vote = 1 if value == "up" else 0
            before = await feedback.helpful_vote(session, msg.id)
            await feedback.record(
                session,
                conversation_id=conv.id,
                message_id=msg.id,
                kind="helpful",
                value=vote,
            )
            if before != vote:
                await count_vote(session, str(msg.meta["entry_id"]), before, vote)
        elif msg.meta.get("survey") and isinstance(value, int) and 1 <= value <= 5:
            ticket = await ticket_by_number(session, int(msg.meta.get("ticket", 0)))
            if ticket.survey_state == "done":
                ticket.csat = value  # a change of mind: keep the latest score
                await feedback.record(
                    session,
                    conversation_id=conv.id,
                    message_id=msg.id,
                    kind="csat",
                    value=value,
                )
                audit(session, ticket, "csat", actor="customer", score=value)
            else:
                await self.rated(session, conv, ticket, value, msg.id, batch)
        else:
            raise BadRequest(
                "Rate a bot answer with up/down or the survey with 1-5.", code="bad_feedback"
            )

    async def rated(
        self,
        session: AsyncSession,
        conv: Conversation,
        ticket: Ticket,
        score: int,
        message_id: int,
        batch: Batch,
    ) -> None:
        """The survey's score: thanks; a low one brings a supervisor back to the case."""
        await feedback.record(
            session, conversation_id=conv.id, message_id=message_id, kind="csat", value=score
        )
        ticket.csat = score
        ticket.survey_state = "done"
        audit(session, ticket, "csat", actor="customer", score=score)
        cfg = self.settings.tickets
        low = cfg.low_score_reopen and score <= cfg.low_score_threshold
        thanks = await add_reply(
            session,
            conv,
            sender="system",
            text=notice("thanks_low" if low else "thanks", conv.language, score=score),
        )
        batch.add(conv, thanks)
        if not low:
            return
        if ticket.status in ("resolved",):
            move(session, ticket, "open", clock=self.queue.clock, actor="customer", note="low CSAT")
        ticket.skills = ["supervisor"]
        state.apply(conv, Event.REQUEUE)
        note = await add_reply(
            session,
            conv,
            sender="system",
            private=True,
            text=f"低分回访（{score} 分），请主管跟进。/ Low satisfaction ({score}/5): "
            "a supervisor should follow up.",
        )
        batch.add(conv, note)
        await self.queue.auto_assign(session, conv, batch)
