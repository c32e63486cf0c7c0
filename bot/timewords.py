"""A preferred visit time in words: "明天下午", "后天上午", "周五晚上", "12月5日下午",
"tomorrow morning", "Friday afternoon" -> a day and a window of hours, in the configured zone;
"明天下午三点", "后天上午10点半", "tomorrow at 3pm" -> a day and that time (15:00, 10:30):
a precise time when one is named, a window when only the part of the day is.

A day alone means the whole working day (09:00-18:00); a clock time without 上午/下午 or
am/pm is read as a working hour ("3点" is 15:00, "8点" 08:00). "周六" said on a Saturday whose
window is over is the next Saturday. A time in the past (this morning, when it
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
RELATIVE |= {"day after tomorrow": 2}
# Short forms of a day and its part: "明早9点", "今晚8点", "tonight".
SHORT = {"明早": "明天早上", "明晚": "明天晚上", "今早": "今天早上", "今晚": "今天晚上"}
SHORT |= {"tonight": "today evening"}
AHEAD_DAYS = 60


_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_DIGITS |= {"八": 8, "九": 9, "十": 10}
_NUM = r"(?:\d{1,2}|十[一二]?|[一二两三四五六七八九])"
# A clock time: "3点", "三点半", "10点30", "10:30", "下午3点一刻"; in English "3pm", "3:30 pm",
# "at 3", "15:00". ``to`` between two makes a window ("2点到4点", "2-4pm").
_CLOCK_ZH = re.compile(
    rf"(?P<h>{_NUM})\s*(?:点|时|:|：)\s*(?:(?P<half>半)|(?P<quarter>一刻|三刻)"
    rf"|(?P<m>[0-5]?\d|[一二三四五]十[一二三四五六七八九]?)\s*分?)?"
)
_CLOCK_EN = re.compile(
    r"(?:\bat\s+)?\b(?P<eh>\d{1,2})(?::(?P<em>[0-5]\d))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)(?!\w)"
    r"|\bat\s+(?P<eh2>\d{1,2})(?::(?P<em2>[0-5]\d))?\b(?!\s*(?:st|nd|rd|th|号|日))"
    r"|\b(?P<eh3>\d{1,2}):(?P<em3>[0-5]\d)\b",
    re.IGNORECASE,
)
_RANGE = re.compile(r"\s*(?:到|-|~|～|至|—|to|until|till)\s*", re.IGNORECASE)
TIME_WORDS = re.compile(
    rf"{_CLOCK_ZH.pattern}|{_CLOCK_EN.pattern}|\b(?:noon|midday)\b", re.IGNORECASE
)


def _number(word: str) -> int:
    """ "3", "三", "十一", "二十五" -> the number."""
    if word.isdigit():
        return int(word)
    if "十" in word:
        tens, _, ones = word.partition("十")
        return _DIGITS.get(tens, 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)
    return _DIGITS.get(word, 0)


@dataclass(frozen=True)
class Clock:
    """A time of day someone named, and where in the text it stands."""

    minutes: int
    start: int
    end: int
    ampm: str = ""  # "am"/"pm" when written with it


def _clocks(text: str) -> list[Clock]:
    """Every clock time in ``text``, in order."""
    found: list[Clock] = []
    for m in _CLOCK_ZH.finditer(text):
        if re.match(r"\s*[日号]", text[m.end() :]) or re.match(r"\d", text[m.end() :]):
            continue
        minutes = 30 if m.group("half") else 0
        if m.group("quarter"):
            minutes = 15 if m.group("quarter") == "一刻" else 45
        if m.group("m"):
            minutes = _number(m.group("m"))
        if m.group("h").isdigit() and text[m.start("h") + len(m.group("h")) :][:1] in ":：":
            if not m.group("m"):
                continue  # "10:" alone
        found.append(Clock(_number(m.group("h")) * 60 + minutes, m.start(), m.end()))
    for m in _CLOCK_EN.finditer(text):
        if any(c.start <= m.start() < c.end for c in found):
            continue
        hour = m.group("eh") or m.group("eh2") or m.group("eh3")
        minute = m.group("em") or m.group("em2") or m.group("em3") or "0"
        ampm = (m.group("ap") or "").replace(".", "").lower()
        found.append(Clock(int(hour) * 60 + int(minute), m.start(), m.end(), ampm))
    return sorted(found, key=lambda c: c.start)


def _in_part(clock: Clock, part: tuple[int, int] | None) -> int:
    """The clock as minutes after midnight, read with the part of day around it ("下午3点"
    is 15:00) or, without one, as a working hour (a visit at "3点" is in the afternoon)."""
    minutes = clock.minutes
    hour = minutes // 60
    if clock.ampm == "pm" and hour < 12:
        return minutes + 12 * 60
    if clock.ampm == "am":
        return minutes - 12 * 60 if hour == 12 else minutes
    if part is not None and part[0] >= 12 and hour < 12:
        return minutes + 12 * 60
    if part is None and 1 <= hour <= 7:
        return minutes + 12 * 60
    return minutes


@dataclass(frozen=True)
class Window:
    """A visit window: a day and minutes after midnight [start, end); a precise time when
    start == end ("明天下午三点")."""

    day: date
    start: int
    end: int

    def _hours(self) -> str:
        first = f"{self.start // 60:02d}:{self.start % 60:02d}"
        if self.end == self.start:
            return first
        return f"{first}-{self.end // 60:02d}:{self.end % 60:02d}"

    def text(self, language: str) -> str:
        """ "12月5日 14:00-18:00" / "Dec 5, 14:00-18:00"; "12月5日 15:00" for a time."""
        if language == "en":
            return f"{self.day:%b} {self.day.day}, {self._hours()}"
        return f"{self.day.month}月{self.day.day}日 {self._hours()}"

    def value(self) -> str:
        """As stored in the ticket's field: "2026-12-05 14:00-18:00", "2026-12-05 15:00"."""
        return f"{self.day.isoformat()} {self._hours()}"


