"""The bot answers "我的工单 #1001 处理到哪一步了？" / "where is my repair?" from the
customer's own tickets: status, what we wait for, who handles it, when it is due, the last
reply. A number that is not among the customer's tickets gets the same answer as a number
that does not exist. Several open tickets: the customer picks one by its number in a list.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from bot.router import Context, Handler
from bot.texts import say
from core.domain import BotReply, BotState, BotTurn, Choice, TicketView

# Asking about a ticket or a repair under way (not "how do I book a repair").
ASKS = re.compile(
    r"工单|维修进度|处理进度|工单进度|处理进展|维修进展|处理到哪|修到哪|到哪一步|什么状态|处理得怎么样"
    r"|处理结果|报修.{0,6}(?:怎么样|进度|到哪|结果)|师傅.{0,4}(?:什么时候|几点).{0,2}(?:来|到|上门)"
    r"|\b(?:my|the) (?:ticket|case|repair|claim)s?\b|\bticket\b|\bcase (?:number|no)\b"
    r"|where(?:'s| is) my (?:repair|technician|engineer|ticket|case)|repair status|status of my"
    r"|update on my|any (?:update|news) on",
    re.IGNORECASE,
)
NUMBER = re.compile(
    r"#\s*(\d{3,9})\b|工单\s*(?:号|编号)?\s*[:：]?\s*(\d{3,9})"
    r"|\b(?:ticket|case)\s*(?:no\.?|number)?\s*[:：#]?\s*(\d{3,9})\b",
    re.IGNORECASE,
)
# Every match of ASKS contains one of these words, every match of NUMBER one of NUMBER_KEYS:
# plain substring tests rule out an ordinary question before either regex runs (the bot
# tries this handler on every message).
ASK_KEYS = (
    "工单", "进度", "进展", "到哪", "状态", "怎么样", "结果", "师傅", "ticket", "case",
    "repair", "claim", "technician", "engineer", "status", "update", "news",
)  # fmt: skip
NUMBER_KEYS = ("#", "工单", "ticket", "case")


def _has_any(text: str, keys: tuple[str, ...]) -> bool:
    return any(k in text for k in keys)


PICK = re.compile(r"^\s*(?:第\s*)?([1-9])\s*(?:个|条|号|\.|、)?\s*$")
OPEN = ("new", "open", "pending")
PREFIX = "ticket:"


class TicketLookup(Protocol):
    """Where the bot reads the tickets of the customer behind a conversation."""

    async def tickets_for(self, conversation_id: int) -> list[TicketView]:
        """The customer's own tickets, newest first."""
        ...


def _when(moment: datetime, language: str) -> str:
    if language == "en":
        return moment.strftime("%b %d, %H:%M").replace(" 0", " ")
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def describe(view: TicketView, language: str) -> str:
    """What the customer is told about one ticket, in their language."""
    lines = [say("status_title", language).format(number=view.number, subject=view.subject)]
    state = say(f"status_{view.status}", language)
    lines.append(say("status_state", language).format(state=state))
    if view.need:
        lines.append(say("status_need", language).format(need=view.need))
    assignee = view.assignee or say("status_unassigned", language)
    lines.append(say("status_assignee", language).format(name=assignee))
    if view.due is not None:
        lines.append(say("status_due", language).format(due=_when(view.due, language)))
    if view.update:
        lines.append(
            say("status_update", language).format(
                when=_when(view.updated_at, language), text=view.update
            )
        )
    return "\n".join(lines)


def _answer(ctx: Context, view: TicketView) -> BotTurn:
    return BotTurn(
        (BotReply(describe(view, ctx.language)),),
        BotState(misses=0, language=ctx.language),
        ctx.language,
    )


def _wanted_number(text: str) -> int | None:
    m = NUMBER.search(text)
    if m is None:
        return None
    return int(next(g for g in m.groups() if g))


def make_ticket_status(lookup: TicketLookup) -> Handler:
    """Answer questions about the customer's tickets; not a ticket question: not mine."""

    async def ticket_status(ctx: Context) -> BotTurn | None:
        offered = [c for c in ctx.state.choices if c.entry_id.startswith(PREFIX)]
        pick = PICK.match(ctx.text) if offered else None
        low = ctx.text.lower()
        number = _wanted_number(ctx.text) if _has_any(low, NUMBER_KEYS) else None
        if pick is not None:
            chosen = next((c for c in offered if c.n == int(pick.group(1))), None)
            number = int(chosen.entry_id[len(PREFIX) :]) if chosen is not None else None
        elif number is None and not (_has_any(low, ASK_KEYS) and ASKS.search(ctx.text)):
            return None
        views = await lookup.tickets_for(ctx.turn.conversation_id)
        if number is not None:
            view = next((v for v in views if v.number == number), None)
            if view is None:  # not this customer's, or no such ticket: the same words
                text = say("status_unknown", ctx.language).format(number=number)
                return BotTurn((BotReply(text),), BotState(language=ctx.language), ctx.language)
            return _answer(ctx, view)
        if not views:
            return None  # no ticket: the knowledge base explains how to follow a repair
        open_views = [v for v in views if v.status in OPEN]
        if len(open_views) == 1 or not open_views:
            return _answer(ctx, (open_views or views)[0])
        choices = tuple(
            Choice(
                i + 1,
                say("status_choice", ctx.language).format(
                    number=v.number,
                    subject=v.subject,
                    state=say(f"status_{v.status}", ctx.language),
                ),
                f"{PREFIX}{v.number}",
            )
            for i, v in enumerate(open_views[:5])
        )
        lines = [say("status_pick", ctx.language).format(count=len(open_views))]
        lines += [f"{c.n}. {c.label}" for c in choices]
        return BotTurn(
            (BotReply("\n".join(lines), choices=choices),),
            BotState(choices=choices, language=ctx.language),
            ctx.language,
        )

    return ticket_status
