"""Empty conversations of what the customer said and sent, keeping the rows and the facts
reports count: message texts, attachments and headers, the bot's memory, outbox rows, ticket
subjects, transcripts and the words in their events, work-order values and visit addresses,
survey comments, the console's search index, and KB drafts made from the conversations.

Used for one contact's erasure (:mod:`privacy.erase`) and by the retention run
(:mod:`privacy.retention`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Conversation, Message, OutboxItem, Ticket
from handoff.tables import LearningMark
from intake.tables import BotForm, Feedback, TicketEvent, TicketFieldValue, Visit
from kb import entries as kb_entries
from kb.tables import KbEntry
from privacy.collect import file_keys

# Ticket-event detail keys whose values are states, never customer text (reports read them).
_STATE_KEYS = frozenset({"from", "to"})
_STATE_ACTIONS = frozenset({"status", "priority", "assign", "sla", "merge"})


def _source_stub(message_id: int) -> str:
    return f"erased:{message_id}"


def _event_detail(action: str, detail: dict[str, Any] | None) -> dict[str, Any]:
    """A ticket event's detail without customer text: states and numbers only."""
    out: dict[str, Any] = {}
    for key, value in (detail or {}).items():
        if isinstance(value, bool | int | float) or value is None:
            out[key] = value
        elif action in _STATE_ACTIONS and key in _STATE_KEYS and isinstance(value, str):
            out[key] = value
    return out


@dataclass
class Redacted:
    """What redacting some conversations did: counts, the files and texts they held."""

    counts: dict[str, int] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    kb_kept: list[str] = field(default_factory=list)


async def redact_conversations(session: AsyncSession, conv_ids: list[int]) -> Redacted:
    """Empty these conversations of customer content; keep the rows and report facts."""
    out = Redacted()
    counts, keys, texts = out.counts, out.keys, out.texts
    await session.execute(
        update(Conversation).where(Conversation.id.in_(conv_ids)).values(bot_state={})
    )
    msgs = (
        await session.execute(
            select(
                Message.id, Message.text, Message.attachments, Message.meta, Message.source_id
            ).where(Message.conversation_id.in_(conv_ids))
        )
    ).all()
    redacted = 0
    for mid, text, attachments, meta, source_id in msgs:
        keys.update(file_keys(attachments, meta))
        if text:
            texts.append(text)
        if text or attachments or (source_id and source_id != _source_stub(mid)):
            redacted += 1
        await session.execute(
            update(Message)
            .where(Message.id == mid)
            .values(
                text="",
                attachments=[],
                meta={"erased": True},
                source_id=_source_stub(mid) if source_id else None,
                external_id=None,
                delivery_error=None,
            )
        )
    counts["messages"] = redacted
    counts["search_index"] = await _forget_indexed(session, [m[0] for m in msgs])
    result = await session.execute(
        delete(OutboxItem).where(OutboxItem.conversation_id.in_(conv_ids))
    )
    counts["outbox"] = int(getattr(result, "rowcount", 0) or 0)
    tickets = list(
        (
            await session.execute(select(Ticket).where(Ticket.conversation_id.in_(conv_ids)))
        ).scalars()
    )
    for t in tickets:
        t.subject, t.transcript = "", ""
    counts["tickets"] = len(tickets)
    await _erase_work_orders(session, conv_ids, [t.id for t in tickets])
    if tickets:
        events = (
            await session.execute(
                select(TicketEvent).where(TicketEvent.ticket_id.in_([t.id for t in tickets]))
            )
        ).scalars()
        for e in events:
            e.detail = _event_detail(e.action, e.detail)
    result = await session.execute(
        update(Feedback).where(Feedback.conversation_id.in_(conv_ids)).values(comment="")
    )
    counts["survey_answers"] = int(getattr(result, "rowcount", 0) or 0)
    drafts, out.kb_kept = await _kb_from_conversations(session, conv_ids)
    counts["kb_drafts"] = drafts
    return out


async def _erase_work_orders(
    session: AsyncSession, conv_ids: list[int], ticket_ids: list[int]
) -> None:
    """Work orders (issue 17): the fields' values (address, phone...), a form the bot was
    filling, the visits' addresses and parts are the customer's data too."""
    await session.execute(delete(BotForm).where(BotForm.conversation_id.in_(conv_ids)))
    if ticket_ids:
        await session.execute(
            delete(TicketFieldValue).where(TicketFieldValue.ticket_id.in_(ticket_ids))
        )
        await session.execute(
            update(Visit).where(Visit.ticket_id.in_(ticket_ids)).values(address="", reason="")
        )


async def _forget_indexed(session: AsyncSession, message_ids: list[int]) -> int:
    """Drop these messages from the console's search index (``message_search``, filled by
    ``handoff/search_index.py``): its terms are pieces of the texts (a phone number whole).

    The indexer may index the redacted rows again, with no terms. On SQLite the FTS5 index
    is merged afterwards (``optimize``), so no segment keeps the deleted terms; PostgreSQL's
    old row versions go with the ``VACUUM FULL`` of ``privacy/scrub.py``.
    """
    if not message_ids:
        return 0
    sqlite = session.bind is not None and session.bind.dialect.name == "sqlite"
    key = "rowid" if sqlite else "message_id"
    gone = 0
    for i in range(0, len(message_ids), 500):
        chunk = message_ids[i : i + 500]
        marks = ", ".join(f":m{j}" for j in range(len(chunk)))
        result = await session.execute(
            sql(f"DELETE FROM message_search WHERE {key} IN ({marks})"),
            {f"m{j}": mid for j, mid in enumerate(chunk)},
        )
        gone += int(getattr(result, "rowcount", 0) or 0)
    if sqlite and gone:
        await session.execute(sql("INSERT INTO message_search(message_search) VALUES ('optimize')"))
    return gone


async def _kb_from_conversations(
    session: AsyncSession, conv_ids: list[int]
) -> tuple[int, list[str]]:
    """Delete KB drafts made from these conversations; published ones are named, not touched,
    and so are the entries that took one of their questions as a similar question (the
    console's learning page)."""
    prefixes = [f"conv-{c}-%" for c in conv_ids]
    rows = (
        await session.execute(
            select(KbEntry.id, KbEntry.status).where(or_(*(KbEntry.id.like(p) for p in prefixes)))
        )
    ).all()
    drafts = [r.id for r in rows if r.status == "draft"]
    if drafts:
        await kb_entries.remove(session, drafts)
    learned = (
        await session.execute(
            select(LearningMark.entry_id)
            .join(Message, Message.id == LearningMark.message_id)
            .where(
                Message.conversation_id.in_(conv_ids),
                LearningMark.action == "added",
                LearningMark.entry_id.is_not(None),
            )
        )
    ).scalars()
    kept = {r.id for r in rows if r.status != "draft"} | {str(e) for e in learned}
    return len(drafts), sorted(kept)
