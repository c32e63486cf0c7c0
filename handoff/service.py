"""The handoff service: escalate, take over, reply, resolve, hand back; the pipeline's hooks.

Every owner change goes through :func:`handoff.state.apply` and commits in one transaction
with the system message that tells the customer and the ticket's audit trail, then wakes
the outbox and the consoles. Assignment and release are :mod:`handoff.queue`'s; ratings
:mod:`handoff.ratings`'.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings, load_settings
from core.conversations import add_reply, lock_conversation
from core.db import Database
from core.domain import Attachment, EscalationRequest
from core.errors import BadRequest
from core.events import Events
from core.message_meta import MessageMeta
from core.models import Agent, Conversation, Message, Ticket, utcnow
from core.outbox import OutboxDispatcher
from handoff import state
from handoff.notices import notice
from handoff.queue import Queue
from handoff.ratings import Ratings
from handoff.state import Batch, Changed, Event
from intake import feedback
from intake.lifecycle import audit, move
from intake.ticket_links import TicketLinks
from intake.ticket_types import require_fields
from intake.tickets import TicketDesk, latest_ticket, open_ticket


class HandoffService:
    """Owner transitions for agents, and the escalation hooks the turn pipeline calls."""

    # Signs the customer's ticket page links (set by the app; None: no links are sent).
    links: TicketLinks | None = None

    def __init__(
        self,
        db: Database,
        events: Events,
        outbox: OutboxDispatcher,
        max_text_length: int = 5000,
        settings: Settings | None = None,
    ) -> None:
        self.db = db
        self.events = events
        self.outbox = outbox
        self.max_text_length = max_text_length
        self.settings = settings or load_settings(None, env={})
        self.desk = TicketDesk(self.settings)
        self.clock = self.desk.clock
        self.queue = Queue(self.settings, self.clock)
        self.ratings = Ratings(self.settings, self.queue)

    # -- hooks for the turn pipeline (inside its transaction) -------------------------

    async def escalate(
        self, session: AsyncSession, conv: Conversation, request: EscalationRequest
    ) -> int:
        """Open (or update) the ticket and queue the conversation; returns the ticket number."""
        ticket = await self.desk.open_for(
            session, conv, reason=request.reason, category=request.category
        )
        state.apply(conv, Event.ESCALATE)
        return ticket.number

    async def route(self, session: AsyncSession, conv: Conversation) -> Message | None:
        """After the escalation notice: assign an online agent, or tell the expected wait."""
        if conv.owner != state.Owner.QUEUED:
            return None
        await self._link_escalation(session, conv)
        batch = Batch()
        if self.settings.assignment.auto_assign:
            msgs = await self.queue.auto_assign(session, conv, batch)
            if msgs:
                return msgs[-1]
        # Nobody fits: the wait is added to the escalation notice (one message, not two).
        wait, meta = await self.queue.wait_notice(session, conv)
        last = (
            await session.execute(
                select(Message).where(
                    Message.conversation_id == conv.id, Message.seq == conv.last_seq
                )
            )
        ).scalar_one_or_none()
        if last is None or last.direction != "out" or last.private:
            return await add_reply(session, conv, sender="system", text=wait, meta=meta)
        last.text = f"{last.text}\n{wait}"
        merged = last.meta.copy()
        merged.update(meta)
        last.meta = merged
        return None

    async def page_link(self, session: AsyncSession, ticket: Ticket, language: str | None) -> str:
        """The line giving the customer their ticket page ("" when links are off)."""
        if self.links is None or ticket.id is None:
            return ""
        return notice("page_link", language, url=await self.links.link_for(session, ticket.id))

    async def _link_escalation(self, session: AsyncSession, conv: Conversation) -> None:
        """The escalation notice (the conversation's last message) gets the page link."""
        last = (
            await session.execute(
                select(Message).where(
                    Message.conversation_id == conv.id, Message.seq == conv.last_seq
                )
            )
        ).scalar_one_or_none()
        if last is None or not last.meta.get("escalated"):
            return
        ticket = await open_ticket(session, conv.id)
        line = await self.page_link(session, ticket, conv.language) if ticket else ""
        if line:
            last.text = f"{last.text}\n{line}"

    async def customer_wrote(self, session: AsyncSession, conv: Conversation) -> None:
        """A customer message in a conversation a person handles: a pending ticket reopens; a
        complaint or a hazard makes it urgent."""
        said = await session.execute(
            select(Message.text).where(
                Message.conversation_id == conv.id, Message.seq == conv.last_seq
            )
        )
        await self.desk.customer_alarm(session, conv, said.scalar() or "")
        ticket = await open_ticket(session, conv.id)
        if ticket is not None and ticket.status == "pending":
            move(session, ticket, "open", clock=self.clock, actor="customer")

    async def reopen(self, session: AsyncSession, conv: Conversation) -> None:
        """A customer wrote in a resolved conversation: a survey answer, else back to the bot."""
        ticket = await latest_ticket(session, conv.id)
        if ticket is not None and ticket.survey_state == "pending":
            msg = (
                await session.execute(
                    select(Message).where(
                        Message.conversation_id == conv.id, Message.seq == conv.last_seq
                    )
                )
            ).scalar_one_or_none()
            score = feedback.parse_rating(msg.text) if msg is not None else None
            if score is not None and msg is not None:
                await self.ratings.rated(session, conv, ticket, score, msg.id, Batch())
                return
            ticket.survey_state = "skipped"
        state.apply(conv, Event.REOPEN)

    # -- customer feedback -----------------------------------------------------------------

    async def feedback(self, conversation_id: int, seq: int, value: object) -> None:
        """A rating from the customer's widget: thumbs on a bot answer, or 1-5 on the survey."""
        batch = Batch()
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            await self.ratings.on_message(session, conv, seq, value, batch)
        await self.announce(batch)

    # -- agent actions -------------------------------------------------------------------

    async def takeover(self, agent: Agent, conversation_id: int) -> Changed:
        """The agent takes the conversation; the bot goes silent. 409 if another agent holds it."""
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            msgs = await self.queue.take(session, conv, agent)
            ticket = await latest_ticket(session, conv.id)
        return await self.changed(conv, msgs, ticket)

    async def reply(
        self,
        agent: Agent,
        conversation_id: int,
        text: str,
        private: bool = False,
        attachments: tuple[Attachment, ...] = (),
    ) -> Message:
        """An agent's reply (delivered through the customer's channel) or a private note;
        ``attachments``: files stored already (the text is then an optional caption)."""
        text = (text or "").strip()
        if not text and not attachments:
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
                    produced += await self.queue.take(session, conv, agent)
                now = utcnow()
                if conv.first_agent_reply_at is None:
                    conv.first_agent_reply_at = now
                ticket = await open_ticket(session, conv.id)
                if ticket is not None and ticket.first_response_at is None:
                    ticket.first_response_at = now
                    audit(session, ticket, "first_response", actor="agent", agent_id=agent.id)
            msg = await add_reply(
                session,
                conv,
                sender="agent",
                text=text,
                private=private,
                agent=agent,
                attachments=attachments,
            )
            produced.append(msg)
        await self.changed(conv, tuple(produced), None)
        return msg

    async def resolve(self, agent: Agent, conversation_id: int) -> Changed:
        """Close the conversation and its ticket; the customer is told and asked to rate."""
        batch = Batch()
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            state.apply(conv, Event.RESOLVE, agent=agent)
            freed = conv.assignee_id
            # The survey rides on the closing notice: one message on every channel.
            text = notice("resolved", conv.language)
            meta: MessageMeta = {}
            ticket = await open_ticket(session, conv.id)
            if ticket is not None:
                await require_fields(session, ticket, "resolved")  # issue 17: typed tickets
                move(
                    session, ticket, "resolved", clock=self.clock, actor="agent", agent_id=agent.id
                )
                if self.settings.tickets.survey:
                    ticket.survey_state = "pending"
                    text += "\n" + notice("survey", conv.language, ticket=ticket.number)
                    meta = {"survey": True, "ticket": ticket.number}
                link = await self.page_link(session, ticket, conv.language)
                text += f"\n{link}" if link else ""
            else:
                ticket = await latest_ticket(session, conv.id)
            msgs = [await add_reply(session, conv, sender="system", text=text, meta=meta)]
            batch.add(conv, *msgs)
            if freed is not None:
                await self.queue.drain(session, batch)
        await self.announce(batch)
        return Changed(conv, tuple(msgs), ticket)

    async def handback(self, agent: Agent, conversation_id: int) -> Changed:
        """Give the conversation back to the bot, with fresh context; its ticket is resolved."""
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            state.apply(conv, Event.HANDBACK, agent=agent)
            ticket = await open_ticket(session, conv.id)
            if ticket is not None:
                await require_fields(session, ticket, "resolved")  # issue 17: typed tickets
                move(
                    session,
                    ticket,
                    "resolved",
                    clock=self.clock,
                    actor="agent",
                    agent_id=agent.id,
                    note="handback",
                )
            msg = await add_reply(
                session, conv, sender="system", text=notice("handback", conv.language)
            )
            ticket = ticket or await latest_ticket(session, conv.id)
        return await self.changed(conv, (msg,), ticket)

    # -- the queue -------------------------------------------------------------------------

    async def release_agent(self, agent_id: int, reason: str) -> None:
        """Put the conversations ``agent_id`` holds back in the queue and hand them out again.

        Used when an agent goes offline, is deactivated or removed: their customers must
        not wait on someone who is not coming. ``reason`` is the private note's wording.
        """
        batch = Batch()
        async with self.db.transaction() as session:
            await self.queue.release_held(session, agent_id, reason, batch)
            await session.flush()
            if self.settings.assignment.auto_assign:
                await self.queue.drain(session, batch)
        await self.announce(batch)

    async def assign_waiting(self) -> None:
        """Hand queued conversations to whoever is there now (an agent's console connected)."""
        if not self.settings.assignment.auto_assign:
            return
        batch = Batch()
        async with self.db.transaction() as session:
            await self.queue.drain(session, batch)
        await self.announce(batch)

    async def announce(self, batch: Batch) -> None:
        """Wake the outbox and the consoles for what ``batch`` touched (after commit)."""
        for conv, msgs in batch.touched.values():
            await self.changed(conv, tuple(msgs), None)

    async def changed(
        self, conv: Conversation, msgs: tuple[Message, ...], ticket: Ticket | None
    ) -> Changed:
        """Wake the outbox (a public message) and the consoles for one changed conversation."""
        if any(not m.private for m in msgs):
            self.outbox.notify()
        seq = max((m.seq for m in msgs), default=conv.last_seq)
        await self.events.message(conv.id, seq)
        await self.events.conversation_updated(conv.id, conv.owner, seq)
        return Changed(conv, msgs, ticket)
