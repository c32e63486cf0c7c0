"""What the bot's handlers are given: the knowledge base (``Searcher``) and, when grounded
generation is on, the reply composer (``Compose``); both injected by ``core/app.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.router import Context
from core.domain import BotReply
from kb.types import Hit, SearchResult

# (ctx, result, question, turn start) -> a generated reply, or None for the entry's answer
Compose = Callable[[Context, SearchResult, str, float], Awaitable[BotReply | None]]


class Searcher(Protocol):
    """What the bot needs of the knowledge base."""

    async def search(
        self, text: str, *, language: str | None = None, k: int | None = None
    ) -> SearchResult:
        """Search the KB."""
        ...

    async def get(self, entry_id: str, *, language: str | None = None) -> Hit | None:
        """One entry (in ``language`` when the group has it)."""
        ...
