"""What the core asks of the packages it does not import: the bot (``Responder``) and the
handoff service (``Handoff``), both injected by ``core/app.py``; and ``Asked``, the message a
bot turn answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.domain import BotTurn, EscalationRequest, TurnInput
from core.models import Conversation, Message


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
