"""The channel contract: every adapter has a name, mounts its routes, sends, and closes.

An adapter turns its platform's payloads into :class:`core.domain.InboundMessage` and hands
them to ``services.pipeline.handle_inbound`` (which acknowledges only after commit), and
delivers stored replies the outbox gives it as :class:`core.domain.OutboundDelivery`.
The core never imports a concrete adapter: it sees them through ``channels/registry.py``.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from core.context import Services
from core.domain import OutboundDelivery


class ChannelAdapter(Protocol):
    """One channel's adapter."""

    name: str

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
