"""IMAP intake: poll a hosted mailbox by UID, wait with IDLE, back-fill after an outage.

State per mailbox (``ChannelState(inbox, "imap:<folder>")``): UIDVALIDITY and the last UID
stored. Each pass fetches ``UID <last+1>:*`` with ``BODY.PEEK[]`` (nothing is marked read),
stores each message, then advances the cursor, so a crash or a server that drops the
connection mid-fetch loses nothing: the next pass starts after the last *stored* message,
and the Message-ID dedupe absorbs any repeat. A changed UIDVALIDITY restarts from UID 1
(again deduplicated). Between passes the poller IDLEs (renewed well within 29 minutes) or
sleeps ``imap_poll_seconds`` when the server has no IDLE. One poller per mailbox holds the
``email-imap:<inbox>`` lease (``core/leases.py``): with several workers, one polls and
another takes over within seconds when it dies.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

import aioimaplib

from channels.email.config import EmailInbox, ServerUrl
from channels.email.intake import EmailIntake
from channels.email.outbound import tls_context
from core.channel_store import read_state, write_state
from core.context import Services
from core.errors import KefuError
from core.leases import Leases

log = logging.getLogger(__name__)

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
MAX_FAILURES = 3


class ImapError(KefuError):
    """The IMAP server refused a command."""


@dataclass(frozen=True)
class Cursor:
    """Where a mailbox's intake stands."""

    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class Connection:
    """A logged-in IMAP client and a future set when the server hangs up."""

    client: aioimaplib.IMAP4
    lost: asyncio.Future[None]


async def connect(url: ServerUrl, inbox: EmailInbox, limit_seconds: float = 30.0) -> Connection:
    """A logged-in IMAP client (``imaps://`` with certificate validation)."""
    if url.scheme == "imaps":
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
            url.host, url.port, ssl_context=tls_context(inbox), timeout=limit_seconds
        )
    else:
        client = aioimaplib.IMAP4(url.host, url.port, timeout=limit_seconds)
    # aioimaplib leaves a command waiting until its timeout when the server hangs up;
    # record the loss so the poller can give up on the connection at once.
    lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_lost(_exc: Exception | None) -> None:
        if not lost.done():
            lost.set_result(None)

    client.protocol.conn_lost_cb = on_lost
    await client.wait_hello_from_server()
    response = await client.login(url.username, url.password)
    if response.result != "OK":
        raise ImapError(f"IMAP login for inbox {inbox.name} was refused: {response.lines[:1]!r}")
    return Connection(client, lost)


