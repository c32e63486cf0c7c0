"""A preferred visit time in words: "明天下午", "后天上午", "周五晚上", "12月5日下午",
"tomorrow morning", "Friday afternoon" -> a day and a window of hours, in the configured zone.

A day alone means the whole working day (09:00-18:00). A time in the past (this morning, when it
is already afternoon) or more than 60 days ahead is not accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

PARTS: dict[str, tuple[int, int]] = {
    "上午": (9, 12),
    "早上": (9, 12),
    "中午": (12, 14),
    "下午": (14, 18),
    "晚上": (18, 21),
    "傍晚": (17, 19),
    "全天": (9, 18),
    "morning": (9, 12),
    "noon": (12, 14),
    "afternoon": (14, 18),
    "evening": (18, 21),
}
WEEKDAYS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
RELATIVE = {"今天": 0, "明天": 1, "后天": 2, "大后天": 3, "today": 0, "tomorrow": 1}
AHEAD_DAYS = 60


@dataclass(frozen=True)
class Window:
    """A visit window: a day and hours [start, end)."""

    day: date
    start: int
    end: int

    def text(self, language: str) -> str:
        """ "12月5日 14:00-18:00" / "Dec 5, 14:00-18:00"."""
        if language == "en":
            return f"{self.day:%b} {self.day.day}, {self.start:02d}:00-{self.end:02d}:00"
        return f"{self.day.month}月{self.day.day}日 {self.start:02d}:00-{self.end:02d}:00"

    def value(self) -> str:
        """As stored in the ticket's field: "2026-12-05 14:00-18:00"."""
        return f"{self.day.isoformat()} {self.start:02d}:00-{self.end:02d}:00"


def _day(text: str, today: date) -> date | None:
    for word in sorted(RELATIVE, key=len, reverse=True):
        if word in text:
            return today + timedelta(days=RELATIVE[word])
    m = re.search(r"(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*[日号]", text)
    if m:
        month = int(m.group(1)) if m.group(1) else today.month
        try:
            day = date(today.year, month, int(m.group(2)))
        except ValueError:
            return None
        if day < today:
            try:
                day = (
                    date(today.year + 1, month, day.day)
                    if m.group(1)
                    else (date(today.year + (month == 12), month % 12 + 1, day.day))
                )
            except ValueError:
                return None
        return day
    m = re.search(r"(下)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天])", text)
    en = re.search(r"(next\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", text)
    if m or en:
        nxt = bool(m.group(1)) if m else bool(en and en.group(1))
        target = WEEKDAYS[m.group(2)] if m else WEEKDAYS[en.group(2)]  # type: ignore[union-attr]
        if nxt:  # 下周一: the Monday of next week
            return today + timedelta(days=7 - today.weekday() + target)
        return today + timedelta(days=(target - today.weekday()) % 7)
    return None


def parse_window(raw: str, now: datetime) -> Window | None:
    """The window the words name (``now`` in the configured zone), or None."""
    text = unicodedata.normalize("NFKC", raw).lower()
    day = _day(text, now.date())
    hours: tuple[int, int] | None = None
    for word, span in sorted(PARTS.items(), key=lambda kv: -len(kv[0])):  # afternoon > noon
        if word in text:
            hours = span
            break
    m = re.search(
        r"(\d{1,2})\s*[点:：]\s*(?:(\d{2})\s*分?)?\s*(?:到|-|~|至)\s*(\d{1,2})\s*[点:：]?", text
    )
    if m:
        start, end = int(m.group(1)), int(m.group(3))
        if hours and hours[0] >= 12 and start < 12:
            start, end = start + 12, end + 12
        if 0 <= start < end <= 24:
            hours = (start, end)
    if day is None:
        if hours is None:
            return None
        day = now.date()
    start, end = hours or (9, 18)
    if day == now.date() and end <= now.hour + 1:
        return None
    if day < now.date() or day > now.date() + timedelta(days=AHEAD_DAYS):
        return None
    return Window(day, start, end)
