"""A collecting channel: a complete channel in a few lines, for tests and as a template.

It has no wire format of its own: a test "receives" a customer message with :meth:`receive`
(the same call a real channel makes after parsing its platform's request) and reads what
kefu sent back in :attr:`sent`. Register it in a test with::

    monkeypatch.setitem(channels.registry.ADAPTERS, "testing", TestingChannel)

Its capabilities can be changed per instance (``channel.capabilities = ...``) to see how the
core treats a channel with a live socket, a reply window or a passive reply.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from typing import Any

from aiohttp import web

from core.context import Services
from core.domain import ChannelCapabilities, InboundMessage, OutboundDelivery
from core.errors import DeliveryError
from core.inbound import InboundResult

CHANNEL = "testing"
INBOX = "testing"


class TestingChannel:
    """Collects deliveries; hands test messages to the one inbound path."""

    __test__ = False  # not a pytest class
    name = CHANNEL
    capabilities = ChannelCapabilities(media_kinds=frozenset({"image", "file"}))

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sent: list[OutboundDelivery] = []
        self.failing = False  # True: send raises DeliveryError (the outbox retries)
        self.delivered = asyncio.Condition()
        self._ids = itertools.count(1)

    def setup(self, app: web.Application) -> None:
        """No routes: tests call :meth:`receive` directly."""

    async def receive(self, user: str, text: str, **hints: Any) -> InboundResult:
        """A message from ``user``, with any InboundMessage hint (no_reply, fixed_reply...)."""
        source_id = str(hints.pop("source_id", f"t{next(self._ids)}:{user}"))
        inbound = InboundMessage(
            channel=CHANNEL, inbox=INBOX, external_id=user, source_id=source_id, text=text
        )
        return await self.services.pipeline.handle_inbound(replace(inbound, **hints))

    async def send(self, delivery: OutboundDelivery) -> None:
        """Collect the delivery (or fail, when told to)."""
        if self.failing:
            raise DeliveryError("the testing channel was told to fail")
        async with self.delivered:
            self.sent.append(delivery)
            self.delivered.notify_all()

    def texts(self, user: str | None = None) -> list[str]:
        """The texts sent so far, to ``user`` or to everybody."""
        return [d.text for d in self.sent if user is None or d.external_id == user]

    async def close(self) -> None:
        """Nothing to release."""
