"""Store a message the bot cannot read (media, events) with an optional fixed answer.

The bot only reads text; for the rest (an image, a follow event...) we store the message
for agents and, when the bot holds the conversation, answer with a fixed text in the
same transaction. ``claim`` marks that answer sent at once, for a caller that puts it in
its own HTTP response (WeChat's passive reply).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from core.context import Services
from core.conversations import add_reply, record_inbound
from core.domain import InboundMessage
from core.outbox import claim_messages


@dataclass(frozen=True)
class Stored:
    """What storing did."""

    duplicate: bool
    conversation_id: int = 0
    owner: str = ""
    seq: int = 0
    reply_text: str | None = None


async def store_direct(
    services: Services, inbound: InboundMessage, reply_text: str | None, *, claim: bool
) -> Stored:
    """Record ``inbound`` once; add ``reply_text`` from the bot when the bot holds it."""
    try:
        async with services.db.transaction() as session:
            rec = await record_inbound(session, inbound)
            if rec.duplicate:
                return Stored(duplicate=True)
            conv = rec.conversation
            seq, sent = rec.message.seq, None
            if reply_text is not None and conv.owner in ("bot", "resolved"):
                if conv.owner == "resolved":
                    await services.pipeline.handoff.reopen(session, conv)
                reply = await add_reply(session, conv, sender="bot", text=reply_text)
                seq, sent = reply.seq, reply_text
                if claim:
                    await claim_messages(session, [reply.id])
            result = Stored(False, conv.id, conv.owner, seq, sent)
    except IntegrityError:
        return Stored(duplicate=True)  # a concurrent retry of the same message stored it first
    await services.events.message(result.conversation_id, result.seq)
    await services.events.conversation_updated(result.conversation_id, result.owner, result.seq)
    if sent is not None and not claim:
        services.outbox.notify()
    return result
