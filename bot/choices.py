"""Offering choices when the knowledge base is unsure, and reading the customer's pick.

Which entries are offered is the knowledge base's rule (:func:`kb.choices.close_hits`: only
entries close to the best one); how many, and how, is the channel's: at most its
``max_choices``, as buttons where it has them (``choice_buttons``, the web chat) and as a
numbered list in the text where it does not (WeChat, email), never both. A pick is a reply
of the number ("2", "第2个") or of the choice's own label (what a button sends), and the
answer to a number names the question picked, so the transcript says which entry the
customer chose and not only "2".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.router import Context, Handler
from bot.texts import say
from core.domain import BotReply, BotState, BotTurn, ChannelCapabilities, Choice
from kb.choices import close_hits, labels
from kb.types import SearchResult

if TYPE_CHECKING:
    from bot.ports import Searcher

PICK = re.compile(r"^\s*(?:第\s*)?([1-9])\s*(?:个|条|号|项|\.|、|\)|）)?\s*$")

# Category names of the shipped demo knowledge base; other categories are shown as written.
CATEGORY_NAMES = {
    "zh": {
        "returns": "退货",
        "refunds": "退款",
        "warranty": "保修",
        "repair": "维修",
        "installation": "安装",
        "delivery": "配送",
        "invoice": "发票",
        "parts": "配件",
        "account": "账号",
        "order": "订单",
        "safety": "安全",
    },
    "en": {
        "returns": "Returns",
        "refunds": "Refunds",
        "warranty": "Warranty",
        "repair": "Repair",
        "installation": "Installation",
        "delivery": "Delivery",
        "invoice": "Invoices",
        "parts": "Parts",
        "account": "Account",
        "order": "Orders",
        "safety": "Safety",
    },
}

Capabilities = Callable[[str], ChannelCapabilities | None]


def clarify(
    ctx: Context,
    result: SearchResult,
    *,
    limit: int,
    floor: float,
    capabilities: ChannelCapabilities | None,
) -> tuple[BotReply, tuple[Choice, ...]] | None:
    """The clarifying reply for ``result`` on the turn's channel, and the choices it offers."""
    caps = capabilities or ChannelCapabilities()
    hits = close_hits(result.hits, max(1, min(limit, caps.max_choices)), floor)
    if not hits:
        return None
    names = CATEGORY_NAMES.get(ctx.language, {})
    offered = tuple(
        Choice(i + 1, label, h.entry_id)
        for i, (h, label) in enumerate(zip(hits, labels(hits, names), strict=True))
    )
    if caps.choice_buttons:
        text = say("clarify_buttons", ctx.language)
    else:
        lines = [say("clarify", ctx.language)]
        lines += [f"{c.n}. {c.label}" for c in offered]
        lines.append(say("clarify_footer", ctx.language))
        text = "\n".join(lines)
    reply = BotReply(text, choices=offered, decision="clarify", confidence=result.confidence)
    return reply, offered


def for_channel(turn: BotTurn, capabilities: ChannelCapabilities | None) -> BotTurn:
    """The turn as the channel shows it: where choices are buttons, a reply's text does not
    list them too (a handler that wrote "1. ..." lines for its choices has them dropped)."""
    if capabilities is None or not capabilities.choice_buttons:
        return turn
    if not any(r.choices for r in turn.replies):
        return turn
    replies = []
    for r in turn.replies:
        listed = {f"{c.n}. {c.label}" for c in r.choices}
        if listed:
            kept = [line for line in r.text.split("\n") if line.strip() not in listed]
            r = dataclasses.replace(r, text="\n".join(kept))
        replies.append(r)
    return dataclasses.replace(turn, replies=tuple(replies))


def picked(text: str, choices: tuple[Choice, ...]) -> Choice | None:
    """The offered choice a reply names, by number or by its label (a tapped button)."""
    m = PICK.match(text)
    if m is not None:
        n = int(m.group(1))
        return next((c for c in choices if c.n == n), None)
    said = _plain(text)
    return next((c for c in choices if _plain(c.label) == said), None)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip("?？").casefold()


def make_pick(kb: Searcher) -> Handler:
    """A reply that picks one of the choices the bot just offered answers that entry."""

    async def pick(ctx: Context) -> BotTurn | None:
        if not ctx.state.choices:
            return None
        chosen = picked(ctx.text, ctx.state.choices)
        if chosen is None:
            return None
        hit = await kb.get(chosen.entry_id, language=ctx.language)
        if hit is None:
            return None
        text = hit.answer
        if PICK.match(ctx.text):  # "2": say what 2 was, for the customer and the transcript
            text = say("picked", ctx.language).format(question=hit.question, answer=hit.answer)
        state = BotState(language=ctx.language, topic=hit.question, answered=hit.entry_id)
        reply = BotReply(text, entry_id=hit.entry_id, category=hit.category, decision="answer")
        return BotTurn((reply,), state, ctx.language)

    return pick