def ok_or_raise(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        raise ImapError(f"IMAP {what} failed: {response.result} {response.lines[-1:]!r}")
    return response


class ImapPoller:
    """Feeds one mailbox into an :class:`EmailIntake`."""

    def __init__(self, services: Services, intake: EmailIntake) -> None:
        self.services = services
        self.intake = intake
        self.inbox = intake.inbox
        assert self.inbox.imap is not None
        self.url: ServerUrl = self.inbox.imap
        self.folder = self.url.path or "INBOX"
        self.state_key = f"imap:{self.folder}"
        self.stored = 0  # messages stored by this poller (for tests and logs)
        self._failures: dict[int, int] = {}

    async def load_cursor(self) -> Cursor | None:
        """The stored cursor, if any."""
        value = await read_state(self.services.db, self.inbox.name, self.state_key)
        if not value:
            return None
        return Cursor(int(value.get("uidvalidity", 0)), int(value.get("last_uid", 0)))

    async def save_cursor(self, cursor: Cursor) -> None:
        """Persist the cursor."""
        value = {"uidvalidity": cursor.uidvalidity, "last_uid": cursor.last_uid}
        await write_state(self.services.db, self.inbox.name, self.state_key, value)

    async def run(self) -> None:
        """Poll forever under the mailbox's lease (one worker at a time; taken over on a crash)."""
        leases = Leases(self.services.db, self.services.settings.workers.lease_seconds)
        await leases.run(f"email-imap:{self.inbox.name}", self._poll)

    async def _poll(self) -> None:
        """Poll forever (until cancelled), reconnecting with backoff after errors."""
        delay = 1.0
        while True:
            client: aioimaplib.IMAP4 | None = None
            try:
                conn = await connect(self.url, self.inbox)
                client = conn.client
                delay = 1.0
                await self._serve(conn)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self.services.metrics.channel_error("email", "imap")
                log.warning(
                    "email inbox %s: IMAP %s:%s failed (%s: %s); retrying in %.0fs",
                    self.inbox.name,
                    self.url.host,
                    self.url.port,
                    type(err).__name__,
                    err,
                    delay,
                )
            finally:
                if client is not None:
                    await _quietly_logout(client)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 300.0)

    async def _serve(self, conn: Connection) -> None:
        """Sync and wait in turns until the connection is lost or a command fails."""

        async def loop() -> None:
            while True:
                await self.sync(conn.client)
                await self.wait(conn.client)

        work = asyncio.create_task(loop())
        try:
            await asyncio.wait({work, conn.lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not work.done():
                work.cancel()
                # Wait for the worker without swallowing our own cancellation: if this task
                # is being cancelled (shutdown), the CancelledError must propagate.
                await asyncio.wait({work})
        if work.done() and not work.cancelled() and work.exception() is not None:
            raise work.exception()  # type: ignore[misc]
        raise ConnectionError("the IMAP server closed the connection")

    async def sync(self, client: aioimaplib.IMAP4) -> int:
        """Fetch and store every message after the cursor; returns how many were stored."""
        selected = ok_or_raise(await client.select(self.folder), f"SELECT {self.folder}")
        validity = 0
        for line in selected.lines:
            m = _UIDVALIDITY.search(bytes(line)) if isinstance(line, bytes | bytearray) else None
            if m:
                validity = int(m.group(1))
        cursor = await self.load_cursor()
        if cursor is None or cursor.uidvalidity != validity:
            if cursor is not None:
                log.warning(
                    "email inbox %s: UIDVALIDITY of %s changed (%s -> %s); re-reading the folder",
                    self.inbox.name,
                    self.folder,
                    cursor.uidvalidity,
                    validity,
                )
            cursor = Cursor(validity, 0)
            await self.save_cursor(cursor)
        found = ok_or_raise(await client.uid_search(f"UID {cursor.last_uid + 1}:*"), "UID SEARCH")
        uids = sorted(
            int(u)
            for line in found.lines[:-1]
            if isinstance(line, bytes | bytearray)
            for u in bytes(line).replace(b"SEARCH", b"").split()
            if u.isdigit() and int(u) > cursor.last_uid
        )
        count = 0
        for uid in uids:
            raw = await self.fetch(client, uid)
            if raw is not None:
                try:
                    await self.intake.receive(raw, (), via="imap")
                except Exception:
                    # Retry on the next pass; a message that fails every time must not
                    # block the mailbox: after MAX_FAILURES it is skipped (left on the server).
                    self._failures[uid] = self._failures.get(uid, 0) + 1
                    if self._failures[uid] < MAX_FAILURES:
                        raise
                    log.exception(
                        "email inbox %s: UID %s failed %s times; skipped, left in the mailbox",
                        self.inbox.name,
                        uid,
                        MAX_FAILURES,
                    )
                else:
                    self.stored += 1
                    count += 1
            cursor = Cursor(validity, uid)
            await self.save_cursor(cursor)
        return count

    async def fetch(self, client: aioimaplib.IMAP4, uid: int) -> bytes | None:
        """The raw bytes of message ``uid`` (unread flag untouched), None if it vanished."""
        response = ok_or_raise(
            await client.uid("fetch", str(uid), "(UID BODY.PEEK[])"), "UID FETCH"
        )
        for line in response.lines:
            if isinstance(line, bytearray):
                return bytes(line)
        log.warning("email inbox %s: UID %s vanished before it was fetched", self.inbox.name, uid)
        return None

    async def wait(self, client: aioimaplib.IMAP4) -> None:
        """Until the server reports new mail (IDLE) or the poll interval passes."""
        poll = self.inbox.imap_poll_seconds
        if not client.has_capability("IDLE"):
            await asyncio.sleep(poll)
            return
        # Renew IDLE at least every imap_idle_seconds (<= 29 min), and re-check at least
        # every poll interval as a safety net against pushes a server forgets to send.
        window = min(self.inbox.imap_idle_seconds, max(poll, 1.0))
        idle = await client.idle_start(timeout=window + 30)
        try:
            try:
                pushed = await client.wait_server_push(timeout=window)
            except TimeoutError:
                pushed = None
            if pushed is not None and pushed == aioimaplib.STOP_WAIT_SERVER_PUSH:
                return
        finally:
            client.idle_done()
            await asyncio.wait_for(idle, timeout=30)


async def _quietly_logout(client: aioimaplib.IMAP4) -> None:
    try:
        await asyncio.wait_for(client.logout(), timeout=5)
    except Exception:  # the connection is probably gone already
        pass
