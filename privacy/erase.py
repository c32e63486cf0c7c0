"""Erase one customer: their identifying data goes, the anonymous facts reports need stay.

What goes (in one transaction): the contact's name, email, phone, company, note and external
id (a company system's customer number); their
channel identities (rewritten to a random id, so the next message from the same openid or
address starts a new, empty contact); every message text, subject, header and attachment of
their conversations (internal notes too); the bot's memory; ticket subjects and transcripts and
the text in ticket events; survey comments; outbox rows of their conversations; KB drafts made
from their conversations; channel state kept under their ids (e.g. WeChat send windows); the
values an import replaced on their rows. After commit: attachment files no other message uses,
the knowledge base's query-vector cache of their texts, then the database files themselves
(:mod:`privacy.scrub`), so the old bytes are not left in free pages, the WAL or dead tuples.

What stays, anonymous: the contact row (``erased_at`` set), conversation and ticket rows with
their times, owners, channels, categories, priorities, SLA due dates and breaches, status
events, and CSAT scores, so the report figures of every past week are unchanged.

Erasing twice is harmless: the second run finds nothing left to redact and says so.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.tables import IdempotencyKey, WebhookDelivery
from core.attachments import AttachmentStore
from core.db import Database
from core.errors import BadRequest
from core.models import (
    ChannelState,
    Contact,
    ContactIdentity,
    Conversation,
    ImportItem,
    Inbox,
    Message,
    utcnow,
)
from intake.tables import Product
from privacy import trail
from privacy.collect import contact_or_404
from privacy.redact import redact_conversations
from privacy.scrub import scrub

log = logging.getLogger(__name__)

ERASED_NAME = ""  # the console shows "Visitor #id" for a nameless contact
MAX_REASON = 500


@dataclass
class Erasure:
    """What one erasure did, for the API, the CLI and the trail."""

    contact_id: int
    erased_at: str
    already_erased: bool
    counts: dict[str, int] = field(default_factory=dict)
    files_deleted: int = 0
    kb_entries_kept: list[str] = field(default_factory=list)
    scrub: dict[str, Any] = field(default_factory=dict)
    backups: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "contact_id": self.contact_id,
            "erased_at": self.erased_at,
            "already_erased": self.already_erased,
            "counts": self.counts,
            "files_deleted": self.files_deleted,
            "kb_entries_kept": self.kb_entries_kept,
            "database": self.scrub,
            "backups_holding_data": self.backups,
        }


def check_reason(reason: Any) -> str:
    """The stripped reason, or a bilingual 400: an erasure must say why."""
    if not isinstance(reason, str) or not reason.strip():
        raise BadRequest(
            "请填写删除原因（例如客户的申请编号）。Give the reason for the erasure "
            "(e.g. the customer's request number).",
            code="reason_required",
        )
    if len(reason) > MAX_REASON:
        raise BadRequest(
            f"删除原因最多 {MAX_REASON} 个字符。The reason is at most {MAX_REASON} characters.",
            code="reason_too_long",
        )
    return reason.strip()


async def _redact(
    session: AsyncSession, contact: Contact
) -> tuple[dict[str, int], set[str], list[str], list[str]]:
    """Redact ``contact`` everywhere: counts, attachment keys, texts, KB entries kept."""
    cid = contact.id
    counts: dict[str, int] = {}
    texts: list[str] = []
    keys: set[str] = set()
    said = [v for v in (contact.name, contact.email, contact.phone) if v]
    contact.name, contact.email, contact.phone = ERASED_NAME, None, None
    contact.company, contact.note, contact.external_id = None, None, None
    counts["products"] = await _drop_rows(session, delete(Product).where(Product.contact_id == cid))
    inboxes = {i.id: i.name for i in (await session.execute(select(Inbox))).scalars()}
    idents = list(
        (
            await session.execute(select(ContactIdentity).where(ContactIdentity.contact_id == cid))
        ).scalars()
    )
    states = 0
    for ident in idents:
        if ident.external_id.startswith("erased:"):
            continue
        # Channels keep small state under a user's id (WeChat's send window: window:<openid>).
        result = await session.execute(
            delete(ChannelState).where(
                ChannelState.inbox == inboxes.get(ident.inbox_id, ""),
                ChannelState.key.like(f"%:{ident.external_id}"),
            )
        )
        states += int(getattr(result, "rowcount", 0) or 0)
        # ... and platform receipts name the user in their value (WeChat's template message
        # receipts: receipt:<event>:<MsgID> -> {"openid": ...}).
        inbox = inboxes.get(ident.inbox_id, "")
        for key, value in (
            await session.execute(
                select(ChannelState.key, ChannelState.value).where(
                    ChannelState.inbox == inbox, ChannelState.key.like("receipt:%")
                )
            )
        ).all():
            if isinstance(value, dict) and ident.external_id in value.values():
                await session.execute(
                    delete(ChannelState).where(ChannelState.inbox == inbox, ChannelState.key == key)
                )
                states += 1
        said.append(ident.external_id)
        ident.external_id = f"erased:{uuid.uuid4().hex}"
        counts["identities"] = counts.get("identities", 0) + 1
    counts["channel_state"] = states
    conv_ids = list(
        (
            await session.execute(select(Conversation.id).where(Conversation.contact_id == cid))
        ).scalars()
    )
    counts["conversations"] = len(conv_ids)
    kb_kept: list[str] = []
    if conv_ids:
        done = await redact_conversations(session, conv_ids)
        counts.update(done.counts)
        keys, texts, kb_kept = done.keys, done.texts, done.kb_kept
        counts["import_history"] = await _import_history(session, cid, conv_ids)
    counts["api_bodies"] = await _api_bodies(session, cid, conv_ids, [*said, *texts])
    return counts, keys, texts, kb_kept


async def _api_bodies(
    session: AsyncSession, cid: int, conv_ids: list[int], needles: list[str]
) -> int:
    """Empty what the public API kept that quotes the person (api/): the responses stored for
    idempotent replays (deleted: a repeat runs again) and webhook payloads (kept as an
    ``{"erased": true}`` body, so the receiver still learns that the event happened).

    A payload is theirs when it names their contact or one of their conversations (compact
    JSON, as ``api/webhooks.py`` writes it: ``"contact_id":7,``), or quotes what they are
    called or wrote (three characters at least, so a common word cannot match everyone)."""
    words = sorted({n for n in needles if len(n) >= 3})
    refs = [f'"contact_id":{cid}{end}' for end in (",", "}")]
    refs += [f'"conversation_id":{c}{end}' for c in conv_ids for end in (",", "}")]
    done = 0
    for i in range(0, max(len(words), len(refs)), 50):
        quoted = [WebhookDelivery.body.contains(w) for w in words[i : i + 50]]
        named = [WebhookDelivery.body.contains(r) for r in refs[i : i + 50]]
        if quoted or named:
            hooks = await session.execute(
                update(WebhookDelivery).where(or_(*quoted, *named)).values(body='{"erased": true}')
            )
            done += int(getattr(hooks, "rowcount", 0) or 0)
        if quoted:
            replays = await session.execute(
                delete(IdempotencyKey).where(
                    or_(*(IdempotencyKey.body.contains(w) for w in words[i : i + 50]))
                )
            )
            done += int(getattr(replays, "rowcount", 0) or 0)
    return done


async def _drop_rows(session: AsyncSession, stmt: Any) -> int:
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def _import_history(session: AsyncSession, cid: int, conv_ids: list[int]) -> int:
    """Forget the values an import replaced on the contact's rows (they hold the old data)."""
    result = await session.execute(
        update(ImportItem)
        .where(
            or_(
                (ImportItem.table_name == "contacts") & (ImportItem.row_id == str(cid)),
                (ImportItem.table_name == "conversations")
                & ImportItem.row_id.in_([str(c) for c in conv_ids]),
            ),
        )
        .values(before=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_unused_files(db: Database, store: AttachmentStore, keys: Iterable[str]) -> int:
    """Delete the files of ``keys`` that no message refers to any more; how many went.

    Content-addressed files may be shared (two customers sent the same photo): a file goes only
    when no message's attachments or meta name it. One scan per 50 keys, not one per key.
    """
    todo = sorted(set(keys))
    deleted = 0
    for i in range(0, len(todo), 50):
        chunk = todo[i : i + 50]
        likes = [
            cast(column, String).like(f"%{key}%")
            for key in chunk
            for column in (Message.attachments, Message.meta)
        ]
        async with db.reader() as session:
            rows = (
                await session.execute(select(Message.attachments, Message.meta).where(or_(*likes)))
            ).all()
        # Anywhere in the row counts as used (LIKE matched it): never delete a file in use.
        held = " ".join(f"{attachments} {meta}" for attachments, meta in rows)
        for key in chunk:
            if key in held:
                continue
            try:
                path = store.path(key)
            except Exception:  # a malformed key in an old row names no file
                continue
            if path.is_file():
                await asyncio.to_thread(path.unlink)
                deleted += 1
    return deleted


async def erase(
    db: Database,
    store: AttachmentStore,
    contact_id: int,
    reason: Any,
    actor: trail.Actor,
    *,
    forget_texts: Callable[[list[str]], Awaitable[None]] | None = None,
    backups: Callable[[], list[Path]] | None = None,
) -> Erasure:
    """Erase one contact (see the module docstring); NotFound for an unknown contact."""
    reason = check_reason(reason)
    async with db.transaction() as session:
        contact = await contact_or_404(session, contact_id)
        already = contact.erased_at is not None
        counts, keys, texts, kb_kept = await _redact(session, contact)
        if contact.erased_at is None:
            contact.erased_at = utcnow()
        erased_at = contact.erased_at.isoformat()
        trail.add(
            session,
            actor,
            "erase",
            contact_id,
            {"reason": reason, "already_erased": already, "counts": counts},
        )
    result = Erasure(contact_id, erased_at, already, counts, kb_entries_kept=kb_kept)
    result.files_deleted = await delete_unused_files(db, store, keys)
    if forget_texts is not None and texts:
        await forget_texts(texts)
    result.scrub = await scrub(db)
    result.backups = [str(p) for p in backups()] if backups is not None else []
    # Ids only: the log must not carry what was just erased.
    log.info(
        "contact %d erased by %s: %s",
        contact_id,
        actor.agent_id if actor.agent_id is not None else "cli",
        ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
    )
    return result
