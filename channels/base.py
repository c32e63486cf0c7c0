"""The channel contract: what a channel is to the rest of kefu, in one place.

A channel is a folder under ``channels/`` and one line in ``channels/registry.py``. Its
adapter:

- **inbound**: parses its platform's wire format (verifying signatures first) into a
  :class:`core.domain.InboundMessage` with hints (the platform's message id for
  de-duplication, ``no_reply`` for what must never be answered, ``fixed_reply`` for content
  the bot cannot read, ``reply_inline`` for a passive reply, a ``thread`` hint) and hands it
  to the one inbound path, :data:`Inbound` (``services.pipeline.handle_inbound``). That call
  returns after commit: acknowledge the platform only then. The channel never writes
  messages, reopens tickets or starts bot turns itself (``core/inbound.py`` does, the same
  way for every channel);
- **capabilities**: declares how replies reach the customer
  (:class:`core.domain.ChannelCapabilities`: live socket, passive reply deadline, push API,
  reply window, media kinds);
- **send**: delivers one stored reply the outbox hands it, raising ``DeliveryError`` to be
  retried later or ``PermanentDeliveryError`` to give up (a dead letter agents can see);
- mounts its routes in ``setup`` and releases its resources in ``close``.

The core never imports a concrete adapter: it sees them through the registry.
``channels/testing.py`` is a complete channel in a few lines, for tests and as a template.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from core.context import Services
from core.domain import ChannelCapabilities, InboundMessage, OutboundDelivery
from core.inbound import InboundResult

# The one inbound path, as a channel sees it.
Inbound = Callable[[InboundMessage], Awaitable[InboundResult]]


class ChannelAdapter(Protocol):
    """One channel's adapter."""

    name: str
    capabilities: ChannelCapabilities

    def setup(self, app: web.Application) -> None:
        """Mount the channel's routes (webhooks, sockets, static files) on ``app``."""
        ...

    async def send(self, delivery: OutboundDelivery) -> None:
        """Deliver one stored reply; raise DeliveryError to retry, PermanentDeliveryError not."""
        ...

    async def close(self) -> None:
        """Release the channel's resources (sockets, pollers) at shutdown."""
        ...


class AdapterFactory(Protocol):
    """Builds an adapter from the running services."""

    def __call__(self, services: Services) -> ChannelAdapter:
        """A ready adapter."""
        ...
