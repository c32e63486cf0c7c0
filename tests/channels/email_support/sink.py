"""An SMTP sink (aiosmtpd on the test's loop): the outbound mail server kefu talks to."""

from __future__ import annotations

import asyncio
import email
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    """One mail the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    smtp_utf8: bool = False  # sent with MAIL FROM ... SMTPUTF8


@dataclass
class Sink:
    """Collects mail; ``next()`` waits for the next one."""

    port: int = 0
    server: asyncio.Server | None = None
    mails: list[Received] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    sessions_tls: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the mail."""
        raw = envelope.original_content or b""
        assert isinstance(raw, bytes)
        self.sessions_tls.append(session.ssl is not None)
        async with self.arrived:
            self.mails.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    raw,
                    email.message_from_bytes(raw, _class=EmailMessage, policy=default),
                    bool(envelope.smtp_utf8),
                )
            )
            self.arrived.notify_all()
        return "250 OK"

    async def wait_for(self, count: int, limit_seconds: float = 30.0) -> list[Received]:
        """Wait until ``count`` mails arrived in total; returns them all."""
        async with asyncio.timeout(limit_seconds):
            async with self.arrived:
                await self.arrived.wait_for(lambda: len(self.mails) >= count)
        return list(self.mails)

    async def close(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def start_sink(
    tls_context: ssl.SSLContext | None = None,
    require_starttls: bool = False,
    smtputf8: bool = True,
) -> Sink:
    """An SMTP sink on a free port (STARTTLS offered when a TLS context is given; SMTPUTF8
    announced unless ``smtputf8`` is False, as many older servers do)."""
    sink = Sink()

    def factory() -> SMTP:
        return SMTP(
            sink,
            tls_context=tls_context,
            require_starttls=require_starttls,
            enable_SMTPUTF8=smtputf8,
            hostname="sink.test",
        )

    sink.server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
    sink.port = sink.server.sockets[0].getsockname()[1]
    return sink
