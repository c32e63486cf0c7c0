"""Email channel adapter: SMTP listener and IMAP pollers in, aiosmtplib out.

Each ``[[inboxes]]`` entry with ``channel = "email"`` gets one :class:`EmailIntake`, fed by
its SMTP listener (``smtp_listen``) and/or its IMAP poller (``imap_url``). They start after
the app's own startup (migrations done) and stop at shutdown. Replies the outbox hands us
are sent through the inbox's ``smtp_url``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from channels.email.config import EmailInbox, validate
from channels.email.imap import ImapPoller
from channels.email.intake import CHANNEL, EmailIntake
from channels.email.outbound import deliver
from channels.email.smtp_server import start_listener
from core.context import Services
from core.domain import ChannelCapabilities, OutboundDelivery
from core.errors import PermanentDeliveryError

log = logging.getLogger(__name__)


class EmailAdapter:
    """The email channel."""

    name = CHANNEL
    # A mail reader shows a numbered list of a few choices well (no buttons in plain text).
    capabilities = ChannelCapabilities(
        media_kinds=frozenset({"image", "file", "voice", "video"}), max_choices=4
    )

    def __init__(self, services: Services) -> None:
        self.services = services
        self.inboxes: dict[str, EmailInbox] = {
            i.name: validate(i) for i in services.settings.inboxes_of(CHANNEL)
        }
        self.intakes = {name: EmailIntake(services, cfg) for name, cfg in self.inboxes.items()}
        self.pollers: dict[str, ImapPoller] = {}
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = False

    def setup(self, app: web.Application) -> None:
        """Start listeners and pollers once the app is up (after migrations); stop on cleanup."""
        if not self.inboxes:
            return
        # on_startup handlers run after every cleanup_ctx startup (the database upgrade).
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._cleanup)

    async def _start(self, app: web.Application) -> None:
        await self.start()

    async def _cleanup(self, app: web.Application) -> None:
        await self.close()

    async def start(self) -> None:
        """Open the SMTP listeners and start the IMAP pollers."""
        if self._started:
            return
        self._started = True
        for name, cfg in self.inboxes.items():
            intake = self.intakes[name]
            if cfg.smtp_listen is not None:
                host, port = cfg.smtp_listen
                self._servers.append(await start_listener(intake, host, port))
            if cfg.imap is not None:
                poller = ImapPoller(self.services, intake)
                self.pollers[name] = poller
                task = asyncio.create_task(poller.run(), name=f"imap:{name}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def send(self, delivery: OutboundDelivery) -> None:
        """Email one stored reply to the customer, threaded into their conversation."""
        inbox = self.inboxes.get(delivery.inbox)
        if inbox is None:
            raise PermanentDeliveryError(f"Email inbox {delivery.inbox!r} is not configured.")
        await deliver(self.services, inbox, delivery)

    async def close(self) -> None:
        """Stop accepting mail, stop the pollers, let running bot turns finish."""
        for server in self._servers:
            server.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._started = False
