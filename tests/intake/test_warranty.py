"""Warranty rules: parsing, the last matching line per part, month arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import ConfigError
from intake.warranty import Warranty, add_months


def test_rules_pick_the_last_matching_line_per_part_and_longer_parts_only() -> None:
    w = Warranty(["* unit=12", "KFR* compressor=120", "KFR-72* unit=36", "X* panel=6"])
    cover = w.coverage("kfr-72lw", date(2024, 1, 31))
    assert cover.unit == date(2027, 1, 31)
    assert cover.parts == {"compressor": date(2034, 1, 31)}
    small = w.coverage("XQG100", date(2024, 1, 31))
    assert small.unit == date(2025, 1, 31) and small.parts == {}  # the panel ends earlier
    assert w.coverage("KFR-35", None).unit is None


def test_month_ends_and_bad_lines() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 15), -3) == date(2023, 12, 15)
    with pytest.raises(ConfigError, match=r"line 2 .*MODEL-PATTERN part=MONTHS"):
        Warranty(["* unit=12", "KFR* compressor=ten years"])
