"""The public side of kefu: API tokens, the versioned REST API (``/api/v1``) and webhooks.

It owns the tables ``api_tokens``, ``api_calls``, ``api_idempotency``, ``webhooks`` and
``webhook_deliveries``; it calls ``intake`` and ``handoff`` for tickets and replies, and
``kb``'s authoring API for entries, so an API call changes a ticket, answers a customer or
publishes an answer exactly the way the console does.
"""
