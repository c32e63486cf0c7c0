"""The bot's handlers, in the order the router tries them."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable

from bot import choices as offer
from bot import followup
from bot.language import has_content
from bot.ports import Compose, Searcher
from bot.router import Context, Handler
from bot.texts import say
from core.domain import BotReply, BotState, BotTurn, EscalationRequest

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


def _turn(
    ctx: Context,
    *replies: BotReply,
    state: BotState | None = None,
    escalate: EscalationRequest | None = None,
) -> BotTurn:
    # By default the memory stays (misses, the topic of follow-ups); offered choices do not.
    state = state if state is not None else dataclasses.replace(ctx.state, choices=())
    state = dataclasses.replace(state, language=ctx.language)
    return BotTurn(tuple(replies), state, ctx.language, escalate)


async def empty(ctx: Context) -> BotTurn | None:
    """Nothing to read (an emoji, whitespace, markup only): ask for words."""
    if has_content(ctx.text):
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
                category=hit.category,
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


def make_kb(
    kb: Searcher,
    *,
    max_misses: int,
    choices: int,
    clarify_floor: Callable[[], float] = lambda: 0.0,
    capabilities: offer.Capabilities | None = None,
    rewrite: Callable[[str], str] | None = None,
    compose: Compose | None = None,
) -> Handler:
    """Answer from the knowledge base (reading a follow-up in the conversation's context);
    offer the close choices when unsure, as the channel shows them; escalate after misses.
    ``compose`` (grounded generation, off by default) may word an answer; nothing else."""

    async def knowledge(ctx: Context) -> BotTurn | None:
        started = time.monotonic() if compose is not None else 0.0
        text = rewrite(ctx.text) if rewrite is not None else ctx.text  # the deployment's words
        result, question = await followup.search(
            kb, text, language=ctx.language, topic=ctx.state.topic, answered=ctx.state.answered
        )
        top = result.hits[0] if result.hits else None
        if result.decision == "answer" and top is not None:
            reply = await compose(ctx, result, question, started) if compose is not None else None
            if reply is None:
                reply = BotReply(
                    top.answer,
                    entry_id=top.entry_id,
                    category=top.category,
                    decision="answer",
                    confidence=result.confidence,
                )
            used = next((h for h in result.hits if h.entry_id == reply.entry_id), top)
            return _turn(
                ctx,
                reply,
                # An elliptical message is a poor topic for the next one: the entry's own
                # question says in full what was answered.
                state=BotState(
                    topic=(used.question if followup.elliptical(ctx.text) else question)[
                        : followup.MAX_TOPIC
                    ],
                    answered=used.entry_id,
                ),
            )
        if result.decision == "clarify" and len(result.hits) >= 1:
            caps = capabilities(ctx.turn.channel) if capabilities is not None else None
            made = offer.clarify(
                ctx, result, limit=choices, floor=clarify_floor(), capabilities=caps
            )
            if made is not None:
                reply, offered = made
                return _turn(
                    ctx,
                    reply,
                    state=dataclasses.replace(ctx.state, choices=offered, answered=""),
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
            state=dataclasses.replace(ctx.state, misses=misses, choices=(), answered=""),
        )

    return knowledge
