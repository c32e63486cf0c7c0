"""The bot's handlers, in the order the router tries them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from bot.router import Context, Handler
from bot.texts import say
from core.domain import BotReply, BotState, BotTurn, Choice, EscalationRequest
from kb.types import Hit, SearchResult

# Asking for a person, in the ways customers really write it.
HUMAN = re.compile(
    r"转人工|人工客服|人工服务|找人工|要人工|接人工|真人|找客服|联系客服|客服在吗|人工$|^人工"
    r"|\b(human|real person|live agent|an agent|agent please|talk to (a |an )?(person|someone|agent"
    r"|human)|speak (to|with) (a |an )?(person|someone|agent|human)|representative|operator)\b",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^(你好|您好|嗨|哈喽|在吗|在不在|早上好|下午好|晚上好|hi|hello|hey|good (morning|afternoon|"
    r"evening))[\s!！。.,，~～?？呀啊]*$",
    re.IGNORECASE,
)
THANKS = re.compile(
    r"^(谢谢|多谢|感谢|谢啦|好的谢谢|ok谢谢|thanks|thank you|thx|ty)[\s!！。.,，~～了你您啊呀]*"
    r"(so much|very much)?[\s!！。.]*$",
    re.IGNORECASE,
)
PICK = re.compile(r"^\s*(?:第\s*)?([1-9])\s*(?:个|条|号|\.|、)?\s*$")


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


def _turn(
    ctx: Context,
    *replies: BotReply,
    state: BotState | None = None,
    escalate: EscalationRequest | None = None,
) -> BotTurn:
    state = state if state is not None else BotState(misses=ctx.state.misses)
    state = BotState(misses=state.misses, choices=state.choices, language=ctx.language)
    return BotTurn(tuple(replies), state, ctx.language, escalate)


async def empty(ctx: Context) -> BotTurn | None:
    """Nothing to read (an emoji, whitespace): ask for words."""
    if any(ch.isalnum() for ch in ctx.text):
        return None
    return _turn(ctx, BotReply(say("empty", ctx.language)))


async def human_request(ctx: Context) -> BotTurn | None:
    """The customer asks for a person: escalate at once."""
    if not HUMAN.search(ctx.text):
        return None
    return _turn(
        ctx,
        state=BotState(),
        escalate=EscalationRequest("customer_request", say("escalate_request", ctx.language)),
    )


# What the urgency reader says of a text: the kinds that go to a person at once (hazard,
# complaint, angry) and the words that showed it. Injected (intake owns the rules).
UrgencyCheck = Callable[[str], tuple[frozenset[str], tuple[str, ...]]]
URGENT_ORDER = ("hazard", "complaint", "angry")


async def safety_advice(
    kb: Searcher, text: str, terms: tuple[str, ...], language: str, category: str
) -> BotReply:
    """The knowledge base's safety entry for a hazard (else general advice): what to do now."""
    for query in (text, " ".join(terms)):
        if not query.strip():
            continue
        result = await kb.search(query, language=language)
        hit = next((h for h in result.hits if h.category == category), None)
        if hit is not None:
            return BotReply(
                say("safety_advice", language).format(advice=hit.answer),
                entry_id=hit.entry_id,
                decision="answer",
            )
    return BotReply(say("safety_default", language))


def make_urgent(check: UrgencyCheck, kb: Searcher, *, safety_category: str) -> Handler:
    """A hazard, a complaint or clear anger goes to a person on the first message; a hazard
    gets the safety advice first."""

    async def urgent(ctx: Context) -> BotTurn | None:
        kinds, terms = check(ctx.text)
        kind = next((k for k in URGENT_ORDER if k in kinds), None)
        if kind is None:
            return None
        replies = []
        if kind == "hazard":
            replies.append(await safety_advice(kb, ctx.text, terms, ctx.language, safety_category))
        return _turn(
            ctx,
            *replies,
            state=BotState(),
            escalate=EscalationRequest(kind, say(f"escalate_{kind}", ctx.language)),
        )

    return urgent


async def greeting(ctx: Context) -> BotTurn | None:
    """Hello and thanks get a friendly answer (only when that is all the message says)."""
    if GREETING.match(ctx.text):
        return _turn(ctx, BotReply(say("greeting", ctx.language)))
    if THANKS.match(ctx.text):
        return _turn(ctx, BotReply(say("thanks", ctx.language)), state=BotState())
    return None


def make_pick(kb: Searcher) -> Handler:
    """A reply "2" (or "第2个") picks one of the choices the bot just offered."""

    async def pick(ctx: Context) -> BotTurn | None:
        if not ctx.state.choices:
            return None
        m = PICK.match(ctx.text)
        if m is None:
            return None
        n = int(m.group(1))
        chosen = next((c for c in ctx.state.choices if c.n == n), None)
        if chosen is None:
            return None
        hit = await kb.get(chosen.entry_id, language=ctx.language)
        if hit is None:
            return None
        return _turn(
            ctx, BotReply(hit.answer, entry_id=hit.entry_id, decision="answer"), state=BotState()
        )

    return pick


def make_kb(kb: Searcher, *, max_misses: int, choices: int) -> Handler:
    """Answer from the knowledge base; offer choices when unsure; escalate after misses."""

    async def knowledge(ctx: Context) -> BotTurn | None:
        result = await kb.search(ctx.text, language=ctx.language)
        top = result.hits[0] if result.hits else None
        if result.decision == "answer" and top is not None:
            return _turn(
                ctx,
                BotReply(
                    top.answer,
                    entry_id=top.entry_id,
                    decision="answer",
                    confidence=result.confidence,
                ),
                state=BotState(),
            )
        if result.decision == "clarify" and len(result.hits) >= 1:
            offered = tuple(
                Choice(i + 1, h.question, h.entry_id) for i, h in enumerate(result.hits[:choices])
            )
            lines = [say("clarify", ctx.language)]
            lines += [f"{c.n}. {c.label}" for c in offered]
            lines.append(say("clarify_footer", ctx.language))
            return _turn(
                ctx,
                BotReply(
                    "\n".join(lines),
                    choices=offered,
                    decision="clarify",
                    confidence=result.confidence,
                ),
                state=BotState(misses=ctx.state.misses, choices=offered),
            )
        misses = ctx.state.misses + 1
        if misses >= max_misses:
            return _turn(
                ctx,
                state=BotState(),
                escalate=EscalationRequest(
                    "repeated_failure",
                    say("escalate_failure", ctx.language),
                    category=top.category if top else None,
                ),
            )
        return _turn(
            ctx,
            BotReply(say("miss", ctx.language), decision="escalate", confidence=result.confidence),
            state=BotState(misses=misses),
        )

    return knowledge
