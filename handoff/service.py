"""The owner state machine: escalate, take over, reply, resolve, hand back.

    bot ──escalate──> queued ──takeover / reply──> agent ──resolve──> resolved
     ^                   │                           │                   │
     └────handback───────┴───────────handback────────┘   customer writes ┘ (back to bot)

Only this module changes a conversation's owner. Every change commits in one transaction
with the system message that tells the customer, then wakes the outbox and the consoles.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations import add_reply, lock_conversation
from core.db import Database
from core.domain import EscalationRequest
from core.errors import BadRequest, Conflict
from core.events import Events
from core.models import Agent, Conversation, Message, Ticket, utcnow
from core.outbox import OutboxDispatcher
from intake.tickets import latest_ticket, open_ticket_for, resolve_tickets

NOTICES = {
    "joined": {
        "zh": "人工客服 {name} 已接入，正在为您服务。",
        "en": "{name} from our support team has joined the conversation.",
    },
    "resolved": {
        "zh": "本次服务已结束，感谢您的耐心。如有其他问题，随时给我们留言。",
        "en": "This conversation is resolved. Thank you! Write to us any time.",
    },
    "handback": {
        "zh": "已转回智能助手，您可以继续提问；需要人工时请输入“转人工”。",
        "en": 'You\'re back with our assistant. Type "human" to reach a person again.',
    },
}


def notice(key: str, language: str | None, **values: str) -> str:
    """A customer-facing notice in the conversation's language."""
    texts = NOTICES[key]
    return texts.get(language or "zh", texts["zh"]).format(**values)


@dataclass(frozen=True)
class Changed:
    """The result of an owner change: the conversation and the messages it produced."""

    conversation: Conversation
    messages: tuple[Message, ...]
    ticket: Ticket | None = None


class HandoffService:
    """Owner transitions for agents, and the escalation hook the turn pipeline calls."""

    def __init__(
        self, db: Database, events: Events, outbox: OutboxDispatcher, max_text_length: int = 5000
    ) -> None:
        self.db = db
        self.events = events
        self.outbox = outbox
        self.max_text_length = max_text_length

    # -- hooks for the turn pipeline (inside its transaction) -------------------------

    async def escalate(
        self, session: AsyncSession, conv: Conversation, request: EscalationRequest
    ) -> int:
        """Open (or update) the ticket and queue the conversation; returns the ticket number."""
        ticket = await open_ticket_for(
            session, conv, reason=request.reason, category=request.category
        )
        conv.owner = "queued"
        conv.assignee_id = None
        return ticket.number

    async def reopen(self, session: AsyncSession, conv: Conversation) -> None:
        """A customer wrote in a resolved conversation: the bot starts with fresh context."""
        conv.owner = "bot"
        conv.assignee_id = None
        conv.resolved_at = None
        conv.bot_state = {}

    # -- agent actions -------------------------------------------------------------------

    async def takeover(self, agent: Agent, conversation_id: int) -> Changed:
        """The agent takes the conversation; the bot goes silent. 409 if another agent holds it."""
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            msgs = await self._take(session, conv, agent)
            ticket = await latest_ticket(session, conv.id)
        return await self._changed(conv, msgs, ticket)

    async def reply(
        self, agent: Agent, conversation_id: int, text: str, private: bool = False
    ) -> Message:
        """An agent's reply (delivered through the customer's channel) or a private note."""
        text = (text or "").strip()
        if not text:
            raise BadRequest("The message text is empty.", code="empty_text")
        if len(text) > self.max_text_length:
            raise BadRequest(
                f"The message is longer than {self.max_text_length} characters.", code="too_long"
            )
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            produced: list[Message] = []
            if not private:
                # Any agent message silences the bot: a public reply takes the conversation.
                if not (conv.owner == "agent" and conv.assignee_id == agent.id):
                    produced += await self._take(session, conv, agent)
                if conv.first_agent_reply_at is None:
                    conv.first_agent_reply_at = utcnow()
            msg = await add_reply(
                session, conv, sender="agent", text=text, private=private, agent=agent
            )
            produced.append(msg)
        await self._changed(conv, tuple(produced), None)
        return msg

    async def resolve(self, agent: Agent, conversation_id: int) -> Changed:
        """Close the conversation and its ticket; the customer is told."""
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            if conv.owner == "resolved":
                raise Conflict("The conversation is already resolved.", code="already_resolved")
            self._check_not_held_by_other(conv, agent)
            conv.owner = "resolved"
            conv.resolved_at = utcnow()
            await resolve_tickets(session, conv.id)
            msg = await add_reply(
                session, conv, sender="system", text=notice("resolved", conv.language)
            )
            ticket = await latest_ticket(session, conv.id)
        return await self._changed(conv, (msg,), ticket)

    async def handback(self, agent: Agent, conversation_id: int) -> Changed:
        """Give the conversation back to the bot, with fresh context."""
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            if conv.owner == "bot":
                raise Conflict("The bot already holds this conversation.", code="already_bot")
            self._check_not_held_by_other(conv, agent)
            conv.owner = "bot"
            conv.assignee_id = None
            conv.bot_state = {}
            msg = await add_reply(
                session, conv, sender="system", text=notice("handback", conv.language)
            )
            ticket = await latest_ticket(session, conv.id)
        return await self._changed(conv, (msg,), ticket)

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _check_not_held_by_other(conv: Conversation, agent: Agent) -> None:
        if (
            conv.owner == "agent"
            and conv.assignee_id not in (None, agent.id)
            and agent.role not in ("supervisor", "admin")
        ):
            raise Conflict("Another agent holds this conversation.", code="held_by_other")

    async def _take(
        self, session: AsyncSession, conv: Conversation, agent: Agent
    ) -> tuple[Message, ...]:
        if conv.owner == "agent" and conv.assignee_id == agent.id:
            return ()
        if conv.owner == "agent" and conv.assignee_id is not None:
            raise Conflict("Another agent holds this conversation.", code="held_by_other")
        conv.owner = "agent"
        conv.assignee_id = agent.id
        conv.resolved_at = None
        ticket = await latest_ticket(session, conv.id)
        if ticket is not None and ticket.status == "new":
            ticket.status = "open"
        msg = await add_reply(
            session, conv, sender="system", text=notice("joined", conv.language, name=agent.name)
        )
        return (msg,)

    async def _changed(
        self, conv: Conversation, msgs: tuple[Message, ...], ticket: Ticket | None
    ) -> Changed:
        if any(not m.private for m in msgs):
            self.outbox.notify()
        seq = max((m.seq for m in msgs), default=conv.last_seq)
        await self.events.message(conv.id, seq)
        await self.events.conversation_updated(conv.id, conv.owner, seq)
        return Changed(conv, msgs, ticket)
