"""An ordered handler router (after aiogram's): the first handler that answers wins.

A handler gets a typed :class:`Context` and returns a :class:`~core.domain.BotTurn`, or
``None`` for "not mine", which falls through to the next one. The last handlers are the
knowledge base and then escalation, so every turn gets an outcome.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.domain import BotState, BotTurn, TurnInput

Handler = Callable[["Context"], Awaitable[BotTurn | None]]


@dataclass(frozen=True)
class Context:
    """What a handler knows about the turn."""

    turn: TurnInput
    text: str  # stripped
    language: str  # the language to answer in
    state: BotState


class Router:
    """Handlers registered in order; :meth:`dispatch` runs them until one answers."""

    def __init__(self) -> None:
        self._handlers: list[tuple[str, Handler]] = []

    def add(self, name: str, handler: Handler) -> None:
        """Register ``handler`` after the ones already registered."""
        self._handlers.append((name, handler))

    def insert_before(self, before: str, name: str, handler: Handler) -> None:
        """Register ``handler`` just before the one named ``before`` (last if there is none)."""
        at = next((i for i, (n, _) in enumerate(self._handlers) if n == before), None)
        self._handlers.insert(len(self._handlers) if at is None else at, (name, handler))

    @property
    def names(self) -> list[str]:
        """Handler names in order."""
        return [name for name, _ in self._handlers]

    async def dispatch(self, ctx: Context) -> BotTurn:
        """The first handler's answer, tagged with the handler's name."""
        for name, handler in self._handlers:
            outcome = await handler(ctx)
            if outcome is not None:
                return BotTurn(
                    outcome.replies, outcome.state, outcome.language, outcome.escalate, handler=name
                )
        raise LookupError("no handler answered; the router must end with a catch-all")
