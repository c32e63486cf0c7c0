"""Inbound email, whatever its source (IMAP, our SMTP listener): parse, hand to the core.

The mail is parsed and normalised here, its raw bytes and parts saved, and it goes through
the one inbound path (``core/inbound.py``) with the email's hints: its Message-ID (or a
stable derived id) for de-duplication, the thread it continues (a signed reply address,
In-Reply-To/References, a ``[#ticket]`` subject; a new conversation when none matches),
and why it may not be answered (auto-replies, bounces, lists, ourselves, no sender, a
sender over the rate limit): such mail is stored and shown to agents, and nothing answers
it, now or later. Its decoded subject, sanitized HTML, full text, loop verdict and the key
of the raw bytes go into ``Message.meta``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from channels.email.config import EmailInbox
from channels.email.loops import envelope_reason, usable_address
from channels.email.parse import ParsedEmail, parse_email, source_id_of
from channels.email.threads import is_our_address, thread_hint
from core.attachments import AttachmentStore
from core.context import Services
from core.coordination import RateLimiter
from core.domain import Attachment, InboundMessage
from core.errors import PayloadTooLarge
from core.message_meta import MessageMeta

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
        empty one (``<>``) marks a bounce or auto-reply even without a Return-Path header,
        a bulk sender's bounce address (``bounces+123=...@``) a newsletter, MAILER-DAEMON a
        bounce, a no-reply address a robot (``envelope_reason``).
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
        if envelope_sender is not None and mail.auto_reason is None:
            found = envelope_reason(envelope_sender or "<>")
            if found:
                mail = dataclasses.replace(mail, auto_reason=found)
        if mail.auto_reason is None and mail.sender and is_our_address(self.inbox, mail.sender):
            # Our own address or a plus-address of it (a reply of ours that came back through
            # a forwarder): answering it would start a loop.
            mail = dataclasses.replace(mail, auto_reason="own_address")
        if mail.problems:
            log.warning(
                "email %s on inbox %s via %s: %s",
                mail.message_id,
                self.inbox.name,
                via,
                "; ".join(mail.problems[:5]),
            )
        meta: MessageMeta = {}
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
        return await self._store(mail, raw, meta, attachments, too_large, envelope_recipients)

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
        base_meta: MessageMeta,
        attachments: list[Attachment],
        too_large: bool,
        envelope_recipients: tuple[str, ...],
    ) -> IntakeResult:
        sender = mail.sender or UNKNOWN_SENDER
        no_reply = mail.auto_reason
        if no_reply is None and not usable_address(mail.sender):
            # Nobody to answer (no sender, or one no reply can be addressed to): agents see
            # it, and no bot turn writes a reply that could only die in the outbox.
            no_reply = "no_sender"
        if no_reply is None and not self.limiter.allow(sender):
            no_reply = "rate_limited"
        text = mail.reply_text or mail.subject
        if too_large:
            text = (
                f"（邮件过大：{len(raw)} 字节，超过上限，已保留原件）\n"
                f"(Message too large: {len(raw)} bytes; the original is kept.)\n\n{text}"
            )
        kind = "text"
        if not text and attachments:
            kind = "image" if all(a.kind == "image" for a in attachments) else "file"
        meta = base_meta.copy()
        meta.update(
            {
                "email_message_id": mail.message_id,
                "subject": mail.subject,
                "from": mail.sender,
                "to": list(mail.recipients[:20]),
                "in_reply_to": list(mail.in_reply_to[:5]),
                "references": list(mail.references[-20:]),
                "charsets": list(mail.charsets),
            }
        )
        if mail.derived_id:
            meta["derived_id"] = True
        if mail.auto_reason:
            meta["auto"] = mail.auto_reason
        if no_reply == "rate_limited":
            meta["rate_limited"] = True
        if mail.problems:
            meta["problems"] = list(mail.problems[:10])
        if mail.text and mail.text != mail.reply_text:
            meta["full_text"] = mail.text[:MAX_TEXT]
        if mail.html:
            meta["html"] = mail.html[:MAX_META_HTML]
        result = await self.services.pipeline.handle_inbound(
            InboundMessage(
                channel=CHANNEL,
                inbox=self.inbox.name,
                external_id=sender,
                source_id=source_id_of(mail.message_id),
                text=text[:MAX_TEXT],
                contact_name=mail.sender_name,
                kind=kind,
                attachments=tuple(attachments),
                contact_email=mail.sender or None,
                no_reply=no_reply[:32] if no_reply else None,
                thread=thread_hint(self.inbox, self.services.secret, mail, envelope_recipients),
                meta=meta,
            )
        )
        if result.duplicate:
            stored = result.message.meta if result.message is not None else {}
            return IntakeResult(
                result.conversation_id,
                result.message_id,
                result.seq,
                True,
                False,
                stored.get("auto"),
                None,
            )
        if mail.auto_reason:
            log.info(
                "email %s from %s is automatic (%s): stored, not answered",
                mail.message_id,
                sender,
                mail.auto_reason,
            )
        elif no_reply == "rate_limited":
            log.warning(
                "email from %s over %s replies/hour: stored, not answered",
                sender,
                self.inbox.replies_per_hour,
            )
        return IntakeResult(
            result.conversation_id,
            result.message_id,
            result.seq,
            False,
            result.turn is not None,
            mail.auto_reason,
            result.thread_rule,
        )
