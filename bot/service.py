"""The bot: builds the router and answers turns (the core's ``Responder``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import choices, handlers
from bot.feedback import Votes, make_feedback
from bot.handlers import UrgencyCheck
from bot.language import detect
from bot.ports import Searcher
from bot.router import Context, Handler, Router
from bot.settings import BotSettings
from bot.synonyms import Synonyms
from bot.ticket_status import TicketLookup, make_ticket_status
from core.domain import BotTurn, TurnInput
from kb.settings import KbSettings

if TYPE_CHECKING:
    from bot.ports import Compose


def build_router(
    kb: Searcher,
    bot: BotSettings,
    kb_settings: KbSettings,
    urgent: UrgencyCheck | None = None,
    safety_category: str = "safety",
    tickets: TicketLookup | None = None,
    orders: Handler | None = None,
    capabilities: choices.Capabilities | None = None,
    votes: Votes | None = None,
    synonyms: Synonyms | None = None,
    compose: Compose | None = None,
) -> Router:
    """The handlers in order: first match wins, the knowledge base is the catch-all."""
    router = Router()
    router.add("empty", handlers.empty)
    if urgent is not None:  # before anything else that could answer: a person must see it
        router.add("urgent", handlers.make_urgent(urgent, kb, safety_category=safety_category))
    if tickets is not None:  # "我的工单", "#1001": the customer's own tickets
        router.add("ticket_status", make_ticket_status(tickets))
    router.add("pick", choices.make_pick(kb))
    router.add("human", handlers.human_request)
    router.add("feedback", make_feedback(votes, max_misses=bot.max_misses))
    router.add("greeting", handlers.greeting)
    if orders is not None:
        router.add("orders", orders)
    router.add(
        "kb",
        handlers.make_kb(
            kb,
            max_misses=bot.max_misses,
            choices=kb_settings.clarify_choices,
            clarify_floor=lambda: _clarify_threshold(kb),
            capabilities=capabilities,
            rewrite=synonyms.apply if synonyms else None,
            compose=compose,
        ),
    )
    return router


def _clarify_threshold(kb: Searcher) -> float:
    """The knowledge base's clarify threshold in force (0 when it does not say)."""
    thresholds = getattr(kb, "thresholds", None)
    return float(getattr(thresholds, "clarify", 0.0) or 0.0)


class Bot:
    """Answers a customer's turn in their language."""

    def __init__(
        self,
        kb: Searcher,
        bot: BotSettings,
        kb_settings: KbSettings,
        urgent: UrgencyCheck | None = None,
        safety_category: str = "safety",
        tickets: TicketLookup | None = None,
        orders: Handler | None = None,
        capabilities: choices.Capabilities | None = None,
        votes: Votes | None = None,
        synonyms: Synonyms | None = None,
        compose: Compose | None = None,
    ) -> None:
        self.router = build_router(
            kb,
            bot,
            kb_settings,
            urgent,
            safety_category,
            tickets,
            orders=orders,
            capabilities=capabilities,
            votes=votes,
            synonyms=synonyms,
            compose=compose,
        )
        self.capabilities = capabilities

    async def respond(self, turn: TurnInput) -> BotTurn:
        """Run the router on ``turn``."""
        text = turn.text.strip()
        language = detect(text, turn.state.language or turn.default_language)
        out = await self.router.dispatch(Context(turn, text, language, turn.state))
        caps = self.capabilities(turn.channel) if self.capabilities is not None else None
        return choices.for_channel(out, caps)