def _day(text: str, today: date) -> tuple[date | None, bool]:
    """The day named, and whether it was a weekday without "next" (周六: the coming one)."""
    for word in sorted(RELATIVE, key=len, reverse=True):
        if word in text:
            return today + timedelta(days=RELATIVE[word]), False
    m = re.search(r"(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*[日号]", text)
    if m:
        month = int(m.group(1)) if m.group(1) else today.month
        try:
            day = date(today.year, month, int(m.group(2)))
        except ValueError:
            return None, False
        if day < today:
            try:
                day = (
                    date(today.year + 1, month, day.day)
                    if m.group(1)
                    else (date(today.year + (month == 12), month % 12 + 1, day.day))
                )
            except ValueError:
                return None, False
        return day, False
    m = re.search(r"(下)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天])", text)
    en = re.search(r"(next\s+)?\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", text)
    if m or en:
        nxt = bool(m.group(1)) if m else bool(en and en.group(1))
        target = WEEKDAYS[m.group(2)] if m else WEEKDAYS[en.group(2)]  # type: ignore[union-attr]
        if nxt:  # 下周一: the Monday of next week
            return today + timedelta(days=7 - today.weekday() + target), False
        return today + timedelta(days=(target - today.weekday()) % 7), True
    return None, False


def _part(text: str) -> tuple[int, int] | None:
    for word, span in sorted(PARTS.items(), key=lambda kv: -len(kv[0])):  # afternoon > noon
        if re.search(rf"\b{word}\b" if word.isascii() else word, text):
            return span
    return None


def _minutes(text: str, part: tuple[int, int] | None) -> tuple[int, int] | None:
    """The hours named: a range ("2点到4点", "2-4pm") or one time ("下午三点"), in minutes."""
    bare = re.search(
        r"\b(\d{1,2})(?::([0-5]\d))?\s*(?:-|~|to|until|till)\s*(\d{1,2})(?::([0-5]\d))?\s*"
        r"(a\.?m|p\.?m)\b",
        text,
    )
    if bare is not None:  # "2-4pm": the am/pm is said once for both
        ampm = bare.group(5).replace(".", "")
        clocks = [
            Clock(int(bare.group(1)) * 60 + int(bare.group(2) or 0), 0, 0, ampm),
            Clock(int(bare.group(3)) * 60 + int(bare.group(4) or 0), 0, 0, ampm),
        ]
        start, end = _in_part(clocks[0], part), _in_part(clocks[1], part)
        return (start, end) if start < end <= 24 * 60 else None
    clocks = _clocks(text)
    if not clocks:
        return None
    first = clocks[0]
    if len(clocks) >= 2 and _RANGE.fullmatch(text[first.end : clocks[1].start]):
        second = clocks[1]
        shared = Clock(first.minutes, first.start, first.end, first.ampm or second.ampm)
        start, end = _in_part(shared, part), _in_part(second, part)
        if end <= start and end < 12 * 60:
            end += 12 * 60
        return (start, end) if start < end <= 24 * 60 else None
    at = _in_part(first, part)
    return (at, at) if 0 <= at < 24 * 60 else None


def parse_window(raw: str, now: datetime) -> Window | None:
    """The window the words name (``now`` in the configured zone), or None."""
    text = unicodedata.normalize("NFKC", raw).lower()
    for short, full in SHORT.items():
        text = text.replace(short, full)
    day, coming = _day(text, now.date())
    part = _part(text)
    clock = _minutes(text, part)
    if day is None:
        if clock is None and part is None:
            return None
        day = now.date()
    start, end = clock or ((part or (9, 18))[0] * 60, (part or (9, 18))[1] * 60)
    # A window must not end within the hour; a time must not have passed.
    late = max(end, start + 60) - 60

    def over(d: date) -> bool:
        return d == now.date() and late <= now.hour * 60 + now.minute

    if coming and over(day):
        day += timedelta(days=7)  # "周六上午" said on Saturday afternoon: the next Saturday
    if over(day):
        return None
    if day < now.date() or day > now.date() + timedelta(days=AHEAD_DAYS):
        return None
    return Window(day, start, end)
