"""Addresses split into province, city and district (省/市/区县), as customers type them.

"浙江省杭州市西湖区文三路 90 号" -> 浙江省 / 杭州市 / 西湖区 / 文三路 90 号; so do "浙江杭州西湖区
文三路90号" and "杭州西湖区文三路90号": the provinces and prefecture-level cities are known by
their short names (intake/regions.py), so a name without 省 or 市 still ends where it should.
The four municipalities (北京, 上海, 天津, 重庆) are their own province and city: "上海浦东新区
张江路88弄3号" -> 上海市 / 上海市 / 浦东新区. A known city with a road, a town or a numbered
building but no district ("杭州文三路100号") is an address too: it reaches the engineers who
cover the city or its province.

English addresses are read by their parts: a street line (a number and words, or a street
word: "12 Baker Street", "88 Century Ave"), units before it ("Room 1203"), places after it
("Pudong, Shanghai"): the last place is the city, the one before it the district.

:func:`problem` says why a text is not an address ("no_city", "no_street", "not_address").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from intake.regions import CITY_PROVINCE, ENGLISH, FULL, MUNICIPALITIES

_PROVINCE = re.compile(
    r"^(?P<p>(?:北京|上海|天津|重庆)市|[\u4e00-\u9fff]{2,3}?省"
    r"|内蒙古自治区|广西壮族自治区|西藏自治区|宁夏回族自治区|新疆维吾尔自治区"
    r"|香港特别行政区|澳门特别行政区)"
)
_BARE_PROVINCE = sorted(FULL, key=len, reverse=True)
_BARE_CITY = sorted(CITY_PROVINCE, key=len, reverse=True)
# What a place name is never made of: the marks of a street, a building or a number.
_NAME = r"[^\W\d_a-zA-Z路街巷弄胡同号室栋幢村镇乡省]"
_CITY = re.compile(rf"^(?P<c>{_NAME}{{2,8}}?(?:自治州|地区|盟|市))")
_DISTRICT = re.compile(rf"^(?P<d>{_NAME}{{1,8}}?(?:新区|区|县|旗|市))")
_BARE = re.compile(r"[\u4e00-\u9fff]{2,4}(?<![省市区县盟旗])(?<!自治州)")
# After a bare name, these say it was a district's or a road's own name ("朝阳区", "南京路").
_NOT_AFTER = frozenset("区县州盟旗省路街道巷弄里")
_STREET_MARK = re.compile(
    r"[路街道巷弄胡同号楼室栋幢单元村镇乡组屯里苑园院坊]|大厦|广场|小区|公寓|花园|\d"
)
# Without a district, the rest must name a road, a town or a numbered building.
_ROAD = re.compile(
    r"[路街巷弄]|大道|胡同|[村镇乡]|小区|大厦|广场|花园|公寓|\d+\s*(?:号|栋|幢|楼|室|单元|弄)"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")

_STREET_WORD = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|av|lane|ln|drive|dr|boulevard|blvd|way|court|ct"
    r"|place|pl|square|sq|terrace|crescent|close|highway|hwy|parkway|pkwy|alley|row|walk"
    r"|gardens?|park|mews|rue|strasse|straße|lu|jie|dao|hutong|nong|xiang)\b\.?",
    re.IGNORECASE,
)
_UNIT = re.compile(
    r"^(?:room|rm|flat|apt|apartment|unit|suite|ste|floor|fl|level|building|bldg|block|blk"
    r"|tower|house|no\.?|#)\s*[\w-]+(?:\s+[\w-]+)*$|^\d+(?:st|nd|rd|th)\s+floor$",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^\d+[a-z]?(?:-\d+)?\s+[a-z]", re.IGNORECASE)
_PLACE = re.compile(r"^[a-z][a-z .'-]{1,40}$", re.IGNORECASE)
_POSTCODE = re.compile(r"^(?:\d{4,6}|[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}|\d{5}(?:-\d{4})?)$", re.I)
_COUNTRY = frozenset(
    "china|prc|p.r.c.|p. r. china|uk|u.k.|united kingdom|england|usa|u.s.a.|us|united states"
    "|canada|australia|singapore|france|germany|japan|korea|italy|spain|ireland|new zealand"
    "|india".split("|")
)
_TRAILING_CODE = re.compile(r"\s+(?:[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}|\d{4,6}(?:-\d{4})?)$", re.I)
_LEAD_EN = re.compile(
    r"^\s*(?:(?:(?:my|the|our)\s+)?(?:home\s+|visit\s+)?address(?:\s+is)?\s*:?|(?:i|we)\s+live\s+at)\s*",
    re.IGNORECASE,
)
_LATIN = re.compile(r"^[A-Za-z0-9 .,:'#/&()\-\n;]+$")


@dataclass(frozen=True)
class Address:
    """An address in parts; ``text`` is the whole, cleaned."""

    province: str
    city: str
    district: str
    rest: str
    written: str = ""  # an English address, as written (its parts are not rejoined)

    @property
    def text(self) -> str:
        """The whole address, without the repeated municipality."""
        if self.written:
            return self.written
        head = self.province if self.province == self.city else self.province + self.city
        return f"{head}{self.district}{self.rest}"

    @property
    def region_province(self) -> str:
        """The province, written or known from the city (杭州 -> 浙江省)."""
        if self.province:
            return self.province
        return CITY_PROVINCE.get(self.city.removesuffix("市"), "")


def _suffixed(raw: str) -> str:
    """Names not in the table and without 省/市, set apart by spaces before the district, get
    them: "浙江 某某 西湖区" -> 浙江省某某市西湖区. Without the spaces nothing says where an
    unknown bare name ends, so nothing is guessed."""
    tokens = raw.split()
    at = next((i for i, t in enumerate(tokens) if _DISTRICT.match(t)), -1)
    if at not in (1, 2) or not all(_BARE.fullmatch(t) for t in tokens[:at]):
        return raw
    if any(t in FULL or t in CITY_PROVINCE for t in tokens[:at]):
        return raw  # known names need no help
    province = f"{tokens[0]}省"
    names = [province, f"{tokens[1]}市"] if at == 2 else [f"{tokens[0]}市"]
    return "".join(names) + "".join(tokens[at:])


def _bare(text: str, names: list[str]) -> str:
    """The known name ``text`` starts with, unless a suffix makes it another's name."""
    for name in names:
        if not text.startswith(name):
            continue
        after = text[len(name) :]
        # "哈尔滨道里区": a district after the name says it was the city's, whatever follows.
        if after[:1] not in _NOT_AFTER or (after[:1] not in "区县" and _DISTRICT.match(after)):
            return name
    return ""


