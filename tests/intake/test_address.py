"""Addresses split into province, city and district; none without a city and district."""

from __future__ import annotations

import pytest

from intake.address import parse_address


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("浙江省杭州市西湖区文三路90号", ("浙江省", "杭州市", "西湖区", "文三路90号")),
        ("上海市 浦东新区 世纪大道100号", ("上海市", "上海市", "浦东新区", "世纪大道100号")),
        ("北京朝阳区建国路1号", ("北京市", "北京市", "朝阳区", "建国路1号")),
        ("江苏省苏州市昆山市前进路", ("江苏省", "苏州市", "昆山市", "前进路")),
        ("广西南宁市青秀区民族大道", ("广西", "南宁市", "青秀区", "民族大道")),
        ("杭州市西湖区文三路", ("", "杭州市", "西湖区", "文三路")),
        # Names without 省/市, set apart by spaces, as people type them in a chat.
        ("杭州 西湖区 文三路90号", ("", "杭州市", "西湖区", "文三路90号")),
        ("浙江 杭州 西湖区文三路90号", ("浙江省", "杭州市", "西湖区", "文三路90号")),
        ("广西 南宁 青秀区 民族大道", ("广西", "南宁市", "青秀区", "民族大道")),
        ("北京 朝阳区 建国路1号", ("北京市", "北京市", "朝阳区", "建国路1号")),
    ],
)
def test_parts(raw: str, parts: tuple[str, str, str, str]) -> None:
    a = parse_address(raw)
    assert a is not None and (a.province, a.city, a.district, a.rest) == parts


def test_no_district_no_address() -> None:
    assert parse_address("文三路90号") is None
    assert parse_address("西湖区文三路") is None
    assert parse_address("西湖区 文三路90号") is None  # a district alone is not a city
    assert parse_address("杭州西湖区文三路") is None  # where would the bare name end?
    assert parse_address("浙江省杭州市") is None
    assert parse_address("") is None
    shanghai = parse_address("上海市浦东新区世纪大道100号")
    assert shanghai is not None and shanghai.text == "上海市浦东新区世纪大道100号"
