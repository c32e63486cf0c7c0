"""The turn pipeline: record an inbound message once, then let its owner answer.

``bot`` owner: a bot turn runs under the conversation's lock; its replies, its memory and
any escalation commit in one transaction, and only if the bot still owns the conversation
then (an agent who took over meanwhile silences it). Other owners: the message waits for
a person. The bot and the handoff service are injected (see ``core/app.py``), so the core
imports neither.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import BotSettings
from core.conversations import add_reply, lock_conversation, record_inbound
from core.coordination import Locks
from core.db import Database
from core.domain import BotState, BotTurn, EscalationRequest, InboundMessage, TurnInput
from core.events import Events
from core.models import Conversation, Message
from core.outbox import OutboxDispatcher

log = logging.getLogger(__name__)


class Responder(Protocol):
    """The bot: answers one customer turn."""

    async def respond(self, turn: TurnInput) -> BotTurn:
        """Decide what to say (and whether to escalate) for ``turn``."""
        ...


class Handoff(Protocol):
    """Owner changes the pipeline needs (implemented by ``handoff/``)."""

    async def escalate(
        self, session: AsyncSession, conv: Conversation, request: EscalationRequest
    ) -> int:
        """Open a ticket, queue the conversation for a person; returns the ticket number."""
        ...

    async def reopen(self, session: AsyncSession, conv: Conversation) -> None:
        """A customer wrote in a resolved conversation: a survey answer, or back to the bot."""
        ...

    async def route(self, session: AsyncSession, conv: Conversation) -> Message | None:
        """After the escalation notice: assign someone or tell the wait; the last message."""
        ...

    async def customer_wrote(self, session: AsyncSession, conv: Conversation) -> None:
        """A customer message while a person handles the conversation (reopens a pending ticket)."""
        ...

    async def feedback(self, conversation_id: int, seq: int, value: object) -> None:
        """The customer rated message ``seq`` (thumbs up/down, or 1-5 on a survey)."""
        ...


@dataclass(frozen=True)
class InboundResult:
    """What happened to an inbound message."""

    conversation_id: int
    message_id: int
    seq: int
    duplicate: bool
    owner: str
    turn: asyncio.Task[None] | None = None


FALLBACK_NOTICE = {
    "zh": "抱歉，系统暂时无法回答，已为您转接人工客服（工单号 #{ticket}），请稍候。",
    "en": "Sorry, I can't answer right now. A person will reply shortly (ticket #{ticket}).",
}


class TurnPipeline:
    """Records inbound messages and runs bot turns."""

    def __init__(
        self,
        db: Database,
        events: Events,
        locks: Locks,
        outbox: OutboxDispatcher,
        responder: Responder,
        handoff: Handoff,
        settings: BotSettings,
    ) -> None:
        self.db = db
        self.events = events
        self.locks = locks
        self.outbox = outbox
        self.responder = responder
        self.handoff = handoff
        self.settings = settings
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle_inbound(self, inbound: InboundMessage) -> InboundResult:
        """Store ``inbound`` exactly once and start the bot's turn when the bot owns it."""
        for attempt in range(2):
            try:
                async with self.db.transaction() as session:
                    rec = await record_inbound(session, inbound)
                    conv = rec.conversation
                    if not rec.duplicate and conv.owner == "resolved":
                        await self.handoff.reopen(session, conv)
                    elif not rec.duplicate and conv.owner in ("agent", "queued"):
                        await self.handoff.customer_wrote(session, conv)
                    result = InboundResult(
                        conv.id, rec.message.id, rec.message.seq, rec.duplicate, conv.owner
                    )
                break
            except IntegrityError:
                # A concurrent delivery of the same platform message won the race; the
                # second pass finds it and reports a duplicate.
                if attempt == 1:
                    raise
        if result.duplicate:
            return result
        await self.events.message(result.conversation_id, result.seq)
        await self.events.conversation_updated(result.conversation_id, result.owner, result.seq)
        if result.owner != "bot":
            self.outbox.notify()  # a survey answer is thanked without a bot turn
            return result
        task = asyncio.create_task(self.bot_turn(result.conversation_id, result.seq))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return InboundResult(
            result.conversation_id, result.message_id, result.seq, False, result.owner, task
        )

    async def bot_turn(self, conversation_id: int, seq: int) -> None:
        """Answer the customer message ``seq`` if the bot still owns the conversation."""
        async with self.locks.hold(f"turn:{conversation_id}"):
            async with self.db.reader() as session:
                conv = await session.get(Conversation, conversation_id)
                text = (
                    await session.execute(
                        select(Message.text).where(
                            Message.conversation_id == conversation_id, Message.seq == seq
                        )
                    )
                ).scalar()
            if conv is None or conv.owner != "bot" or text is None:
                return
            state = BotState.from_json(conv.bot_state)
            await self.events.typing(conversation_id, "bot", True)
            try:
                try:
                    turn = await self.responder.respond(
                        TurnInput(
                            conversation_id=conversation_id,
                            channel=conv.channel,
                            text=text,
                            state=state,
                            default_language=self.settings.default_language,
                        )
                    )
                except Exception:
                    log.exception("bot failed on conversation %s; escalating", conversation_id)
                    lang = state.language or self.settings.default_language
                    turn = BotTurn(
                        replies=(),
                        state=BotState(language=lang),
                        language=lang,
                        escalate=EscalationRequest("bot_error", FALLBACK_NOTICE[lang]),
                        handler="error",
                    )
                owner, last_seq = await self._commit_turn(conversation_id, turn)
            finally:
                await self.events.typing(conversation_id, "bot", False)
        if last_seq is not None:
            self.outbox.notify()
            await self.events.conversation_updated(conversation_id, owner, last_seq)

    async def _commit_turn(self, conversation_id: int, turn: BotTurn) -> tuple[str, int | None]:
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            if conv.owner != "bot":
                return conv.owner, None  # a person took over while the bot was thinking
            last = None
            for reply in turn.replies:
                meta: dict[str, object] = {}
                if reply.choices:
                    meta["choices"] = [
                        {"n": c.n, "label": c.label, "entry_id": c.entry_id} for c in reply.choices
                    ]
                if reply.entry_id:
                    meta["entry_id"] = reply.entry_id
                if reply.decision:
                    meta["decision"] = reply.decision
                if reply.confidence is not None:
                    meta["confidence"] = round(reply.confidence, 4)
                last = await add_reply(session, conv, sender="bot", text=reply.text, meta=meta)
            conv.bot_state = turn.state.to_json()
            conv.language = turn.language
            if turn.escalate is not None:
                number = await self.handoff.escalate(session, conv, turn.escalate)
                last = await add_reply(
                    session,
                    conv,
                    sender="bot",
                    text=turn.escalate.notice.format(ticket=number),
                    meta={"escalated": True, "ticket": number},
                )
                last = await self.handoff.route(session, conv) or last
            await session.flush()
            return conv.owner, (last.seq if last is not None else conv.last_seq)

    async def feedback(self, conversation_id: int, seq: int, value: object) -> None:
        """A channel passes on the customer's rating of one message."""
        await self.handoff.feedback(conversation_id, seq, value)

    async def drain(self, grace_seconds: float = 10.0) -> None:
        """Wait for in-flight bot turns (graceful shutdown), then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
            for task in pending:
                task.cancel()