def _province(text: str) -> tuple[str, str]:
    """The province ``text`` starts with (full name) and the text after it."""
    m = _PROVINCE.match(text)
    if m:
        return m.group("p"), text[m.end() :]
    name = _bare(text, _BARE_PROVINCE)  # "浙江杭州…", "北京朝阳区…"
    after = text[len(name) :]
    if name and after[:1] != "市":  # "吉林市" is the city
        return FULL[name], after
    return "", text


def _city(text: str) -> tuple[str, str]:
    """The city ``text`` starts with and the text after it."""
    name = _bare(text, _BARE_CITY)
    if name:
        after = text[len(name) :]
        return name + "市", after[1:] if after.startswith("市") else after
    m = _CITY.match(text)
    if m:
        return m.group("c"), text[m.end() :]
    return "", text


def _chinese(text: str) -> Address | None:
    province, text = _province(text)
    if province[:2] in MUNICIPALITIES:
        city = province
        if text.startswith(("市辖区", "城区")):
            text = text[3 if text.startswith("市辖区") else 2 :]
    else:
        city, text = _city(text)
        if not city:
            return None
    m = _DISTRICT.match(text)
    if m:
        return Address(province, city, m.group("d"), text[m.end() :])
    if _ROAD.search(text):
        return Address(province, city, "", text)  # a street in a known city
    return None


def _english(text: str) -> Address | None:
    text = _LEAD_EN.sub("", text)
    parts = [p.strip(" .") for p in re.split(r"[,\n;]+", text)]
    parts = [p for p in parts if p]
    written = ", ".join(parts)
    while parts and parts[-1].lower() in _COUNTRY:
        parts.pop()
    street = next(
        (i for i, p in enumerate(parts) if _NUMBERED.match(p) or _STREET_WORD.search(p)),
        -1,
    )
    if street < 0 or not all(_UNIT.match(p) for p in parts[:street]):
        return None
    places = [_TRAILING_CODE.sub("", p) for p in parts[street + 1 :] if not _POSTCODE.match(p)]
    if not all(_PLACE.match(p) for p in places) or any(len(p.split()) > 4 for p in places):
        return None
    line = parts[street]
    if not (re.search(r"\d", line) and _STREET_WORD.search(line)) and not places:
        return None  # "12 apples" alone is not a street; "12 Baker Street" or "…, London" is
    if not re.search(r"[a-z]{2}", line, re.IGNORECASE):
        return None
    names = list(places)
    province = ""
    if (
        len(names) >= 2
        and names[-1].lower() in ENGLISH
        and names[-1].lower()
        not in (
            "beijing",
            "shanghai",
            "tianjin",
            "chongqing",
        )
    ):
        province = ENGLISH[names.pop().lower()]
    city = names[-1] if names else ""
    if city.lower() in ENGLISH:
        city = ENGLISH[city.lower()]  # a municipality: "Shanghai" -> 上海市
        province = province or city
    district = names[-2] if len(names) >= 2 else ""
    return Address(province, city, district, ", ".join(parts[: street + 1]), written=written)


def parse_address(raw: str) -> Address | None:
    """The address in parts, or None when it is not one (see :func:`problem`)."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return None
    if _LATIN.match(text) and re.search(r"[A-Za-z]", text):
        return _english(re.sub(r"[ \t]+", " ", text))
    return _chinese(re.sub(r"\s+", "", _suffixed(text)))


# What is wrong, as the desk says it (the bot says it in the customer's language).
ADDRESS_PROBLEMS = {
    "no_city": "an address needs its city (市), e.g. 杭州市西湖区文三路90号",
    "no_street": "an address needs its district or street and number",
    "not_address": "this is not an address",
}


def problem(raw: str) -> str:
    """Why ``raw`` is not an address: "no_city" (a street or district, but no city),
    "no_street" (a city, but no district or street), "not_address"; "" when it is one."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if parse_address(text) is not None:
        return ""
    if not _CJK.search(text):
        places = [p.strip() for p in re.split(r"[,\n;]+", _LEAD_EN.sub("", text)) if p.strip()]
        known = any(p.lower() in ENGLISH for p in places)
        if (
            places
            and (known or _STREET_WORD.search(text))
            and all(_PLACE.match(p) or _UNIT.match(p) for p in places)
        ):
            return "no_street"  # "Pudong, Shanghai"; "Baker Street"
        return "not_address"
    squeezed = re.sub(r"\s+", "", text)
    province, after = _province(squeezed)
    city = province if province[:2] in MUNICIPALITIES else _city(after)[0]
    if city:
        return "no_street"
    if _DISTRICT.match(squeezed) or _STREET_MARK.search(squeezed):
        return "no_city"
    return "not_address"
