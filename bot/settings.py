"""The bot's settings: ``[bot]``, the dialogue policy."""

from __future__ import annotations

from dataclasses import dataclass

from core.sections import Section, opt, register


@dataclass(frozen=True)
class BotSettings:
    """Dialogue policy."""

    max_misses: int = opt(2, lo=1, hi=10, doc="misses in a row before escalating")
    default_language: str = opt("zh", choices=("zh", "en"))


register(Section("bot", BotSettings))
