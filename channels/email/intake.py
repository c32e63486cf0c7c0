"""Inbound email, whatever its source (IMAP, our SMTP listener): parse, store once, answer.

One transaction records the message (deduplicated by its Message-ID, or a stable derived id)
in the conversation it threads into, or a new one; its decoded subject, sanitized HTML, full
text, loop verdict and the key of the raw bytes go into ``Message.meta``. Mail we must not
answer (auto-replies, bounces, lists, ourselves, a sender over the rate limit) is stored
and shown to agents, but the bot does not run on it. A customer writing again after the
conversation was resolved starts a follow-up conversation linked to the old one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channels.email.config import EmailInbox
from channels.email.parse import ParsedEmail, parse_email, source_id_of
from channels.email.threads import find_thread
from core.attachments import AttachmentStore
from core.context import Services
from core.conversations import (
    find_by_source,
    identity_for,
    inbox_id,
    lock_conversation,
    record_inbound,
    start_conversation,
)
from core.coordination import RateLimiter
from core.domain import Attachment, InboundMessage
from core.errors import PayloadTooLarge
from core.models import ContactIdentity, Ticket

log = logging.getLogger(__name__)

CHANNEL = "email"
MAX_META_HTML = 256 * 1024
MAX_TEXT = 100_000
UNKNOWN_SENDER = "unknown-sender@kefu.invalid"


@dataclass(frozen=True)
class IntakeResult:
    """What happened to one inbound email."""

    conversation_id: int
    message_id: int
    seq: int
    duplicate: bool
    answered_by_bot: bool
    auto_reason: str | None
    thread_rule: str | None


class EmailIntake:
    """Stores inbound mail for one inbox and starts bot turns."""

    def __init__(self, services: Services, inbox: EmailInbox) -> None:
        self.services = services
        self.inbox = inbox
        self.limiter = RateLimiter(inbox.replies_per_hour, 3600.0)
        self._tasks: set[asyncio.Task[None]] = set()
        # The original bytes are kept up to the message limit, not the attachment limit.
        self.raw_store = AttachmentStore(services.attachments.root, inbox.max_message_bytes)

    async def receive(
        self,
        raw: bytes,
        envelope_recipients: tuple[str, ...] = (),
        via: str = "smtp",
        envelope_sender: str | None = None,
    ) -> IntakeResult:
        """Store ``raw`` once and start the bot when it should answer.

        ``envelope_sender`` is SMTP's ``MAIL FROM`` when we received the mail ourselves: an
        empty one (``<>``) marks a bounce or auto-reply even without a Return-Path header.
        """
        too_large = len(raw) > self.inbox.max_message_bytes
        own = frozenset({self.inbox.address})
        if too_large:
            end = raw.find(b"\r\n\r\n")
            end = raw.find(b"\n\n") if end < 0 else end
            head = raw[: end if 0 <= end < 256 * 1024 else 64 * 1024]
            mail = await asyncio.to_thread(parse_email, head + b"\r\n\r\n", own)
        else:
            mail = await asyncio.to_thread(parse_email, raw, own)
        if envelope_sender == "" and mail.auto_reason is None:
            mail = dataclasses.replace(mail, auto_reason="null_return_path")
        if mail.problems:
            log.warning(
                "email %s on inbox %s via %s: %s",
                mail.message_id,
                self.inbox.name,
                via,
                "; ".join(mail.problems[:5]),
            )
        meta: dict[str, Any] = {}
        try:
            meta["raw_key"] = (
                await self.raw_store.save(
                    raw, kind="file", mime="message/rfc822", name="original.eml"
                )
            ).key
        except PayloadTooLarge:
            meta["raw_dropped"] = len(raw)
        attachments, dropped = await self._save_parts(mail)
        if dropped:
            meta["dropped_attachments"] = dropped
        for attempt in range(2):
            try:
                return await self._store(
                    mail, raw, meta, attachments, too_large, envelope_recipients
                )
            except IntegrityError:
                if attempt == 1:  # a concurrent delivery of the same mail won the race
                    raise
        raise AssertionError("unreachable")

    async def _save_parts(self, mail: ParsedEmail) -> tuple[list[Attachment], list[dict[str, Any]]]:
        saved: list[Attachment] = []
        dropped: list[dict[str, Any]] = []
        for part in mail.parts:
            kind = "image" if part.mime.startswith("image/") else "file"
            name = part.name or (part.content_id and f"inline-{part.content_id}") or "attachment"
            try:
                saved.append(
                    await self.services.attachments.save(
                        part.data, kind=kind, mime=part.mime, name=name
                    )
                )
            except PayloadTooLarge:
                log.warning(
                    "email %s: attachment %r (%s bytes) over the size limit, not stored",
                    mail.message_id,
                    name,
                    len(part.data),
                )
                dropped.append({"name": name, "size": len(part.data), "reason": "too_large"})
        return saved, dropped

    async def _store(
        self,
        mail: ParsedEmail,
        raw: bytes,
        base_meta: dict[str, Any],
        attachments: list[Attachment],
        too_large: bool,
        envelope_recipients: tuple[str, ...],
    ) -> IntakeResult:
        source_id = source_id_of(mail.message_id)
        sender = mail.sender or UNKNOWN_SENDER
        auto = mail.auto_reason
        rate_limited = False
        follow_up: dict[str, Any] = {}
        async with self.services.db.transaction() as session:
            ibx = await inbox_id(session, self.inbox.name, CHANNEL)
            existing = await find_by_source(session, ibx, source_id)
            if existing is not None:
                return IntakeResult(
                    existing.conversation_id,
                    existing.id,
                    existing.seq,
                    True,
                    False,
                    existing.meta.get("auto"),
                    None,
                )
            known = (
                await session.execute(
                    select(ContactIdentity.id).where(
                        ContactIdentity.channel == CHANNEL,
                        ContactIdentity.inbox_id == ibx,
                        ContactIdentity.external_id == sender,
                    )
                )
            ).scalar()
            match = await find_thread(
                session, self.inbox, ibx, self.services.secret, mail, envelope_recipients, known
            )
            identity = await identity_for(
                session, CHANNEL, ibx, sender, mail.sender_name, email=mail.sender or None
            )
            if match is not None:
                conv = await lock_conversation(session, match.conversation_id)
                if conv.owner == "resolved" and auto is None:
                    ticket = (
                        await session.execute(
                            select(Ticket.number)
                            .where(Ticket.conversation_id == conv.id)
                            .order_by(Ticket.id.desc())
                            .limit(1)
                        )
                    ).scalar()
                    follow_up = {"follow_up_of": conv.id, "follow_up_ticket": ticket}
                    conv = await start_conversation(session, identity, language=conv.language)
            else:
                conv = await start_conversation(session, identity)
            if auto is None and not self.limiter.allow(sender):
                rate_limited = True
            text = mail.reply_text or mail.subject
            if too_large:
                text = (
                    f"（邮件过大：{len(raw)} 字节，超过上限，已保留原件）\n"
                    f"(Message too large: {len(raw)} bytes; the original is kept.)\n\n{text}"
                )
            kind = "text"
            if not text and attachments:
                kind = "image" if all(a.kind == "image" for a in attachments) else "file"
            rec = await record_inbound(
                session,
                InboundMessage(
                    channel=CHANNEL,
                    inbox=self.inbox.name,
                    external_id=sender,
                    source_id=source_id,
                    text=text[:MAX_TEXT],
                    contact_name=mail.sender_name,
                    kind=kind,
                    attachments=tuple(attachments),
                    contact_email=mail.sender or None,
                    conversation_id=conv.id,
                ),
                # Looked for above in this transaction; a racing delivery of the same mail
                # hits the unique index, and the retry in ``receive`` finds it stored.
                optimistic=True,
            )
            meta = dict(base_meta)
            meta.update(follow_up)
            meta.update(
                {
                    "email_message_id": mail.message_id,
                    "subject": mail.subject,
                    "from": mail.sender,
                    "to": list(mail.recipients[:20]),
                    "in_reply_to": list(mail.in_reply_to[:5]),
                    "references": list(mail.references[-20:]),
                    "thread": match.rule if match else None,
                    "charsets": list(mail.charsets),
                }
            )
            if mail.derived_id:
                meta["derived_id"] = True
            if auto:
                meta["auto"] = auto
            if rate_limited:
                meta["rate_limited"] = True
            if mail.problems:
                meta["problems"] = list(mail.problems[:10])
            if mail.text and mail.text != mail.reply_text:
                meta["full_text"] = mail.text[:MAX_TEXT]
            if mail.html:
                meta["html"] = mail.html[:MAX_META_HTML]
            rec.message.meta = meta
            owner = rec.conversation.owner
            result = IntakeResult(
                rec.conversation.id,
                rec.message.id,
                rec.message.seq,
                False,
                auto is None and not rate_limited and owner == "bot",
                auto,
                match.rule if match else None,
            )
        if auto:
            log.info(
                "email %s from %s is automatic (%s): stored, not answered",
                mail.message_id,
                sender,
                auto,
            )
        if rate_limited:
            log.warning(
                "email from %s over %s replies/hour: stored, not answered",
                sender,
                self.inbox.replies_per_hour,
            )
        self.services.metrics.stored(CHANNEL, None, duplicate=False)
        events = self.services.events
        await events.message(result.conversation_id, result.seq)
        await events.conversation_updated(result.conversation_id, owner, result.seq)
        if result.answered_by_bot:
            task = asyncio.create_task(
                self.services.pipeline.bot_turn(result.conversation_id, result.seq)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return result

    async def drain(self, grace_seconds: float = 10.0) -> None:
        """Wait for the bot turns this intake started, then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
            for task in pending:
                task.cancel()
