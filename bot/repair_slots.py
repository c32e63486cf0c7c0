"""What a customer's message in the repair form says besides the answer asked for.

People do not answer one question at a time: "浙江省杭州市西湖区文三路90号，电话13912345678",
"13912345678" when asked for the address, "我的洗衣机不脱水了，想报修，我电话139…" or
"地址…手机…明天下午来". :func:`find` picks out of any message the values whose form is
unmistakable: a mobile number, an address with its city and district, a visit time in words;
and what is left (the rest, for a fault or a model).

A time is looked for only where the address and the phone are not (a house number "9号" is not
the 9th), and only when asked for (a fault often says when it started: "今天早上开始漏水").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.timewords import TIME_WORDS, parse_window
from bot.warranty import KINDS

# The street after the province, city and district of an address, or None when the text is
# not an address with a city and district (the desk's parser: intake/address.py).
AddressRest = Callable[[str], str | None]

PHONE = re.compile(r"(?<![A-Za-z0-9-])(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?![A-Za-z0-9-])")
# Words that name a field ("电话", "手机号", "预约时间") are not part of a value.
LABEL = re.compile(
    r"(?:联系)?(?:电话|手机号?码?|联系方式|号码)(?:是|为)?[:：]?|(?:预约|上门)?时间(?:是|为)?[:：]?"
    r"|\b(?:phone|mobile|tel)(?:\s+(?:number|no\.?))?\s*(?:is)?\s*:?",
    re.IGNORECASE,
)
# What may stand before an address: "地址：", "上门地址是", "我家在", "住在", "地址改成".
LEAD = re.compile(
    r"^(?:(?:上门|安装|收货|详细|家庭)?(?:地址|住址)|我家|我们家|家|我)?(?:改成|改为|换成|改到|换到|是|为|在|住在|:|：)*"
    r"(?:(?:(?:my|the|our)\s+)?(?:home\s+|visit\s+)?address(?:\s+is)?\s*:?\s*"
    r"|(?:i|we)\s+live\s+(?:at|in)\s+|(?:come\s+)?to\s+)?",
    re.IGNORECASE,
)
TIME = re.compile(
    r"(?:今天|明天|后天|大后天|今晚|明晚|明早|今早|下?(?:周|星期|礼拜)[一二三四五六日天]|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
    r"|上午|下午|中午|晚上|早上|傍晚|全天"
    r"|\b(?:today|tomorrow|tonight|(?:next\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|morning|afternoon|evening|noon)\b"
    rf"|(?:到|至|-|~|\bto\b)?\s*(?:{TIME_WORDS.pattern}))",
    re.IGNORECASE,
)
LATIN = re.compile(r"[A-Za-z0-9 .'#/&()-]*[A-Za-z][A-Za-z0-9 .'#/&()-]*")
STREET_WORD = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|room|flat|apt)\b", re.I
)
SEGMENT = re.compile(r"[^，,；;。！!？?\n]+")


@dataclass(frozen=True)
class Found:
    """The values a message gives (as written, to be cleaned by the form) and the rest."""

    phone: str = ""
    address: str = ""
    window: str = ""
    rest: str = ""

    def keys(self) -> set[str]:
        """The fields found."""
        return {k for k in ("phone", "address", "window") if getattr(self, k)}


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = "，"
    return "".join(chars)


def _address(masked: str, street: AddressRest) -> tuple[str, list[tuple[int, int]]]:
    """The first address in the text (city and district, or an English one), and where it
    stands."""
    segments = [(m.start(), m.end()) for m in SEGMENT.finditer(masked) if m.group().strip()]
    for i, (start, end) in enumerate(segments):
        piece = masked[start:end]
        time = TIME.search(piece)  # "…文三路90号 明天下午来": the address ends where a time starts
        if time is not None and time.start() > 0:
            end = start + time.start()
            piece = masked[start:end]
        lead = LEAD.match(piece.strip())
        body = piece.strip()[lead.end() if lead else 0 :].strip()
        if LATIN.fullmatch(body):
            found = _english(masked, segments, i, body, street)
            if found[0]:
                return found
            continue
        rest = street(body)
        if rest is None:
            continue
        spans = [(start, end)]
        if not rest and i + 1 < len(segments):
            # "杭州市西湖区，文三路90号": the street is in the next piece.
            nxt = segments[i + 1]
            tail = masked[nxt[0] : nxt[1]].strip()
            if tail and not TIME.search(tail) and street(tail) is None:
                body += tail
                spans.append(nxt)
        return body, spans
    return "", []


def _english(
    masked: str, segments: list[tuple[int, int]], i: int, body: str, street: AddressRest
) -> tuple[str, list[tuple[int, int]]]:
    """An English address starting at segment ``i`` ("Room 1203, 88 Century Ave, Pudong,
    Shanghai" runs over several): the longest run of following English pieces, without a
    time, that is one."""
    run = [body]
    for start, end in segments[i + 1 :]:
        piece = masked[start:end].strip()
        if not LATIN.fullmatch(piece) or TIME.search(piece):
            break
        run.append(piece)
    for n in range(len(run), 0, -1):
        text = ", ".join(run[:n])
        if street(text) is not None:
            return text, segments[i : i + n]
    return "", []


def find(text: str, now: datetime, street: AddressRest, *, time_too: bool) -> Found:
    """The phone, address and (``time_too``) visit time ``text`` gives, and its rest."""
    text = unicodedata.normalize("NFKC", text)
    phones = list(PHONE.finditer(text))
    spans = [m.span() for m in phones] + [m.span() for m in LABEL.finditer(text)]
    masked = _mask(text, spans)
    address, where = _address(masked, street)
    masked = _mask(masked, where)
    window = ""
    if time_too and TIME.search(masked):
        parsed = parse_window(masked, now)
        if parsed is not None:
            window = "，".join(s.strip() for s in SEGMENT.findall(masked) if s.strip())
            masked = _mask(masked, [m.span() for m in TIME.finditer(masked)])
    rest = "，".join(s.strip() for s in SEGMENT.findall(masked) if s.strip())
    phone = re.sub(r"\D", "", phones[0].group(1)) if phones else ""
    return Found(phone, address, window, rest)


def tries(kind: str, rest: str) -> bool:
    """Whether what is left of a message still tries to give a field of this kind (and so
    deserves to be told what is wrong with it) rather than being the words around others."""
    if kind == "address":
        marks = re.search(r"[省市区县镇乡村路街道巷弄号楼室栋]", rest)
        return bool(marks or STREET_WORD.search(rest))
    if kind == "phone":
        return len(re.sub(r"\D", "", rest)) >= 5
    return False


def appliance_only(text: str) -> bool:
    """Whether the text names an appliance and nothing else ("洗衣机", "是我家的空调", "the
    washer"): an answer that says which machine, not what is wrong with it."""
    low = unicodedata.normalize("NFKC", text).lower()
    rest = low
    for word in sorted(KINDS, key=len, reverse=True):
        rest = rest.replace(word, " ")
    if rest == low:
        return False
    rest = re.sub(
        r"我的|我们?家的?|家里的?|是|的|那台|这台|\b(?:my|the|it'?s|our)\b|[^\w]", "", rest
    )
    return len(rest) < 2
