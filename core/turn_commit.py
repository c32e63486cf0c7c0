"""A bot turn's commit: its replies, its memory and any escalation, written only if the bot
still owns the conversation and nobody answered the question meanwhile (an agent who took over
while the bot was thinking silences it; a second turn of the same question writes nothing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations import add_bot_replies, add_reply, lock_conversation
from core.db import Database
from core.domain import BotReply, BotTurn
from core.errors import NotFound
from core.events import carried
from core.inbound import mark_answered
from core.message_meta import MessageMeta
from core.models import Conversation, utcnow
from core.outbox import OutboxDispatcher
from core.ports import Handoff
from core.store import AlreadyAnswered, HotStore, NotBot


class TurnCommits:
    """Writes a bot turn's outcome (the hot-path store for the usual turn, the ORM otherwise)."""

    def __init__(
        self, db: Database, store: HotStore, outbox: OutboxDispatcher, handoff: Handoff
    ) -> None:
        self.db = db
        self.store = store
        self.outbox = outbox
        self.handoff = handoff

    async def commit(
        self, conversation_id: int, turn: BotTurn, seq: int
    ) -> tuple[str, tuple[int, list[dict[str, Any]] | None] | None]:
        if turn.escalate is None and turn.replies:
            if self.store.enabled:
                return await self._replies_fast(conversation_id, turn, seq)
            owner, last_seq = await self._replies(conversation_id, turn, seq)
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

    async def _replies_fast(
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
                live_channels=self.wakeup_channels(),
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

    async def _replies(
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
                    delivered_on=self.wakeup_channels(),
                )
                if msgs is None:
                    owner = await _current_owner(session, conversation_id)
                    return owner, None  # a person took over while the bot was thinking
                if not await mark_answered(session, conversation_id, seq):
                    raise _AlreadyAnswered
        except _AlreadyAnswered:
            return "bot", None  # another worker's turn got here first
        return "bot", msgs[-1].seq

    def wakeup_channels(self) -> frozenset[str]:
        """Channels whose delivery is a wake-up of a socket that reads the database."""
        return frozenset(
            name
            for name, sender in self.outbox.senders.items()
            if getattr(getattr(sender, "capabilities", None), "live_socket", False)
        )

    def delivers_inline(self, channel: str, turn: BotTurn) -> bool:
        """Whether this turn's replies were stored as sent (see :meth:`_replies`)."""
        return turn.escalate is None and bool(turn.replies) and channel in self.wakeup_channels()


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


def _reply_meta(reply: BotReply) -> MessageMeta:
    """What a bot reply's message row remembers: choices offered, entry, decision, and
    whether the chat model worded it."""
    meta: MessageMeta = {}
    if reply.choices:
        meta["choices"] = [
            {"n": c.n, "label": c.label, "entry_id": c.entry_id} for c in reply.choices
        ]
    if reply.entry_id:
        meta["entry_id"] = reply.entry_id
    if reply.category:
        meta["category"] = reply.category
    if reply.decision:
        meta["decision"] = reply.decision
    if reply.confidence is not None:
        meta["confidence"] = round(reply.confidence, 4)
    if reply.generated:
        meta["generated"] = True
    return meta
