"""Teams: which conversations an agent may see and act on.

An agent belongs to at most one team; an inbox may be given to one team. A conversation is
visible to an agent when the agent is an admin or a supervisor, when it is assigned to them,
or when its inbox has no team or the agent's team. Everything an agent reaches by id (a
conversation, its ticket, its customer, its attachments) goes through :func:`ensure_visible`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select, true

from core.db import Database
from core.errors import Forbidden, NotFound
from core.models import Agent, Conversation, Inbox, Ticket

SEE_ALL = ("admin", "supervisor")
OTHER_TEAM = "这个会话属于其他团队，您无权查看。This conversation belongs to another team."


def visible(agent: Agent) -> ColumnElement[bool]:
    """A SQL condition on Conversation: the conversations ``agent`` may see."""
    if agent.role in SEE_ALL:
        return true()
    inboxes = select(Inbox.id).where(
        or_(Inbox.team_id.is_(None), Inbox.team_id == agent.team_id)
        if agent.team_id is not None
        else Inbox.team_id.is_(None)
    )
    return or_(Conversation.assignee_id == agent.id, Conversation.inbox_id.in_(inboxes))


async def ensure_visible(session: Any, agent: Agent, conv_id: int) -> Conversation:
    """The conversation; NotFound when it does not exist, Forbidden when it is another team's."""
    conv: Conversation | None = await session.get(Conversation, conv_id)
    if conv is None:
        raise NotFound(f"Conversation {conv_id} does not exist.")
    if agent.role in SEE_ALL:
        return conv
    seen = (
        await session.execute(
            select(Conversation.id).where(Conversation.id == conv_id, visible(agent))
        )
    ).scalar()
    if seen is None:
        raise Forbidden(OTHER_TEAM, code="other_team")
    return conv


async def ensure_ticket_visible(session: Any, agent: Agent, number: int) -> None:
    """Forbidden when ticket ``number`` belongs to a conversation of another team."""
    query = select(Ticket.conversation_id).where(Ticket.number == number)
    conv_id = (await session.execute(query)).scalar()
    if conv_id is not None:
        await ensure_visible(session, agent, conv_id)


async def check(db: Database, agent: Agent, conv_id: int) -> None:
    """:func:`ensure_visible` in a read transaction of its own (before an action)."""
    async with db.reader() as session:
        await ensure_visible(session, agent, conv_id)


async def check_ticket(db: Database, agent: Agent, number: int) -> None:
    """:func:`ensure_ticket_visible` in a read transaction of its own (before an action)."""
    async with db.reader() as session:
        await ensure_ticket_visible(session, agent, number)


async def for_inbox(session: Any, agents: list[Agent], inbox: int) -> list[Agent]:
    """Those of ``agents`` who may take a conversation of ``inbox`` (auto-assignment)."""
    team = (await session.execute(select(Inbox.team_id).where(Inbox.id == inbox))).scalar()
    if team is None:
        return agents
    return [a for a in agents if a.team_id == team or a.role in SEE_ALL]


class SocketFilter:
    """Decides which live console events one agent's socket may receive (team rules).

    Events carry only ids (a conversation, a ticket number), but those ids and owners are
    still another team's business. Admins and supervisors get everything; for others, the
    conversation's inbox decides (cached: a conversation never changes inbox), and a
    conversation outside their teams' inboxes only when it is assigned to them.
    """

    def __init__(self, db: Database, agent: Agent) -> None:
        self.db = db
        self.agent = agent
        self._inbox_of: dict[int, int] = {}
        self._inbox_ok: dict[int, bool] = {}
        self._conv_of_ticket: dict[int, int] = {}

    async def allows(self, event: dict[str, Any]) -> bool:
        """Whether ``event`` may be pushed to this agent's console."""
        if event.get("type") == "teams.changed":  # an inbox changed teams: ask again
            self._inbox_ok.clear()
            return True
        if self.agent.role in SEE_ALL:
            return True
        conv_id = event.get("conversation_id")
        number = event.get("ticket")
        if not isinstance(conv_id, int) and isinstance(number, int):
            conv_id = await self._ticket_conversation(number)
        if not isinstance(conv_id, int):
            return True  # not about one conversation
        return await self._visible(conv_id)

    async def _ticket_conversation(self, number: int) -> int | None:
        if number not in self._conv_of_ticket:
            async with self.db.reader() as session:
                query = select(Ticket.conversation_id).where(Ticket.number == number)
                found = (await session.execute(query)).scalar()
            if found is None:
                return None
            self._conv_of_ticket[number] = found
        return self._conv_of_ticket[number]

    async def _visible(self, conv_id: int) -> bool:
        inbox = self._inbox_of.get(conv_id)
        if inbox is not None and self._inbox_ok.get(inbox):
            return True  # the common case, answered from the cache without the database
        async with self.db.reader() as session:
            if inbox is None:
                query = select(Conversation.inbox_id).where(Conversation.id == conv_id)
                found = (await session.execute(query)).scalar()
                if found is None:
                    return False
                inbox = self._inbox_of[conv_id] = found
            if inbox not in self._inbox_ok:
                team = (
                    await session.execute(select(Inbox.team_id).where(Inbox.id == inbox))
                ).scalar()
                self._inbox_ok[inbox] = team is None or team == self.agent.team_id
            if self._inbox_ok[inbox]:
                return True
            assignee = select(Conversation.assignee_id).where(Conversation.id == conv_id)
            return (await session.execute(assignee)).scalar() == self.agent.id
