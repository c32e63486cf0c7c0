"""What the bot's handlers are given: the knowledge base (``Searcher``), when grounded
generation is on the reply composer (``Compose``), and the repair form's desk
(``FormBackend``, implemented by intake/repair_forms.py); all injected by ``core/app.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

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


@dataclass
class FormState:
    """The form in progress, as the backend keeps it."""

    type_key: str
    values: dict[str, str]
    asking: str


class FormBackend(Protocol):
    """What the form needs from the desk (intake/repair_forms.py)."""

    def now(self) -> datetime:
        """Now in the configured zone."""
        ...

    async def load(self, conversation_id: int) -> Any:
        """The form (type_key, values, asking) or None."""
        ...

    async def save(self, conversation_id: int, form: Any) -> None:
        """Keep the form."""
        ...

    async def clear(self, conversation_id: int) -> None:
        """Forget the form."""
        ...

    async def known(self, conversation_id: int, type_key: str) -> Any:
        """phone, products (OwnedProduct + id, install_address), fields, type_name."""
        ...

    async def add_product(self, conversation_id: int, model: str, category: str) -> int:
        """Record a product the customer names by model; its id."""
        ...

    async def clean(self, conversation_id: int, field: dict[str, Any], text: str) -> str:
        """The value as stored; ValueError with the reason."""
        ...

    def address_rest(self, text: str) -> str | None:
        """The street after an address's city and district; None when it is not one."""
        ...

    def address_problem(self, text: str) -> str:
        """Why ``text`` is not an address: "no_city", "no_street" or "not_address"."""
        ...

    async def open_ticket(
        self,
        conversation_id: int,
        type_key: str,
        values: dict[str, str],
        summary: str,
        language: str,
    ) -> tuple[int, str]:
        """Open the typed ticket; its number and the appointment when an engineer was sent
        ("" otherwise), in ``language``."""
        ...
