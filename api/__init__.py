"""The public side of kefu: API tokens, the versioned REST API (``/api/v1``) and webhooks.

It owns the tables ``api_tokens``, ``api_calls``, ``api_idempotency``, ``webhooks`` and
``webhook_deliveries``; it calls ``intake`` and ``handoff`` for tickets and replies, so an
API call changes a ticket or answers a customer exactly the way the console does.
"""
