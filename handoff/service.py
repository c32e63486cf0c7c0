"""The owner state machine: escalate, assign, take over, reply, resolve, hand back.

    bot ──escalate──> queued ──assign / takeover / reply──> agent ──resolve──> resolved
     ^                   │          ^   (transfer, offline: back to queued)     │
     └────handback───────┴──────────┴──────────handback─────────────┘          │
                                            customer writes ┘ (survey answer, or back to bot)

Only this module changes a conversation's owner. Every change commits in one transaction
with the system message that tells the customer and the ticket's audit trail, then wakes
the outbox and the consoles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings, load_settings
from core.conversations import add_reply, lock_conversation
from core.db import Database
from core.domain import Attachment, EscalationRequest
from core.errors import BadRequest, Conflict, NotFound
from core.events import Events
from core.models import Agent, Conversation, Feedback, KbEntry, Message, Ticket, utcnow
from core.outbox import OutboxDispatcher
from handoff import teams
from handoff.assignment import (
    choose,
    expected_wait_minutes,
    loads,
    online_agents,
    queue_position,
)
from handoff.notices import NOTICES, notice
from intake import feedback
from intake.lifecycle import audit, move
from intake.ticket_links import TicketLinks
from intake.ticket_types import require_fields
from intake.tickets import TicketDesk, latest_ticket, open_ticket, ticket_by_number

__all__ = ["NOTICES", "Batch", "Changed", "HandoffService", "notice"]

SUPERVISORS = ("supervisor", "admin")


@dataclass(frozen=True)
class Changed:
    """The result of an owner change: the conversation and the messages it produced."""

    conversation: Conversation
    messages: tuple[Message, ...]
    ticket: Ticket | None = None


@dataclass
class Batch:
    """Conversations touched in one transaction, announced after it commits."""

    touched: dict[int, tuple[Conversation, list[Message]]] = field(default_factory=dict)

    def add(self, conv: Conversation, *msgs: Message) -> None:
        entry = self.touched.setdefault(conv.id, (conv, []))
        entry[1].extend(msgs)


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

    # -- hooks for the turn pipeline (inside its transaction) -------------------------

    async def escalate(
        self, session: AsyncSession, conv: Conversation, request: EscalationRequest
    ) -> int:
        """Open (or update) the ticket and queue the conversation; returns the ticket number."""
        ticket = await self.desk.open_for(
            session, conv, reason=request.reason, category=request.category
        )
        conv.owner = "queued"
        conv.assignee_id = None
        return ticket.number

    async def route(self, session: AsyncSession, conv: Conversation) -> Message | None:
        """After the escalation notice: assign an online agent, or tell the expected wait."""
        if conv.owner != "queued":
            return None
        await self._link_escalation(session, conv)
        batch = Batch()
        if self.settings.assignment.auto_assign:
            msgs = await self._auto_assign(session, conv, batch)
            if msgs:
                return msgs[-1]
        # Nobody fits: the wait is added to the escalation notice (one message, not two).
        online = await online_agents(session)
        meta: dict[str, object] = {"queue": {"online": len(online)}}
        if not online:
            wait = notice("nobody", conv.language)
        else:
            ahead = await queue_position(session, conv)
            minutes = expected_wait_minutes(
                ahead, len(online), self.settings.assignment.average_handle_minutes
            )
            wait = notice("queue", conv.language, ahead=ahead, minutes=minutes)
            meta = {"queue": {"online": len(online), "ahead": ahead, "minutes": minutes}}
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
        last.meta = {**last.meta, **meta}
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
                await self._rated(session, conv, ticket, score, msg.id, Batch())
                return
            ticket.survey_state = "skipped"
        conv.owner = "bot"
        conv.assignee_id = None
        conv.resolved_at = None
        conv.bot_state = {}

    # -- customer feedback -----------------------------------------------------------------

    async def feedback(self, conversation_id: int, seq: int, value: object) -> None:
        """A rating from the customer's widget: thumbs on a bot answer, or 1-5 on the survey."""
        batch = Batch()
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
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
                raise NotFound(
                    f"There is no message {seq} in this conversation.", code="no_message"
                )
            if value in ("up", "down") and msg.sender == "bot" and msg.meta.get("entry_id"):
                vote = 1 if value == "up" else 0
                before = (
                    await session.execute(
                        select(Feedback.value).where(
                            Feedback.message_id == msg.id, Feedback.kind == "helpful"
                        )
                    )
                ).scalar_one_or_none()
                await feedback.record(
                    session,
                    conversation_id=conv.id,
                    message_id=msg.id,
                    kind="helpful",
                    value=vote,
                )
                if before != vote:
                    await _count_helpful(session, str(msg.meta["entry_id"]), before, vote)
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
                    await self._rated(session, conv, ticket, value, msg.id, batch)
            else:
                raise BadRequest(
                    "Rate a bot answer with up/down or the survey with 1-5.", code="bad_feedback"
                )
        await self.announce(batch)

    async def _rated(
        self,
        session: AsyncSession,
        conv: Conversation,
        ticket: Ticket,
        score: int,
        message_id: int,
        batch: Batch,
    ) -> None:
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
            move(session, ticket, "open", clock=self.clock, actor="customer", note="low CSAT")
        ticket.skills = ["supervisor"]
        conv.owner = "queued"
        conv.assignee_id = None
        conv.resolved_at = None
        note = await add_reply(
            session,
            conv,
            sender="system",
            private=True,
            text=f"低分回访（{score} 分），请主管跟进。/ Low satisfaction ({score}/5): "
            "a supervisor should follow up.",
        )
        batch.add(conv, note)
        await self._auto_assign(session, conv, batch)

    # -- agent actions -------------------------------------------------------------------

    async def takeover(self, agent: Agent, conversation_id: int) -> Changed:
        """The agent takes the conversation; the bot goes silent. 409 if another agent holds it."""
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            msgs = await self._take(session, conv, agent)
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
                    produced += await self._take(session, conv, agent)
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
            if conv.owner == "resolved":
                raise Conflict("The conversation is already resolved.", code="already_resolved")
            self.check_not_held_by_other(conv, agent)
            conv.owner = "resolved"
            conv.resolved_at = utcnow()
            freed = conv.assignee_id
            # The survey rides on the closing notice: one message on every channel.
            text = notice("resolved", conv.language)
            meta: dict[str, object] = {}
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
                await self.drain_queue(session, batch)
        await self.announce(batch)
        return Changed(conv, tuple(msgs), ticket)

    async def handback(self, agent: Agent, conversation_id: int) -> Changed:
        """Give the conversation back to the bot, with fresh context; its ticket is resolved."""
        async with self.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            if conv.owner == "bot":
                raise Conflict("The bot already holds this conversation.", code="already_bot")
            self.check_not_held_by_other(conv, agent)
            conv.owner = "bot"
            conv.assignee_id = None
            conv.bot_state = {}
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

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def check_not_held_by_other(conv: Conversation, agent: Agent) -> None:
        if (
            conv.owner == "agent"
            and conv.assignee_id not in (None, agent.id)
            and agent.role not in SUPERVISORS
        ):
            raise Conflict("Another agent holds this conversation.", code="held_by_other")

    async def _take(
        self, session: AsyncSession, conv: Conversation, agent: Agent
    ) -> tuple[Message, ...]:
        if conv.owner == "agent" and conv.assignee_id == agent.id:
            return ()
        if conv.owner == "agent" and conv.assignee_id is not None:
            if agent.role not in SUPERVISORS:
                raise Conflict("Another agent holds this conversation.", code="held_by_other")
            # A supervisor claims it (the holder may be gone): the team sees who took it.
            holder = await session.get(Agent, conv.assignee_id)
            name = holder.name if holder is not None else str(conv.assignee_id)
            note = await add_reply(
                session,
                conv,
                sender="system",
                private=True,
                text=f"{agent.name} 从 {name} 接管了会话 / {agent.name} took over from {name}",
            )
            return (note, *await self._assign(session, conv, agent, by=agent))
        return await self._assign(session, conv, agent, by=agent)

    async def _assign(
        self, session: AsyncSession, conv: Conversation, agent: Agent, by: Agent | None
    ) -> tuple[Message, ...]:
        conv.owner = "agent"
        conv.assignee_id = agent.id
        conv.resolved_at = None
        agent.last_assigned_at = utcnow()
        ticket = await open_ticket(session, conv.id) or await self._reopen_last(session, conv, by)
        if ticket is not None:
            ticket.assignee_id = agent.id
            if ticket.status == "new":
                move(
                    session,
                    ticket,
                    "open",
                    clock=self.clock,
                    actor="agent" if by else "system",
                    agent_id=by.id if by else None,
                )
            audit(
                session,
                ticket,
                "takeover" if by else "assigned",
                actor="agent" if by else "system",
                agent_id=agent.id,
            )
        msg = await add_reply(
            session, conv, sender="system", text=notice("joined", conv.language, name=agent.name)
        )
        return (msg,)

    async def _reopen_last(
        self, session: AsyncSession, conv: Conversation, by: Agent | None
    ) -> Ticket | None:
        """A person takes up a conversation whose case was closed (handed back, resolved):
        its last resolved ticket is open again, or the ticket would say 已解决 while an agent
        works on it."""
        ticket = await latest_ticket(session, conv.id)
        if ticket is None or ticket.status != "resolved":
            return None
        move(
            session,
            ticket,
            "open",
            clock=self.clock,
            actor="agent" if by else "system",
            agent_id=by.id if by else None,
            note="takeover",
        )
        if ticket.survey_state == "pending":
            ticket.survey_state = ""
        await self.clock.refresh(session)
        ticket.resolution_due = self.clock.due_times(ticket.priority, ticket.tier, utcnow())[1]
        return ticket

    async def release_agent(self, agent_id: int, reason: str) -> None:
        """Put the conversations ``agent_id`` holds back in the queue and hand them out again.

        Used when an agent goes offline, is deactivated or removed: their customers must
        not wait on someone who is not coming. ``reason`` is the private note's wording.
        """
        batch = Batch()
        async with self.db.transaction() as session:
            await self.release_held(session, agent_id, reason, batch)
            await session.flush()
            if self.settings.assignment.auto_assign:
                await self.drain_queue(session, batch)
        await self.announce(batch)

    async def release_held(
        self, session: AsyncSession, agent_id: int, reason: str, batch: Batch
    ) -> None:
        """Inside a transaction: queue every conversation ``agent_id`` holds, with a note."""
        held = list(
            (
                await session.execute(
                    select(Conversation.id).where(
                        Conversation.owner == "agent", Conversation.assignee_id == agent_id
                    )
                )
            ).scalars()
        )
        for cid in held:
            conv = await lock_conversation(session, cid)
            if conv.owner != "agent" or conv.assignee_id != agent_id:
                continue
            conv.owner = "queued"
            conv.assignee_id = None
            ticket = await open_ticket(session, conv.id)
            if ticket is not None:
                ticket.assignee_id = None
                audit(session, ticket, "released", actor="agent", agent_id=agent_id)
            note = await add_reply(session, conv, sender="system", private=True, text=reason)
            batch.add(conv, note)

    async def assign_waiting(self) -> None:
        """Hand queued conversations to whoever is there now (an agent's console connected)."""
        if not self.settings.assignment.auto_assign:
            return
        batch = Batch()
        async with self.db.transaction() as session:
            await self.drain_queue(session, batch)
        await self.announce(batch)

    async def _auto_assign(
        self,
        session: AsyncSession,
        conv: Conversation,
        batch: Batch,
        online: list[Agent] | None = None,
        load: dict[int, int] | None = None,
    ) -> tuple[Message, ...]:
        """Give ``conv`` to the agent who fits best, if anyone does.

        ``online`` and ``load`` may come from the caller (draining the queue asks once for
        all); ``load`` is then kept up to date with this assignment.
        """
        ticket = await open_ticket(session, conv.id)
        skills = set(ticket.skills or []) if ticket else set()
        if online is None:
            online = await online_agents(session)
        if load is None:
            load = await loads(session)
        agent = choose(await teams.for_inbox(session, online, conv.inbox_id), load, skills)
        if agent is None:
            return ()
        msgs = await self._assign(session, conv, agent, by=None)
        load[agent.id] = load.get(agent.id, 0) + 1
        batch.add(conv, *msgs)
        return msgs

    async def drain_queue(self, session: AsyncSession, batch: Batch) -> None:
        """Assign queued conversations, oldest first, while someone fits."""
        online = await online_agents(session)
        load = await loads(session)
        queued = list(
            (
                await session.execute(
                    select(Conversation.id)
                    .where(Conversation.owner == "queued")
                    .order_by(Conversation.last_activity_at)
                    .limit(200)
                )
            ).scalars()
        )
        for cid in queued:
            if all(load.get(a.id, 0) >= a.max_concurrent for a in online):
                return  # nobody has room: the rest stay queued
            conv = await lock_conversation(session, cid)
            if conv.owner == "queued":
                await self._auto_assign(session, conv, batch, online, load)
            await session.flush()

    async def announce(self, batch: Batch) -> None:
        for conv, msgs in batch.touched.values():
            await self.changed(conv, tuple(msgs), None)

    async def changed(
        self, conv: Conversation, msgs: tuple[Message, ...], ticket: Ticket | None
    ) -> Changed:
        if any(not m.private for m in msgs):
            self.outbox.notify()
        seq = max((m.seq for m in msgs), default=conv.last_seq)
        await self.events.message(conv.id, seq)
        await self.events.conversation_updated(conv.id, conv.owner, seq)
        return Changed(conv, msgs, ticket)


async def _count_helpful(
    session: AsyncSession, entry_id: str, before: int | None, vote: int
) -> None:
    """Keep the KB entry's helpful/unhelpful counters in step with the customer's vote."""
    if before is not None:
        old = KbEntry.helpful if before else KbEntry.unhelpful
        await session.execute(update(KbEntry).where(KbEntry.id == entry_id).values({old: old - 1}))
    new = KbEntry.helpful if vote else KbEntry.unhelpful
    await session.execute(update(KbEntry).where(KbEntry.id == entry_id).values({new: new + 1}))
