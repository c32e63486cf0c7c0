"""Chinese postal addresses split into province, city and district (省/市/区县).

"浙江省杭州市西湖区文三路 90 号" -> 浙江省 / 杭州市 / 西湖区 / 文三路 90 号. The four
municipalities (北京, 上海, 天津, 重庆) are their own province and city: "上海市浦东新区..." ->
上海市 / 上海市 / 浦东新区. A visit is dispatched by district, so an address without one is
not accepted where a visit may follow.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MUNICIPALITIES = ("北京", "上海", "天津", "重庆")
_PROVINCE = re.compile(
    r"^(?P<p>(?:北京|上海|天津|重庆)市?|[\u4e00-\u9fff]{2,3}?省"
    r"|内蒙古(?:自治区)?|广西(?:壮族自治区)?|西藏(?:自治区)?|宁夏(?:回族自治区)?"
    r"|新疆(?:维吾尔自治区)?|香港(?:特别行政区)?|澳门(?:特别行政区)?)"
)
_CITY = re.compile(r"^(?P<c>[\u4e00-\u9fff]{2,8}?(?:自治州|地区|盟|市))")
_DISTRICT = re.compile(r"^(?P<d>[\u4e00-\u9fff]{1,8}?(?:新区|区|县|旗|市))")
_BARE = re.compile(r"[\u4e00-\u9fff]{2,4}(?<![省市区县盟旗])(?<!自治州)")


@dataclass(frozen=True)
class Address:
    """An address in parts; ``text`` is the whole, cleaned."""

    province: str
    city: str
    district: str
    rest: str

    @property
    def text(self) -> str:
        """The whole address, without the repeated municipality."""
        head = self.province if self.province == self.city else self.province + self.city
        return f"{head}{self.district}{self.rest}"


def _suffixed(raw: str) -> str:
    """Names written without 省/市 but set apart by spaces before the district get them:
    "杭州 西湖区 文三路90号" -> 杭州市西湖区…, "浙江 杭州 西湖区" -> 浙江省杭州市西湖区. Without
    the spaces nothing says where a bare name ends, so nothing is guessed."""
    tokens = raw.split()
    at = next((i for i, t in enumerate(tokens) if _DISTRICT.match(t)), -1)
    if at not in (1, 2) or not all(_BARE.fullmatch(t) for t in tokens[:at]):
        return raw
    known = bool(_PROVINCE.fullmatch(tokens[0]))  # "北京", "广西": no suffix needed
    if at == 1 and known:
        return raw
    province = tokens[0] if known else f"{tokens[0]}省"
    names = [province, f"{tokens[1]}市"] if at == 2 else [f"{tokens[0]}市"]
    return "".join(names) + "".join(tokens[at:])


def parse_address(raw: str) -> Address | None:
    """The address in parts, or None when it has no city and district."""
    text = re.sub(r"\s+", "", _suffixed(unicodedata.normalize("NFKC", raw or "")))
    province = ""
    m = _PROVINCE.match(text)
    if m:
        province = m.group("p")
        text = text[m.end() :]
    if province[:2] in MUNICIPALITIES:
        province = province[:2] + "市"
        city = province
        if text.startswith(("市辖区", "城区")):
            text = text[3 if text.startswith("市辖区") else 2 :]
    else:
        m = _CITY.match(text)
        if not m:
            return None
        city = m.group("c")
        text = text[m.end() :]
    m = _DISTRICT.match(text)
    if not m:
        return None
    district = m.group("d")
    return Address(province, city, district, text[m.end() :])
