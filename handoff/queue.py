"""The queue inside a transaction: give a conversation to an agent, take it, release it.

Owner changes go through :func:`handoff.state.apply`; this module adds what goes with them:
the ticket's assignee, status and audit trail, the customer's notice and the team's notes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.conversations import add_reply, lock_conversation
from core.message_meta import MessageMeta
from core.models import Agent, Conversation, Message, Ticket, utcnow
from handoff import state, teams
from handoff.assignment import (
    choose,
    expected_wait_minutes,
    loads,
    online_agents,
    queue_position,
)
from handoff.notices import notice
from handoff.state import Batch, Event, Owner
from intake.lifecycle import audit, move
from intake.sla import SlaClock
from intake.tickets import latest_ticket, open_ticket


class Queue:
    """Assignment, takeover and release of conversations, in the caller's transaction."""

    def __init__(self, settings: Settings, clock: SlaClock) -> None:
        self.settings = settings
        self.clock = clock

    async def wait_notice(
        self, session: AsyncSession, conv: Conversation
    ) -> tuple[str, MessageMeta]:
        """The customer's expected wait (or that nobody is online) and its facts."""
        online = await online_agents(session)
        meta: MessageMeta = {"queue": {"online": len(online)}}
        if not online:
            return notice("nobody", conv.language), meta
        ahead = await queue_position(session, conv)
        minutes = expected_wait_minutes(
            ahead, len(online), self.settings.assignment.average_handle_minutes
        )
        wait = notice("queue", conv.language, ahead=ahead, minutes=minutes)
        return wait, {"queue": {"online": len(online), "ahead": ahead, "minutes": minutes}}

    async def take(
        self, session: AsyncSession, conv: Conversation, agent: Agent
    ) -> tuple[Message, ...]:
        """``agent`` takes ``conv`` over (409 if another agent holds it and they may not)."""
        if conv.owner == Owner.AGENT and conv.assignee_id == agent.id:
            return ()
        holder_id = conv.assignee_id if conv.owner == Owner.AGENT else None
        state.apply(conv, Event.TAKE, agent=agent)
        if holder_id is None:
            return await self._joined(session, conv, agent, by=agent)
        # A supervisor claims it (the holder may be gone): the team sees who took it.
        holder = await session.get(Agent, holder_id)
        name = holder.name if holder is not None else str(holder_id)
        note = await add_reply(
            session,
            conv,
            sender="system",
            private=True,
            text=f"{agent.name} 从 {name} 接管了会话 / {agent.name} took over from {name}",
        )
        return (note, *await self._joined(session, conv, agent, by=agent))

    async def _joined(
        self, session: AsyncSession, conv: Conversation, agent: Agent, by: Agent | None
    ) -> tuple[Message, ...]:
        """After the owner moved to ``agent``: the ticket follows, the customer is told."""
        agent.last_assigned_at = utcnow()
        ticket = await open_ticket(session, conv.id) or await self._reopen_last(session, conv, by)
        if ticket is not None:
            # Assigned first, then opened because of it: the trail (and the webhooks read
            # off it) say created -> assigned -> status changed, in the order it happened.
            ticket.assignee_id = agent.id
            audit(
                session,
                ticket,
                "takeover" if by else "assigned",
                actor="agent" if by else "system",
                agent_id=agent.id,
            )
            if ticket.status == "new":
                move(
                    session,
                    ticket,
                    "open",
                    clock=self.clock,
                    actor="agent" if by else "system",
                    agent_id=by.id if by else None,
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

    async def auto_assign(
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
        state.apply(conv, Event.ASSIGN, agent=agent)
        msgs = await self._joined(session, conv, agent, by=None)
        load[agent.id] = load.get(agent.id, 0) + 1
        batch.add(conv, *msgs)
        return msgs

    async def drain(self, session: AsyncSession, batch: Batch) -> None:
        """Assign queued conversations, oldest first, while someone fits."""
        online = await online_agents(session)
        load = await loads(session)
        queued = list(
            (
                await session.execute(
                    select(Conversation.id)
                    .where(Conversation.owner == Owner.QUEUED.value)
                    .order_by(Conversation.last_activity_at)
                    .limit(200)
                )
            ).scalars()
        )
        for cid in queued:
            if all(load.get(a.id, 0) >= a.max_concurrent for a in online):
                return  # nobody has room: the rest stay queued
            conv = await lock_conversation(session, cid)
            if conv.owner == Owner.QUEUED:
                await self.auto_assign(session, conv, batch, online, load)
            await session.flush()

    async def release_held(
        self, session: AsyncSession, agent_id: int, reason: str, batch: Batch
    ) -> None:
        """Queue every conversation ``agent_id`` holds, with a private note saying why."""
        held = list(
            (
                await session.execute(
                    select(Conversation.id).where(
                        Conversation.owner == Owner.AGENT.value,
                        Conversation.assignee_id == agent_id,
                    )
                )
            ).scalars()
        )
        for cid in held:
            conv = await lock_conversation(session, cid)
            if conv.owner != Owner.AGENT or conv.assignee_id != agent_id:
                continue
            state.apply(conv, Event.RELEASE)
            ticket = await open_ticket(session, conv.id)
            if ticket is not None:
                ticket.assignee_id = None
                audit(session, ticket, "released", actor="agent", agent_id=agent_id)
            note = await add_reply(session, conv, sender="system", private=True, text=reason)
            batch.add(conv, note)
