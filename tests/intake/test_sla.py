"""SLA due times on business hours with Chinese holidays and make-up workdays (调休)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.config import load_settings
from core.errors import ConfigError
from intake.sla import BusinessClock, SlaClock

SH = ZoneInfo("Asia/Shanghai")
SETTINGS = load_settings(None, env={}).sla


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def test_within_a_workday_and_over_the_evening() -> None:
    clock = BusinessClock(SETTINGS)
    # Tuesday 2025-03-04 17:00 + 120 business minutes = Wednesday 10:00.
    assert clock.add(sh(2025, 3, 4, 17, 0), 120) == sh(2025, 3, 5, 10, 0).astimezone(UTC)
    # Before opening, the clock starts at 09:00.
    assert clock.add(sh(2025, 3, 4, 7, 30), 30) == sh(2025, 3, 4, 9, 30).astimezone(UTC)


def test_national_day_holiday_is_skipped() -> None:
    clock = BusinessClock(SETTINGS)
    # 2025-09-30 (Tue) 17:00 + 2 h: 1 h that day, then 1-8 Oct are holidays -> 9 Oct 10:00.
    assert not clock.is_workday(sh(2025, 10, 1).date())
    assert clock.add(sh(2025, 9, 30, 17, 0), 120) == sh(2025, 10, 9, 10, 0).astimezone(UTC)


def test_make_up_workday_on_a_weekend_counts() -> None:
    clock = BusinessClock(SETTINGS)
    # Sunday 2025-09-28 is a 调休 workday: a ticket on Saturday evening is due that Sunday.
    assert clock.is_workday(sh(2025, 9, 28).date())
    assert not clock.is_workday(sh(2025, 9, 27).date())
    assert clock.add(sh(2025, 9, 27, 20, 0), 60) == sh(2025, 9, 28, 10, 0).astimezone(UTC)
    # Plain weekdays calendar: the same Sunday is off, due Monday.
    plain = BusinessClock(load_settings(None, env={"KEFU_SLA__CALENDAR": "weekdays"}).sla)
    assert plain.add(sh(2025, 9, 27, 20, 0), 60) == sh(2025, 9, 29, 10, 0).astimezone(UTC)


def test_between_counts_only_business_time() -> None:
    clock = BusinessClock(SETTINGS)
    # Friday 2025-03-07 17:00 -> Monday 10:00: 1 h Friday + 1 h Monday.
    assert clock.between(sh(2025, 3, 7, 17, 0), sh(2025, 3, 10, 10, 0)) == timedelta(hours=2)
    assert clock.between(sh(2025, 3, 10, 10, 0), sh(2025, 3, 7, 17, 0)) == timedelta(0)


def test_policies_per_priority_and_tier() -> None:
    assert SlaClock(SETTINGS).policy("urgent", "normal").resolution_minutes == 48 * 60
    vip = SlaClock(SETTINGS).policy("normal", "vip")
    assert (vip.first_response_minutes, vip.resolution_minutes) == (15, 240)
    clock = SlaClock(SETTINGS)
    start = sh(2025, 9, 30, 17, 0).astimezone(UTC)
    first, res = clock.due_times("normal", "normal", start)
    # Normal: 4 business hours first response, across the National Day holiday.
    assert first == sh(2025, 10, 9, 12, 0).astimezone(UTC)
    # 5 workdays of 9 h.
    assert res == clock.business.add(start, 2700)
    first_u, _ = clock.due_times("urgent", "normal", start)
    assert first_u == start + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"KEFU_SLA__WORKDAY_START": "9am"}, "[sla] workday_start must be HH:MM"),
        ({"KEFU_SLA__WORKDAY_END": "08:00"}, "[sla] workday_end must be after"),
        ({"KEFU_SLA__TIMEZONE": "Mars/Base"}, "[sla] timezone must be an IANA zone"),
        ({"KEFU_SLA__URGENT_CLOCK": "sundial"}, "[sla] urgent_clock must be one of"),
        ({"KEFU_SLA__VIP_RESOLUTION_MINUTES": "0"}, "[sla] vip_resolution_minutes must be between"),
        ({"KEFU_TRIAGE__RULES": 'tier = "vip" -> priority = "asap"'}, "[triage] rules line 1"),
        ({"KEFU_TRIAGE__CATEGORIES": "repair"}, "[triage] categories line 1"),
        ({"KEFU_TICKETS__LOW_SCORE_THRESHOLD": "6"}, "[tickets] low_score_threshold"),
    ],
)
def test_bad_policies_are_rejected_with_the_key_named(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, env=env)
    assert needle in info.value.message
