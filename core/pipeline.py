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
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.channel_store import open_conversation as open_core
from core.channel_store import stored as stored_view
from core.conversations import add_bot_replies, add_reply, lock_conversation
from core.coordination import Locks
from core.db import Database
from core.domain import (
    BotReply,
    BotState,
    BotTurn,
    EscalationRequest,
    InboundMessage,
    StoredMessage,
    TurnInput,
)
from core.errors import NotFound
from core.events import BotTyping, Events, carried
from core.inbound import InboundResult, admit, mark_answered
from core.metrics import Metrics
from core.models import Conversation, Message, utcnow
from core.outbox import OutboxDispatcher
from core.store import AlreadyAnswered, HotStore, NotBot

log = logging.getLogger(__name__)


class BotPolicy(Protocol):
    """What the pipeline reads of the ``[bot]`` section (declared in ``bot/settings.py``)."""

    @property
    def default_language(self) -> str:
        """The language of a conversation that has not shown one."""
        ...


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
class Asked:
    """A customer message the bot is to answer, with what it needs of the conversation."""

    channel: str
    text: str
    bot_state: dict[str, Any]


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

    async def open_conversation(
        self, channel: str, inbox: str, external_id: str, language: str | None = None
    ) -> int:
        """A conversation for a new channel user (a web chat visitor who just arrived)."""
        opened = await self.store.open_conversation(channel, inbox, external_id, language, utcnow())
        if opened is not None:
            return opened
        return await open_core(self.db, channel, inbox, external_id, language=language)

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
        if self._delivers_inline(asked.channel, turn):
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
            owner, stored = await self._commit_turn(conversation_id, turn, seq)
        finally:
            await typing.stop()
        return turn, owner, stored

    async def _commit_turn(
        self, conversation_id: int, turn: BotTurn, seq: int
    ) -> tuple[str, tuple[int, list[dict[str, Any]] | None] | None]:
        if turn.escalate is None and turn.replies:
            if self.store.enabled:
                return await self._commit_replies_fast(conversation_id, turn, seq)
            owner, last_seq = await self._commit_replies(conversation_id, turn, seq)
            return owner, (last_seq, None) if last_seq is not None else None
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            if conv.owner != "bot":
                return conv.owner, None  # a person took over while the bot was thinking
            if not await mark_answered(session, conversation_id, seq):
                return conv.owner, None  # another worker's turn got here first
            last = None
            for reply in turn.replies:
                last = await add_reply(
                    session, conv, sender="bot", text=reply.text, meta=_reply_meta(reply)
                )
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
            return conv.owner, (last.seq if last is not None else conv.last_seq, None)

    async def _commit_replies_fast(
        self, conversation_id: int, turn: BotTurn, seq: int
    ) -> tuple[str, tuple[int, list[dict[str, Any]] | None] | None]:
        """The usual turn through the hot-path store (SQLite: one job in a shared commit)."""
        try:
            stored = await self.store.add_bot_replies(
                conversation_id,
                seq,
                [(r.text, _reply_meta(r)) for r in turn.replies],
                turn.state.to_json(),
                turn.language,
                live_channels=self._wakeup_channels(),
                now=utcnow(),
            )
        except NotBot:
            async with self.db.reader() as session:
                owner = await _current_owner(session, conversation_id)
            return owner, None  # a person took over while the bot was thinking
        except AlreadyAnswered:
            return "bot", None  # another turn got here first
        frames = [carried(r.seq, "bot", r.text, None, r.created_at, r.meta) for r in stored]
        return "bot", (stored[-1].seq, frames)

    async def _commit_replies(
        self, conversation_id: int, turn: BotTurn, seq: int
    ) -> tuple[str, int | None]:
        """The usual turn (replies, no escalation) in one short transaction.

        The conversation UPDATE checks the owner and takes the row lock first, so the
        "answered" mark read after it is current; a turn that finds the message already
        answered rolls everything back.
        """
        try:
            async with self.db.transaction() as session:
                msgs = await add_bot_replies(
                    session,
                    conversation_id,
                    [(r.text, _reply_meta(r)) for r in turn.replies],
                    turn.state.to_json(),
                    turn.language,
                    delivered_on=self._wakeup_channels(),
                )
                if msgs is None:
                    owner = await _current_owner(session, conversation_id)
                    return owner, None  # a person took over while the bot was thinking
                if not await mark_answered(session, conversation_id, seq):
                    raise _AlreadyAnswered
        except _AlreadyAnswered:
            return "bot", None  # another worker's turn got here first
        return "bot", msgs[-1].seq

    def _wakeup_channels(self) -> frozenset[str]:
        """Channels whose delivery is a wake-up of a socket that reads the database."""
        return frozenset(
            name
            for name, sender in self.outbox.senders.items()
            if getattr(getattr(sender, "capabilities", None), "live_socket", False)
        )

    def _delivers_inline(self, channel: str, turn: BotTurn) -> bool:
        """Whether this turn's replies were stored as sent (see :meth:`_commit_replies`)."""
        return turn.escalate is None and bool(turn.replies) and channel in self._wakeup_channels()

    async def feedback(self, conversation_id: int, seq: int, value: object) -> None:
        """A channel passes on the customer's rating of one message."""
        await self.handoff.feedback(conversation_id, seq, value)

    async def drain(self, grace_seconds: float = 10.0) -> None:
        """Wait for in-flight bot turns (graceful shutdown), then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
            for task in pending:
                task.cancel()


async def _current_owner(session: AsyncSession, conversation_id: int) -> str:
    """Who holds the conversation now; NotFound if it is gone."""
    owner = await session.scalar(
        select(Conversation.owner).where(Conversation.id == conversation_id)
    )
    if owner is None:
        raise NotFound(f"Conversation {conversation_id} does not exist.")
    return str(owner)


class _AlreadyAnswered(Exception):
    """Rolls back a turn whose message another worker answered meanwhile."""


def _reply_meta(reply: BotReply) -> dict[str, object]:
    """What a bot reply's message row remembers: choices offered, entry, decision, and
    whether the chat model worded it."""
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
    if reply.generated:
        meta["generated"] = True
    return meta
