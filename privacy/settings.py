"""The privacy package's settings: ``[privacy]`` (masking by role, the trail, exports and
per-inbox retention)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import ConfigError
from core.sections import Section, opt, register


@dataclass(frozen=True)
class PrivacySettings:
    """Personal data (个人信息保护): masked display, the access trail, exports (privacy/)."""

    full_view_roles: list[str] = opt(
        ["supervisor", "admin"], doc="roles that see phone, email and address unmasked"
    )
    reveal_roles: list[str] = opt(
        ["agent", "supervisor", "admin"], doc="roles that may reveal a masked field (logged)"
    )
    trail_days: int = opt(1095, lo=30, hi=36500, doc="how long the access trail is kept")
    export_inline_messages: int = opt(
        2000, lo=0, hi=1_000_000, doc="larger histories are exported by a background job"
    )
    export_link_minutes: int = opt(60, lo=1, hi=10080, doc="how long a download link works")
    retention: list[str] = opt(
        [],
        doc='per inbox ("*" for the rest): "INBOX: conversations=DAYS, attachments=DAYS"; '
        "resolved conversations idle longer are emptied, attachments older are deleted",
    )

    def __post_init__(self) -> None:
        parse_retention(self.retention)  # a bad line is a ConfigError naming it


@dataclass(frozen=True)
class RetentionRule:
    """How long one inbox keeps resolved conversations and attachments (None: forever)."""

    inbox: str  # an inbox name, or "*" for every inbox without its own rule
    conversation_days: int | None
    attachment_days: int | None


def parse_retention(lines: list[str]) -> tuple[RetentionRule, ...]:
    """``[privacy] retention`` lines as rules, or ConfigError naming the bad line."""
    rules: dict[str, RetentionRule] = {}
    for line in lines:
        key = f"[privacy] retention line {line!r}"
        inbox, sep, rest = line.partition(":")
        inbox = inbox.strip()
        if not sep or not inbox:
            raise ConfigError(f"{key} must look like 'INBOX: conversations=730, attachments=180'.")
        days: dict[str, int] = {}
        for part in re.split(r"[,\s]+", rest.strip()):
            if not part:
                continue
            name, eq, value = part.partition("=")
            if name not in ("conversations", "attachments") or not eq or not value.isdigit():
                raise ConfigError(f"{key}: {part!r} is not conversations=DAYS or attachments=DAYS.")
            if not 1 <= int(value) <= 36500:
                raise ConfigError(f"{key}: {name} must be 1 to 36500 days.")
            days[name] = int(value)
        if not days:
            raise ConfigError(f"{key} names no limit (conversations=DAYS, attachments=DAYS).")
        if inbox in rules:
            raise ConfigError(f"{key}: inbox {inbox} has a rule already.")
        rules[inbox] = RetentionRule(inbox, days.get("conversations"), days.get("attachments"))
    return tuple(rules.values())


register(Section("privacy", PrivacySettings))
