"""``kefu check-config`` for email inboxes: try the IMAP login and the SMTP handshake."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiosmtplib

from channels.email.config import EmailInbox
from channels.email.imap import connect, ok_or_raise
from channels.email.outbound import tls_context


@dataclass(frozen=True)
class Check:
    """The outcome of one connection check."""

    what: str
    ok: bool
    detail: str


async def check_connections(inbox: EmailInbox, limit_seconds: float = 15.0) -> tuple[Check, ...]:
    """Log in to the IMAP folder and greet (and authenticate at) the SMTP server."""
    results: list[Check] = []
    if inbox.imap is not None:
        url = inbox.imap
        what = f"[[inboxes]] {inbox.name} imap_url ({url.host}:{url.port})"
        try:
            async with asyncio.timeout(limit_seconds):
                client = (await connect(url, inbox, limit_seconds)).client
                try:
                    ok_or_raise(await client.select(url.path or "INBOX"), "SELECT")
                finally:
                    await client.logout()
            results.append(Check(what, True, f"logged in, folder {url.path or 'INBOX'} open"))
        except Exception as err:
            results.append(Check(what, False, f"{type(err).__name__}: {err}"))
    if inbox.smtp is not None:
        s = inbox.smtp
        what = f"[[inboxes]] {inbox.name} smtp_url ({s.host}:{s.port})"
        try:
            async with asyncio.timeout(limit_seconds):
                client = aiosmtplib.SMTP(
                    hostname=s.host,
                    port=s.port,
                    use_tls=s.scheme == "smtps",
                    start_tls=s.scheme == "smtp+starttls",
                    tls_context=tls_context(inbox) if s.scheme != "smtp" else None,
                    timeout=limit_seconds,
                )
                await client.connect()
                try:
                    if s.username:
                        await client.login(s.username, s.password)
                finally:
                    await client.quit()
            results.append(Check(what, True, "connected" + (", logged in" if s.username else "")))
        except Exception as err:
            results.append(Check(what, False, f"{type(err).__name__}: {err}"))
    return tuple(results)
