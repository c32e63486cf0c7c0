"""The ``api`` inbox: conversations opened through the API for a customer with no channel.

Like Chatwoot's API channel, kefu does not reach these customers itself: the system that
opened the ticket relays the public replies (it reads them with
``GET /api/v1/conversations/{id}/messages?after=<seq>``). Its outbox sender therefore only
confirms the reply is stored and readable there; nothing goes to the network.
"""

from __future__ import annotations

from core.domain import OutboundDelivery

API_CHANNEL = "api"


class ApiInboxSender:
    """The outbox's sender for the ``api`` inbox: delivered means readable over the API."""

    async def send(self, delivery: OutboundDelivery) -> None:
        """Nothing to send: the message is stored and the integrating system reads it."""
        return None
