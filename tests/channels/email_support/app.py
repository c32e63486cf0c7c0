"""A full kefu app with one email inbox, an outbound SMTP sink, and a customer's mail client."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib
from sqlalchemy import select

from channels.email.adapter import EmailAdapter
from core.config import InboxSettings, Settings
from core.context import SERVICES, Services
from core.models import Message
from core.recovery import TurnRecovery
from tests.channels.email_support.dovecot import free_port
from tests.channels.email_support.sink import Sink, start_sink

ADDRESS = "support@example.com"
INBOX = "support-mail"


def with_email_inbox(settings: Settings, **options: Any) -> Settings:
    """``settings`` plus an ``[[inboxes]]`` email entry."""
    opts = {"address": ADDRESS, **options}
    return dataclasses.replace(
        settings, inboxes=(*settings.inboxes, InboxSettings(INBOX, "email", opts))
    )


@dataclass
class EmailEnv:
    """The running app, its SMTP listener port and the outbound sink."""

    client: Any
    sink: Sink
    listen_port: int

    @property
    def services(self) -> Services:
        """The app's services."""
        found: Services = self.client.app[SERVICES]
        return found

    @property
    def adapter(self) -> EmailAdapter:
        """The email adapter."""
        from core.app import ADAPTERS_KEY

        adapter: EmailAdapter = self.client.app[ADAPTERS_KEY]["email"]
        return adapter

    async def deliver(self, msg: EmailMessage, rcpt: str = ADDRESS) -> str:
        """Send ``msg`` to our SMTP listener as a customer's mail server would."""
        await aiosmtplib.send(
            msg,
            sender=str(msg["From"]).split("<")[-1].rstrip(">") or "x@example.org",
            recipients=[rcpt],
            hostname="127.0.0.1",
            port=self.listen_port,
        )
        return str(msg["Message-ID"]).strip("<>")

    async def messages(self, conversation_id: int) -> list[Message]:
        """The conversation's messages in order."""
        async with self.services.db.reader() as session:
            rows = await session.execute(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
            return list(rows.scalars())

    async def message_by_source(self, source_id: str) -> Message:
        """The stored inbound message with this Message-ID."""
        async with self.services.db.reader() as session:
            row = (
                await session.execute(select(Message).where(Message.source_id == source_id))
            ).scalar_one()
            return row

    async def check_answers(self, robots: dict[str, str], people: dict[str, str]) -> None:
        """After the pipeline and the lost-turn recovery ran: each of ``robots`` (Message-ID
        -> reason) is stored with its reason and has no bot turn, each of ``people``
        (Message-ID -> address) is answered once, at that address; nothing else is sent."""
        services = self.services
        await services.pipeline.drain(grace_seconds=30)
        assert await TurnRecovery(services.db, services.pipeline, grace_seconds=0).check() == 0
        await services.pipeline.drain(grace_seconds=30)
        for source, reason in robots.items():
            stored = await self.message_by_source(source)
            assert (stored.no_reply, stored.answered) == (reason, False), source
            assert [m.sender for m in await self.messages(stored.conversation_id)] == ["customer"]
        for source in people:
            stored = await self.message_by_source(source)
            assert (stored.no_reply, stored.answered) == (None, True), source
        mails = await self.sink.wait_for(len(people))
        assert sorted(r for m in mails for r in m.rcpt_tos) == sorted(people.values())
        async with services.db.reader() as session:
            bot = (await session.execute(select(Message).where(Message.sender == "bot"))).all()
        assert len(bot) == len(people)


@contextlib.asynccontextmanager
async def email_env(
    settings: Settings, aiohttp_client: Any, embedder: Any, *, demo: bool = False, **options: Any
) -> AsyncIterator[EmailEnv]:
    """The app on ``settings`` plus an email inbox (``options``) listening on a free port and
    sending to a fresh sink; the sink is closed afterwards."""
    from core.app import create_app

    sink = await start_sink()
    port = free_port()
    settings = with_email_inbox(
        settings,
        smtp_listen=f"127.0.0.1:{port}",
        smtp_url=f"smtp://127.0.0.1:{sink.port}",
        **options,
    )
    try:
        client = await aiohttp_client(create_app(settings, demo=demo, embedder=embedder))
        yield EmailEnv(client, sink, port)
    finally:
        await sink.close()


def customer_mail(
    subject: str,
    body: str,
    *,
    sender: str = "王芳 <wang.fang@customer.example>",
    to: str = ADDRESS,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A mail as a customer's client writes it (with a Date and a Message-ID, as every client
    does; a ``Date`` in ``headers`` replaces it)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.example")
    if "Date" not in (headers or {}):
        msg["Date"] = formatdate(localtime=True)
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    return msg


__all__ = ["ADDRESS", "INBOX", "EmailEnv", "customer_mail", "free_port", "with_email_inbox"]
