"""The turn pipeline: record an inbound message once, then let its owner answer.

``bot`` owner: a bot turn runs under the conversation's lock; its replies, its memory and
any escalation commit in one transaction, and only if the bot still owns the conversation
then (an agent who took over meanwhile silences it). Other owners: the message waits for
a person. The bot and the handoff service are injected (see ``core/app.py``), so the core
imports neither.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.channel_store import open_conversation as open_core
from core.channel_store import stored as stored_view
from core.channel_store import users_conversation as users_core
from core.coordination import Locks
from core.db import Database
from core.domain import (
    BotState,
    BotTurn,
    EscalationRequest,
    InboundMessage,
    StoredMessage,
    TurnInput,
)
from core.events import BotTyping, Events, carried
from core.inbound import InboundResult, admit
from core.metrics import Metrics
from core.models import Conversation, Message, utcnow
from core.outbox import OutboxDispatcher
from core.ports import Asked, BotPolicy, Handoff, Responder
from core.store import HotStore
from core.turn_commit import TurnCommits

__all__ = ["FALLBACK_NOTICE", "Asked", "BotPolicy", "Handoff", "Responder", "TurnPipeline"]

log = logging.getLogger(__name__)


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
        settings: BotPolicy,
        metrics: Metrics | None = None,
        store: HotStore | None = None,
    ) -> None:
        self.db = db
        self.store = store or HotStore(db)
        self._running: dict[int, int] = {}  # conversation id -> bot turns running now
        self._ended: OrderedDict[int, int] = OrderedDict()  # conversation id -> turns ended
        self.metrics = metrics or Metrics()
        self.events = events
        self.locks = locks
        self.outbox = outbox
        self.responder = responder
        self.handoff = handoff
        self.settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self.commits = TurnCommits(db, self.store, outbox, handoff)

    async def open_conversation(
        self, channel: str, inbox: str, external_id: str, language: str | None = None
    ) -> int:
        """A conversation for a new channel user (a web chat visitor who just arrived)."""
        opened = await self.store.open_conversation(channel, inbox, external_id, language, utcnow())
        if opened is not None:
            return opened
        return await open_core(self.db, channel, inbox, external_id, language=language)

    async def users_conversation(
        self, channel: str, external_id: str, conversation_id: int
    ) -> int | None:
        """The last seq of the conversation, if it is this channel user's; else None (a
        socket's check at connect: on SQLite one plain read on the store's reader thread)."""
        found = await self.store.users_conversation(channel, external_id, conversation_id)
        if found is not None:
            return found[0]
        return await users_core(self.db, channel, external_id, conversation_id)

    async def handle_inbound(self, inbound: InboundMessage) -> InboundResult:
        """The one inbound entry: store ``inbound`` exactly once and apply the owner rules.

        Every channel calls this (see ``core/inbound.py`` for the rules). It returns after
        commit, so a platform acknowledged afterwards never loses the message; a bot turn, if
        the bot must answer, runs as a task (``InboundResult.turn``).
        """
        started = self.metrics.clock()
        log.debug("inbound on %s from %s: %.200s", inbound.inbox, inbound.external_id, inbound.text)
        if self._plain_text(inbound):
            fast = await self._inbound_fast(inbound, started)
            if fast is not None:
                return fast
        for attempt in range(3):
            try:
                async with self.db.transaction() as session:
                    # First pass optimistic: a resend fails on the unique index and the next
                    # pass looks it up (one query less for every message that is not one).
                    adm = await admit(session, inbound, self.handoff, optimistic=attempt == 0)
                break
            except IntegrityError:
                # A resend, or a concurrent delivery of the same platform message that won
                # the race; the next pass finds it and reports a duplicate.
                if attempt == 2:
                    raise
        rec = adm.recorded
        conv_id, msg = rec.conversation.id, rec.message
        self.metrics.stored(inbound.channel, started, duplicate=rec.duplicate)
        if rec.duplicate:
            return InboundResult(
                conv_id,
                msg.id,
                msg.seq,
                True,
                adm.owner,
                no_reply=msg.no_reply,
                message=stored_view(msg),
            )
        fixed = adm.fixed_reply
        last_seq = fixed.seq if fixed is not None else msg.seq
        await self.events.message(conv_id, last_seq)
        await self.events.conversation_updated(conv_id, adm.owner, last_seq)
        result = InboundResult(
            conv_id,
            msg.id,
            msg.seq,
            False,
            adm.owner,
            message=stored_view(msg),
            no_reply=msg.no_reply,
            thread_rule=rec.thread_rule,
            inline_reply=fixed.text if fixed is not None and adm.fixed_reply_claimed else None,
        )
        if not adm.bot_turn:
            if fixed is None or not adm.fixed_reply_claimed:
                self.outbox.notify()  # a fixed reply, or a survey answer's thanks
            return result
        task = self._start_turn(conv_id, msg.seq, None, arrived=started)
        return dataclasses.replace(result, turn=task)

    def _plain_text(self, inbound: InboundMessage) -> bool:
        """A customer's text in a conversation the channel names, with no special hint:
        the common case the hot-path store writes in one statement pair."""
        return (
            self.store.enabled
            and inbound.conversation_id is not None
            and inbound.kind == "text"
            and inbound.no_reply is None
            and inbound.fixed_reply is None
            and inbound.thread is None
            and not inbound.attachments
            and not inbound.meta
            and not inbound.reply_inline
            and inbound.received_at is None
        )

    async def _inbound_fast(self, inbound: InboundMessage, started: float) -> InboundResult | None:
        """The plain case through the hot-path store; None when the general path must decide."""
        conv_id = inbound.conversation_id
        assert conv_id is not None
        before = self._turn_mark(conv_id)
        now = utcnow()
        stored = await self.store.record_customer_text(
            conv_id,
            channel=inbound.channel,
            inbox=inbound.inbox,
            external_id=inbound.external_id,
            source_id=inbound.source_id,
            text=inbound.text,
            now=now,
        )
        if stored is None:
            return None
        msg = StoredMessage(
            id=stored.message_id,
            seq=stored.seq,
            direction="in",
            sender="customer",
            kind="text",
            text=inbound.text,
            source_id=inbound.source_id,
            external_id=None,
            private=False,
            created_at=now,
            meta={},
        )
        self.metrics.stored(inbound.channel, started, duplicate=False)
        frame = carried(msg.seq, msg.sender, msg.text, msg.source_id, msg.created_at, msg.meta)
        await self.events.message(conv_id, stored.seq, [frame])
        await self.events.conversation_updated(conv_id, "bot", stored.seq)
        # The memory read with the write is current unless a turn of this conversation ran
        # (or finished) meanwhile; then the turn reads it under the conversation's lock.
        # Several workers (PostgreSQL) may run turns of one conversation: there, always read.
        single = self.store.writer is not None
        quiet = single and before == self._turn_mark(conv_id) and not before[0]
        asked = Asked(inbound.channel, inbound.text, stored.bot_state) if quiet else None
        task = self._start_turn(conv_id, stored.seq, asked, arrived=started)
        return InboundResult(conv_id, msg.id, msg.seq, False, "bot", task, msg)

    async def bot_turn(self, conversation_id: int, seq: int) -> None:
        """Answer the customer message ``seq`` if the bot still owns the conversation and
        nobody answered it yet (recovery's entry; the question is read under the lock)."""
        await self._start_turn(conversation_id, seq, None)

    async def _turn(
        self, conversation_id: int, seq: int, asked: Asked | None, arrived: float | None = None
    ) -> None:
        """One bot turn. ``asked``: the question and the bot's memory as the inbound write
        returned them (no turn of this conversation was running then, so the memory is
        current); without it they are read here, under the conversation's lock. ``arrived``:
        when the message reached kefu (a channel's reply deadline runs from then)."""
        started = self.metrics.clock()
        async with self.locks.hold(f"turn:{conversation_id}"):
            if asked is None:
                asked = await self._read_asked(conversation_id, seq)
                if asked is None:
                    return
            turn, owner, stored = await self._answer(conversation_id, seq, asked, arrived)
        if stored is None:
            return
        last_seq, frames = stored
        self.metrics.answered(asked.channel, turn, started)
        if self.commits.delivers_inline(asked.channel, turn):
            for _ in turn.replies:
                self.metrics.delivery(asked.channel, "sent", None)
            # The socket sends the replies it is handed, or reads them from the database.
            await self.events.message(conversation_id, last_seq, frames)
        else:
            self.outbox.notify()
        await self.events.conversation_updated(conversation_id, owner, last_seq)

    def _turn_started(self, conversation_id: int) -> None:
        self._running[conversation_id] = self._running.get(conversation_id, 0) + 1

    def _turn_ended(self, conversation_id: int) -> None:
        left = self._running.get(conversation_id, 1) - 1
        if left:
            self._running[conversation_id] = left
        else:
            self._running.pop(conversation_id, None)
        self._ended[conversation_id] = self._ended.pop(conversation_id, 0) + 1
        if len(self._ended) > 4096:
            self._ended.popitem(last=False)

    def _turn_mark(self, conversation_id: int) -> tuple[bool, int]:
        """(a turn of the conversation is running or scheduled, how many have ended)."""
        return conversation_id in self._running, self._ended.get(conversation_id, 0)

    def _start_turn(
        self, conversation_id: int, seq: int, asked: Asked | None, arrived: float | None = None
    ) -> asyncio.Task[None]:
        """Run the bot's turn as a task (counted as running from now until it ends)."""
        self._turn_started(conversation_id)

        async def turn() -> None:
            try:
                await self._turn(conversation_id, seq, asked, arrived)
            finally:
                self._turn_ended(conversation_id)

        task = asyncio.create_task(turn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _read_asked(self, conversation_id: int, seq: int) -> Asked | None:
        """The question ``seq`` and the conversation, if the bot may answer it now."""
        async with self.db.reader() as session:
            # One query: the conversation and the message to answer.
            found = (
                await session.execute(
                    select(
                        Conversation.owner,
                        Conversation.channel,
                        Conversation.bot_state,
                        Message.text,
                        Message.answered,
                        Message.no_reply,
                    )
                    .outerjoin(
                        Message,
                        (Message.conversation_id == Conversation.id)
                        & (Message.seq == seq)
                        & (Message.direction == "in"),
                    )
                    .where(Conversation.id == conversation_id)
                )
            ).first()
        if found is None:
            return None
        owner, channel, bot_state, text, answered, no_reply = found
        if owner != "bot" or text is None or answered or no_reply is not None:
            # Answered already (a rerun after a worker died, see core/recovery.py), or a
            # message nobody may answer (an auto-reply...): whoever asks, no turn.
            return None
        return Asked(channel, text, bot_state or {})

    async def _answer(
        self, conversation_id: int, seq: int, asked: Asked, arrived: float | None = None
    ) -> tuple[BotTurn, str, tuple[int, list[dict[str, Any]] | None] | None]:
        """Run the bot and commit its turn; (turn, owner, (last seq, stored messages))."""
        state = BotState.from_json(asked.bot_state)
        typing = BotTyping(self.events, conversation_id)
        try:
            try:
                turn = await self.responder.respond(
                    TurnInput(
                        conversation_id=conversation_id,
                        channel=asked.channel,
                        text=asked.text,
                        state=state,
                        default_language=self.settings.default_language,
                        arrived=arrived,
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
            owner, stored = await self.commits.commit(conversation_id, turn, seq)
        finally:
            await typing.stop()
        return turn, owner, stored

    async def feedback(self, conversation_id: int, seq: int, value: object) -> None:
        """A channel passes on the customer's rating of one message."""
        await self.handoff.feedback(conversation_id, seq, value)

    async def drain(self, grace_seconds: float = 10.0) -> None:
        """Wait for in-flight bot turns (graceful shutdown), then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
            for task in pending:
                task.cancel()
