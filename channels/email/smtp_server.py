"""kefu's own SMTP listener (aiosmtpd): direct delivery to our inbox addresses only.

Recipients other than the inbox address and its plus-addressed variants are refused with
550 at RCPT time: the listener is never a relay. The SIZE limit is announced in EHLO and
enforced; a message is acknowledged (250) only after it is committed, and a failure to store
answers 451 so the sending server retries later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email.intake import EmailIntake
from channels.email.threads import is_our_address

log = logging.getLogger(__name__)


class Listener(SMTP):
    """aiosmtpd's server, reading lines up to 64 KiB instead of RFC 5321's 1000.

    Outlook and web mailers write whole HTML paragraphs on one line; refusing them (500)
    would bounce a customer's mail over line length alone, so the limit is only a guard.
    """

    line_length_limit = 64 * 1024


class InboxHandler:
    """aiosmtpd handler for one email inbox."""

    def __init__(self, intake: EmailIntake) -> None:
        self.intake = intake

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Accept only our own addresses."""
        if not is_our_address(self.intake.inbox, address):
            log.info("smtp: refused recipient %r from %s", address, session.peer)
            return "550 5.1.1 No such recipient here (this server does not relay)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message, then acknowledge it."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            result = await self.intake.receive(
                bytes(raw),
                tuple(a.lower() for a in envelope.rcpt_tos),
                via="smtp",
                envelope_sender=(envelope.mail_from or "").strip().strip("<>"),
            )
        except Exception:
            self.intake.services.metrics.channel_error("email", "smtp_store")
            log.exception("smtp: could not store a message from %s", envelope.mail_from)
            return "451 4.3.0 Temporary failure storing the message; please retry"
        return f"250 2.0.0 OK stored as {result.message_id}"


async def start_listener(intake: EmailIntake, host: str, port: int) -> asyncio.Server:
    """Listen for SMTP on ``host:port`` for ``intake``'s inbox."""
    handler = InboxHandler(intake)
    inbox = intake.inbox

    def factory() -> Any:
        return Listener(
            handler,
            data_size_limit=inbox.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=inbox.domain,
            ident="kefu ESMTP",
            timeout=300,
        )

    server = await asyncio.get_running_loop().create_server(factory, host, port)
    log.info("email inbox %s: SMTP listener on %s:%s", inbox.name, host, port)
    return server
