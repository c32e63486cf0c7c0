"""The web chat channel's settings: ``[webchat]``, its limits."""

from __future__ import annotations

from dataclasses import dataclass

from core.sections import Section, opt, register


@dataclass(frozen=True)
class WebchatSettings:
    """Web chat channel limits."""

    max_text_length: int = opt(2000, lo=1, hi=100_000)
    token_ttl_hours: float = opt(720.0, lo=0.01, hi=24 * 365)
    messages_per_minute: int = opt(30, lo=1, hi=10_000)
    sessions_per_minute_per_ip: int = opt(30, lo=1, hi=10_000)
    heartbeat_seconds: float = opt(25.0, lo=1.0, hi=600.0)
    allowed_origins: list[str] = opt([], doc="extra origins allowed to embed the widget")


register(Section("webchat", WebchatSettings))
