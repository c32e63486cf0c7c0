"""The bot's side of grounded generation: word an answer with the model, within the channel's
deadline, or send the entry's own answer.

Only an *answer* decision reaches this (:func:`bot.handlers.make_kb` calls it there and
nowhere else): nothing retrieved, a clarification or a refusal never asks the model. The
model's time is the smaller of ``[generation] timeout_seconds`` and what the channel's reply
deadline leaves: a channel that answers inside the platform's own request (WeChat's passive
reply, ``ChannelCapabilities.passive_reply_seconds``) gets its reply before that deadline,
less ``RESERVE_SECONDS`` for storing it and writing the response, less the time since the
message reached kefu (``TurnInput.arrived``: storing it, the retrieval). A timeout, an HTTP
error, a malformed, empty or declined reply and a reply that does not keep to its entries
(``[generation] min_kept``) all give the entry's own answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot import followup
from bot.choices import Capabilities
from bot.ports import Compose
from bot.router import Context
from core.domain import BotReply
from kb.generation import GenerationFailed, Generator, sources
from kb.settings import GenerationSettings
from kb.types import SearchResult

log = logging.getLogger(__name__)

RESERVE_SECONDS = 1.0  # of a passive reply's deadline: commit the reply and answer the request
MIN_SECONDS = 0.3  # less time left than this: the entry's answer at once, no request

Outcome = Callable[[str], None]  # counts each outcome (metrics)


def _no_count(_outcome: str) -> None:
    return None


def budget(
    settings: GenerationSettings, capabilities: Capabilities | None, channel: str, started: float
) -> float:
    """Seconds the model may take on this turn: the timeout, bounded by the channel's
    passive-reply deadline less the reserve and the time since ``started`` (when the message
    reached kefu)."""
    seconds = settings.timeout_seconds
    caps = capabilities(channel) if capabilities is not None else None
    if caps is not None and caps.passive_reply_seconds is not None:
        left = caps.passive_reply_seconds - RESERVE_SECONDS - (time.monotonic() - started)
        seconds = min(seconds, left)
    return seconds


def make_compose(
    generator: Generator,
    settings: GenerationSettings,
    *,
    capabilities: Capabilities | None = None,
    floor: Callable[[], float] = lambda: 0.0,
    count: Outcome = _no_count,
) -> Compose:
    """The knowledge handler's composer: a generated reply naming its entry, or None."""

    async def compose(
        ctx: Context, result: SearchResult, question: str, started: float
    ) -> BotReply | None:
        entries = sources(result.hits, ctx.language, limit=settings.context_entries, floor=floor())
        if not entries:
            count("language")  # the answered entry is not in the customer's language
            return None
        since = ctx.turn.arrived if ctx.turn.arrived is not None else started
        seconds = budget(settings, capabilities, ctx.turn.channel, since)
        if seconds < MIN_SECONDS:
            count("no_time")
            return None
        # A message that leans on the conversation ("那运费谁出？" after a return answer, read
        # in context or not): the model is told what was asked before.
        leans = question != ctx.text or followup.elliptical(ctx.text)
        earlier = ctx.state.topic if leans else ""
        try:
            draft = await generator.draft(ctx.text, entries, ctx.language, seconds, earlier=earlier)
        except GenerationFailed as err:
            count(err.reason)
            log.warning(
                "generation for conversation %s fell back to entry %s: %s",
                ctx.turn.conversation_id,
                entries[0].entry_id,
                err,
            )
            return None
        if not draft.grounding.holds(settings.min_kept):
            count("off_source")
            log.warning(
                "generation for conversation %s fell back to entry %s: off source "
                "(%d of %d sentences kept)",
                ctx.turn.conversation_id,
                entries[0].entry_id,
                draft.grounding.kept,
                draft.grounding.counted,
            )
            return None
        count("generated")
        return BotReply(
            draft.text,
            entry_id=draft.entry_id,
            category=next((h.category for h in result.hits if h.entry_id == draft.entry_id), None),
            decision="answer",
            confidence=result.confidence,
            generated=True,
        )

    return compose
