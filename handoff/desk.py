"""Desk actions on tickets and agents: status moves, fields, merge, transfer, agent status.

They change owners through :func:`handoff.state.apply`, as :mod:`handoff.service` does (one
transaction with the messages and the audit trail, then wake-ups), on behalf of the console.
"""

from __future__ import annotations

from core.conversations import add_reply, lock_conversation
from core.errors import BadRequest, NotFound
from core.models import Agent, Ticket, utcnow
from handoff import state, teams
from handoff.assignment import AGENT_STATUSES
from handoff.notices import notice
from handoff.service import HandoffService
from handoff.state import Batch, Changed, Event
from intake.lifecycle import OPEN_STATUSES, audit, move
from intake.priority import PRIORITIES
from intake.ticket_types import require_fields
from intake.tickets import open_ticket, ticket_by_number


class DeskActions:
    """Ticket and agent actions for the console API."""

    def __init__(self, handoff: HandoffService) -> None:
        self.h = handoff

    async def set_ticket_status(self, agent: Agent, number: int, status: str) -> Ticket:
        """Move a ticket (pending, open...); 409 with the reason when the move is illegal."""
        if status == "resolved":
            async with self.h.db.reader() as session:
                ticket = await ticket_by_number(session, number)
            if ticket.status in OPEN_STATUSES:
                await self.h.resolve(agent, ticket.conversation_id)
                async with self.h.db.reader() as session:
                    return await ticket_by_number(session, number)
        async with self.h.db.transaction() as session:
            ticket = await ticket_by_number(session, number)
            conv = await lock_conversation(session, ticket.conversation_id)
            state.check_holder(conv, agent)
            await require_fields(session, ticket, status)  # a type's required fields (issue 17)
            move(session, ticket, status, clock=self.h.clock, actor="agent", agent_id=agent.id)
        await self.h.events.conversation_updated(conv.id, conv.owner, conv.last_seq)
        return ticket

    async def update_ticket(
        self, agent: Agent, number: int, *, priority: str | None, category: str | None
    ) -> Ticket:
        """Change a ticket's priority or category (recorded on the audit trail)."""
        async with self.h.db.transaction() as session:
            ticket = await ticket_by_number(session, number)
            if priority is not None and priority != ticket.priority:
                if priority not in PRIORITIES:
                    raise BadRequest(
                        "priority must be normal, high or urgent.", code="bad_priority"
                    )
                audit(
                    session,
                    ticket,
                    "priority",
                    actor="agent",
                    agent_id=agent.id,
                    old=ticket.priority,
                    new=priority,
                )
                ticket.priority = priority
                await self.h.clock.refresh(session)
                first, res = self.h.clock.due_times(priority, ticket.tier, ticket.created_at)
                ticket.first_response_due, ticket.resolution_due = first, res
            if category is not None and category != ticket.category:
                audit(
                    session,
                    ticket,
                    "category",
                    actor="agent",
                    agent_id=agent.id,
                    old=ticket.category,
                    new=category,
                )
                ticket.category = category or None
        await self.h.events.conversation_updated(ticket.conversation_id, "", 0)
        return ticket

    async def merge(self, agent: Agent, source: int, target: int) -> Ticket:
        """Merge ticket ``source`` into ``target`` (duplicates of one case)."""
        async with self.h.db.transaction() as session:
            src = await ticket_by_number(session, source)
            dst = await ticket_by_number(session, target)
            # The route checked the source; the target gets its transcript, so it must be ours too.
            await teams.ensure_visible(session, agent, dst.conversation_id)
            await self.h.desk.merge(session, src, dst, agent.id)
        return dst

    async def transfer(
        self, agent: Agent, conversation_id: int, to_agent_id: int, note: str = ""
    ) -> Changed:
        """Pass the conversation to another agent with a private note (supervisors: reassign)."""
        async with self.h.db.transaction() as session:
            conv = await lock_conversation(session, conversation_id)
            target = await session.get(Agent, to_agent_id)
            if target is None or not target.active:
                raise NotFound(f"Agent {to_agent_id} does not exist.", code="no_agent")
            state.apply(conv, Event.TRANSFER, agent=agent, target=target)
            target.last_assigned_at = utcnow()
            msgs = []
            text = f"转接给 {target.name} / Transferred to {target.name} — {agent.name}"
            if note.strip():
                text += f": {note.strip()[:1000]}"
            msgs.append(await add_reply(session, conv, sender="system", text=text, private=True))
            msgs.append(
                await add_reply(
                    session,
                    conv,
                    sender="system",
                    text=notice("transferred", conv.language, name=target.name),
                )
            )
            ticket = await open_ticket(session, conv.id)
            if ticket is not None:
                ticket.assignee_id = target.id
                audit(  # assigned, then opened because of it (as in queue.take)
                    session,
                    ticket,
                    "transferred",
                    actor="agent",
                    agent_id=agent.id,
                    to=target.id,
                    note=note.strip()[:1000],
                )
                if ticket.status == "new":
                    move(
                        session,
                        ticket,
                        "open",
                        clock=self.h.clock,
                        actor="agent",
                        agent_id=agent.id,
                    )
        return await self.h.changed(conv, tuple(msgs), ticket)

    async def set_status(self, agent_id: int, status: str) -> Agent:
        """Online takes queued work; offline releases the agent's conversations to the queue."""
        if status not in AGENT_STATUSES:
            raise BadRequest(
                f"status must be one of {', '.join(AGENT_STATUSES)}.", code="bad_status"
            )
        batch = Batch()
        async with self.h.db.transaction() as session:
            agent = await session.get(Agent, agent_id)
            if agent is None:
                raise NotFound(f"Agent {agent_id} does not exist.", code="no_agent")
            agent.status = status
            if status == "offline":
                await self.h.queue.release_held(
                    session,
                    agent.id,
                    f"{agent.name} 已离线，会话回到队列 / went offline; back in the queue",
                    batch,
                )
            await session.flush()
            if self.h.settings.assignment.auto_assign:
                await self.h.queue.drain(session, batch)
        await self.h.announce(batch)
        await self.h.events.hub.publish(
            "agents", {"type": "agent.status", "agent_id": agent_id, "status": status}
        )
        return agent
