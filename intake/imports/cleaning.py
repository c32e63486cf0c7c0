"""Cleaning values on the way in: phone numbers, emails, WeChat ids, names, times, choices.

Each ``clean_*`` returns the normalized value or raises ``Invalid`` with a reason a person can
act on ("not a Chinese mobile number: 1380013800 has 10 digits").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from core.imports.tabular import Cell, cell_text


class Invalid(ValueError):
    """A value that cannot be imported; the message is the reason."""


_PHONE_JUNK = re.compile(r"[\s\-()（）.·/\u00a0]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0[1-9]\d{8,10}")  # area code + 7-8 digits
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+")
_CHANNEL_ID = re.compile(r"[A-Za-z0-9_\-]{5,64}")  # WeChat ids and openids, and the like
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
_NAME_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
# Legal-form suffixes: "客户A有限公司" and "客户A" are probably the same customer.
_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团",
    "公司",
    "corporation",
    "company",
    "coltd",
    "corp",
    "ltd",
    "llc",
    "inc",
    "co",
)


def nfkc(value: Cell) -> str:
    """The cell as text, full-width characters made half-width, trimmed."""
    return unicodedata.normalize("NFKC", cell_text(value)).strip()


def clean_text(value: Cell, limit: int) -> str:
    """Free text (names, subjects): trimmed, single spaces, control characters removed."""
    text = " ".join(cell_text(value).split())
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    if len(text) > limit:
        raise Invalid(f"longer than {limit} characters")
    return text


def clean_phone(value: Cell) -> str:
    """A Chinese mobile number as 11 digits (+86, 0086, spaces, dashes removed) or a landline."""
    raw = nfkc(value)
    if not raw:
        return ""
    if _SCIENTIFIC.fullmatch(raw):
        raise Invalid(
            f"phone {raw} was stored by Excel as a number in scientific notation and its "
            "digits are lost; format the column as text and export again"
        )
    digits = _PHONE_JUNK.sub("", raw)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("86"):
            raise Invalid(f"phone {raw}: only Chinese (+86) numbers are accepted")
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits.isdigit():
        raise Invalid(f"phone {raw}: not a phone number")
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    if digits.startswith("1"):
        raise Invalid(f"phone {raw}: not a Chinese mobile number ({len(digits)} digits, need 11)")
    raise Invalid(f"phone {raw}: not a Chinese mobile or landline number")


def clean_email(value: Cell) -> str:
    """An email address lower-cased (full-width '＠' and dots made half-width), or Invalid."""
    raw = nfkc(value)
    if not raw:
        return ""
    email = raw.lower().removeprefix("mailto:")
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise Invalid(f"email {raw}: not a valid address")
    return email


def clean_channel_id(value: Cell, channel: str) -> str:
    """A customer's id on a channel, e.g. a WeChat id or openid (letters, digits, '_' and '-')."""
    raw = nfkc(value)
    if not raw:
        return ""
    if not _CHANNEL_ID.fullmatch(raw):
        raise Invalid(f"{channel} id {raw}: use 5-64 letters, digits, '_' or '-'")
    return raw


def clean_tier(value: Cell) -> str:
    """``vip`` for VIP-like values, ``normal`` for empty/ordinary ones, else the value itself."""
    raw = nfkc(value).lower()
    if raw in ("", "normal", "普通", "一般", "普通客户", "standard", "0", "否", "no"):
        return "normal"
    if raw in ("vip", "贵宾", "重要", "重要客户", "vip客户", "大客户", "key", "1", "是", "yes"):
        return "vip"
    if len(raw) > 16:
        raise Invalid(f"tier {raw!r} is longer than 16 characters")
    return raw


def name_key(name: str) -> str:
    """A name reduced for near-duplicate checks: no case, spaces, punctuation, legal suffix."""
    key = _NAME_PUNCT.sub("", unicodedata.normalize("NFKC", name).casefold())
    changed = True
    while changed and key:
        changed = False
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix) + 1:
                key = key[: -len(suffix)]
                changed = True
    return key


def clean_time(value: Cell, zone: ZoneInfo) -> datetime | None:
    """A timestamp (Excel date, ISO, '2023/1/5 14:30', '2023年1月5日') as aware UTC-able time."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(), zone)
    raw = nfkc(value)
    text = re.sub(r"[年月/.]", "-", raw).replace("日", " ").replace("T", " ").strip()
    text = re.sub(r"\s+", " ", text)
    m = re.fullmatch(
        r"(\d{4})-(\d{1,2})-(\d{1,2})(?: (\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?)?秒?)?"
        r"\s*(Z|[+-]\d{2}:?\d{2})?",
        text,
    )
    if not m:
        raise Invalid(f"time {raw!r}: use a form like 2023-01-05 14:30")
    y, mo, d, h, mi, s, tz = m.groups()
    try:
        when = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError as err:
        raise Invalid(f"time {raw!r}: {err}") from None
    if tz:
        offset = datetime.strptime(tz.replace("Z", "+0000").replace(":", ""), "%z").tzinfo
        return when.replace(tzinfo=offset)
    return when.replace(tzinfo=zone)


def clean_choice(value: Cell, choices: dict[str, str], what: str) -> str:
    """One of ``choices`` (keys are accepted spellings, lower-case), or Invalid listing them."""
    raw = nfkc(value)
    hit = choices.get(raw.lower())
    if hit is None:
        allowed = ", ".join(sorted(set(choices.values())))
        raise Invalid(f"{what} {raw!r}: use one of {allowed} (or their Chinese names)")
    return hit
