"""The public API's settings: ``[api]`` (``/api/v1`` and the outgoing webhooks)."""

from __future__ import annotations

from dataclasses import dataclass

from core.sections import Section, opt, register


@dataclass(frozen=True)
class ApiSettings:
    """The public REST API (``/api/v1``) and the outgoing webhooks."""

    rate_limit_per_minute: int = opt(
        600, lo=1, hi=1_000_000, doc="default calls per minute of a new API token"
    )
    idempotency_hours: float = opt(
        24.0, lo=0.1, hi=24 * 30, doc="how long a POST's Idempotency-Key is remembered"
    )
    webhook_timeout_seconds: float = opt(10.0, lo=0.1, hi=120.0)
    webhook_max_attempts: int = opt(
        12, lo=1, hi=1000, doc="failed tries of one delivery before the webhook is disabled"
    )
    webhook_base_delay_seconds: float = opt(10.0, lo=0.01, hi=3600.0)
    webhook_max_delay_seconds: float = opt(3600.0, lo=0.01, hi=86_400.0)
    webhook_poll_seconds: float = opt(1.0, lo=0.01, hi=60.0)
    webhook_concurrency: int = opt(8, lo=1, hi=256, doc="deliveries in flight per worker")


register(Section("api", ApiSettings))
