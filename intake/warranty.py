"""Warranty rules: how long the whole unit and each longer-lived part are covered, per model.

``[workorders] warranty_rules`` lines read ``MODEL-PATTERN part=MONTHS``, e.g.
``* unit=12`` (every model: the whole unit one year) and ``KFR* compressor=120`` (air
conditioners: the compressor ten years). The pattern is a shell pattern on the model,
case-insensitive; for each part the last matching line wins, so specific lines follow the
general ones. ``unit`` is the whole unit.
"""

from __future__ import annotations

import calendar
import fnmatch
from dataclasses import dataclass
from datetime import date

from core.errors import ConfigError

UNIT = "unit"


@dataclass(frozen=True)
class Rule:
    """One line of the rules."""

    pattern: str
    part: str
    months: int


@dataclass(frozen=True)
class Coverage:
    """What a product's purchase date buys: the unit's end date and each part's."""

    unit: date | None
    parts: dict[str, date]


def parse_rules(lines: list[str]) -> tuple[Rule, ...]:
    """The rules; ConfigError names a line that is not ``PATTERN part=MONTHS``."""
    out: list[Rule] = []
    for i, line in enumerate(lines, 1):
        pattern, _, rest = line.strip().partition(" ")
        part, sep, months = rest.strip().partition("=")
        part = part.strip().lower()
        if not pattern or not sep or not part or not months.strip().isdigit():
            raise ConfigError(
                f"Config key [workorders] warranty_rules line {i} ({line!r}) must read "
                '"MODEL-PATTERN part=MONTHS", e.g. "KFR* compressor=120".'
            )
        out.append(Rule(pattern.lower(), part, int(months)))
    return tuple(out)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` (the 31st becomes the month's last day)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Warranty:
    """Computes coverage from the configured rules."""

    def __init__(self, lines: list[str]) -> None:
        self.rules = parse_rules(lines)

    def months(self, model: str) -> dict[str, int]:
        """{part: months} for ``model``."""
        out: dict[str, int] = {}
        for rule in self.rules:
            if fnmatch.fnmatchcase(model.lower(), rule.pattern):
                out[rule.part] = rule.months
        return out

    def coverage(self, model: str, purchased: date | None) -> Coverage:
        """The unit's and the parts' end dates (none without a purchase date)."""
        if purchased is None:
            return Coverage(None, {})
        months = self.months(model)
        unit = add_months(purchased, months[UNIT]) if UNIT in months else None
        parts = {
            part: add_months(purchased, n)
            for part, n in months.items()
            if part != UNIT and (unit is None or add_months(purchased, n) > unit)
        }
        return Coverage(unit, parts)
