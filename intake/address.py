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


def parse_address(raw: str) -> Address | None:
    """The address in parts, or None when it has no city and district."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or ""))
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
