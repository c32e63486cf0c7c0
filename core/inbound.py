"""The one inbound path: every channel's customer message is recorded and routed here.

A channel parses its wire format into an :class:`core.domain.InboundMessage` with hints and
calls ``TurnPipeline.handle_inbound`` (see ``channels/base.py``); that runs :func:`admit`
in one transaction and, after commit, wakes listeners and starts the bot's turn. The rules,
the same whatever the channel:

- A platform's resend (same inbox and source id) is a duplicate: nothing else happens.
- The message lands in the conversation the channel names (web chat), the one its thread
  hint matches (email), or the customer's latest (a new one when there is none).
- A message that may not be answered (``no_reply``: an auto-reply, a bounce, a list, a
  rate-limited sender, a platform event) is stored and shown to agents, and that is all:
  it reopens nothing, gets no fixed reply and no bot turn, and recovery never reruns it.
- Otherwise the owner decides. ``resolved``: a survey answer is recorded, anything else
  hands the conversation back to the bot. ``agent`` / ``queued``: a person answers; a
  pending ticket is open again. ``bot``: a fixed reply (content the bot cannot read)
  answers at once, in the same transaction; anything else gets a bot turn after commit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.conversations import Recorded, add_reply, record_inbound
from core.domain import InboundMessage, StoredMessage
from core.models import Conversation, Message
from core.outbox_rows import claim_messages

NEEDS_PERSON = ("agent", "queued")


class OwnerRules(Protocol):
    """The owner changes a customer message causes (implemented by ``handoff/``)."""

    async def reopen(self, session: AsyncSession, conv: Conversation) -> None:
        """A customer wrote in a resolved conversation: a survey answer, or back to the bot."""
        ...

    async def customer_wrote(self, session: AsyncSession, conv: Conversation) -> None:
        """A customer message while a person handles the conversation (reopens a pending ticket)."""
        ...


@dataclass(frozen=True)
class Admitted:
    """What admitting one inbound message did, inside its transaction."""

    recorded: Recorded
    owner: str  # the conversation's owner after the rules ran
    bot_turn: bool  # the bot must answer this message after commit
    fixed_reply: Message | None = None  # stored in the same transaction
    fixed_reply_claimed: bool = False  # ... and taken by the channel for its own response


async def admit(
    session: AsyncSession, inbound: InboundMessage, rules: OwnerRules, *, optimistic: bool
) -> Admitted:
    """Record ``inbound`` once and apply the owner rules (see the module docstring)."""
    rec = await record_inbound(session, inbound, optimistic=optimistic)
    conv = rec.conversation
    if rec.duplicate:
        return Admitted(rec, conv.owner, bot_turn=False)
    if not inbound.answerable:
        return Admitted(rec, conv.owner, bot_turn=False)
    if conv.owner == "resolved":
        await rules.reopen(session, conv)
    elif conv.owner in NEEDS_PERSON:
        await rules.customer_wrote(session, conv)
    if conv.owner != "bot":
        return Admitted(rec, conv.owner, bot_turn=False)
    if inbound.fixed_reply is None:
        return Admitted(rec, conv.owner, bot_turn=True)
    reply = await add_reply(session, conv, sender="bot", text=inbound.fixed_reply)
    await mark_answered(session, conv.id, rec.message.seq)
    claimed = bool(inbound.reply_inline and await claim_messages(session, [reply.id]))
    return Admitted(rec, conv.owner, False, reply, claimed)


async def mark_answered(session: AsyncSession, conversation_id: int, seq: int) -> bool:
    """Mark customer message ``seq`` answered; False if it already was, or may not be.

    One conditional UPDATE: under the conversation's row lock (taken before by the caller's
    write to the conversation) two turns for the same message cannot both see True.
    """
    result = await session.execute(
        update(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.seq == seq,
            Message.answered.is_(False),
            Message.no_reply.is_(None),
        )
        .values(answered=True)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class InboundResult:
    """What happened to an inbound message."""

    conversation_id: int
    message_id: int
    seq: int
    duplicate: bool
    owner: str  # after the owner rules
    turn: asyncio.Task[None] | None = None  # the bot's turn, when it answers
    message: StoredMessage | None = None  # the stored message (the earlier one, a duplicate)
    no_reply: str | None = None  # why nobody answers it (core.domain.NoReply)
    thread_rule: str | None = None  # how a thread hint matched
    inline_reply: str | None = None  # a fixed reply the channel delivers in its response
