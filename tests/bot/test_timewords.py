"""Visit times in words (issue 17): a precise time when one is named ("明天下午三点" is 15:00,
not the afternoon), a window when only the part of the day is, in the configured zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.repair_texts import window_text
from bot.timewords import parse_window

ZONE = ZoneInfo("Asia/Shanghai")
THURSDAY = datetime(2026, 12, 3, 10, 30, tzinfo=ZONE)


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("明天下午三点", "2026-12-04 15:00"),
        ("明天下午3点", "2026-12-04 15:00"),
        ("后天上午10点半", "2026-12-05 10:30"),
        ("后天下午两点一刻", "2026-12-05 14:15"),
        ("明天晚上8点", "2026-12-04 20:00"),
        ("明天十二点", "2026-12-04 12:00"),
        ("明天3点", "2026-12-04 15:00"),  # no 上午/下午: a working hour
        ("明天上午10:30", "2026-12-04 10:30"),
        ("下周一下午", "2026-12-07 14:00-18:00"),
        ("周六上午", "2026-12-05 09:00-12:00"),
        ("明天下午", "2026-12-04 14:00-18:00"),
        ("明天下午2点到4点", "2026-12-04 14:00-16:00"),
        ("tomorrow at 3pm", "2026-12-04 15:00"),
        ("tomorrow at 3", "2026-12-04 15:00"),
        ("Saturday 10am", "2026-12-05 10:00"),
        ("tomorrow 2-4pm", "2026-12-04 14:00-16:00"),
        ("tomorrow 2pm to 4pm", "2026-12-04 14:00-16:00"),
        ("next Monday morning", "2026-12-07 09:00-12:00"),
        ("today at 4pm", "2026-12-03 16:00"),
        ("明早9点", "2026-12-04 09:00"),
        ("今晚8点", "2026-12-03 20:00"),
        ("明晚", "2026-12-04 18:00-21:00"),
        ("明天下午三点到五点", "2026-12-04 15:00-17:00"),
        ("下周三上午九点", "2026-12-09 09:00"),
        ("the day after tomorrow at 3pm", "2026-12-05 15:00"),
        ("tomorrow 9:00-11:00", "2026-12-04 09:00-11:00"),
    ],
)
def test_a_time_is_a_time_and_a_part_of_the_day_a_window(words: str, value: str) -> None:
    window = parse_window(words, THURSDAY)
    assert window is not None and window.value() == value


def test_past_times_are_refused_and_a_weekday_whose_window_is_over_is_the_next() -> None:
    assert parse_window("今天上午9点", THURSDAY) is None
    assert parse_window("today at 8am", THURSDAY) is None
    saturday_evening = datetime(2026, 12, 5, 19, 0, tzinfo=ZONE)
    window = parse_window("周六上午", saturday_evening)
    assert window is not None and window.value() == "2026-12-12 09:00-12:00"


def test_the_day_is_the_configured_zones() -> None:
    # 23:30 in London on Dec 3 is 07:30 on Dec 4 in Shanghai: "tomorrow" differs.
    instant = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    london = parse_window("tomorrow at 3pm", instant.astimezone(ZoneInfo("Europe/London")))
    shanghai = parse_window("tomorrow at 3pm", instant.astimezone(ZONE))
    assert london is not None and london.value() == "2026-12-04 15:00"
    assert shanghai is not None and shanghai.value() == "2026-12-05 15:00"


def test_the_customer_reads_a_time_or_a_window() -> None:
    assert window_text("2026-12-04 15:00", "zh") == "12月4日 15:00"
    assert window_text("2026-12-04 10:30", "en") == "Dec 4, 10:30"
    assert window_text("2026-12-04 14:00-18:00", "zh") == "12月4日 14:00-18:00"
