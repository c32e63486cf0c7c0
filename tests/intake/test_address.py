"""Addresses split into province, city and district, as customers type them (Chinese and
English); what is not one says why."""

from __future__ import annotations

import pytest

from intake.address import parse_address, problem


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("浙江省杭州市西湖区文三路90号", ("浙江省", "杭州市", "西湖区", "文三路90号")),
        ("上海市 浦东新区 世纪大道100号", ("上海市", "上海市", "浦东新区", "世纪大道100号")),
        ("北京朝阳区建国路1号", ("北京市", "北京市", "朝阳区", "建国路1号")),
        ("江苏省苏州市昆山市前进路", ("江苏省", "苏州市", "昆山市", "前进路")),
        ("广西南宁市青秀区民族大道", ("广西壮族自治区", "南宁市", "青秀区", "民族大道")),
        ("杭州市西湖区文三路", ("", "杭州市", "西湖区", "文三路")),
        # Names without 省/市, set apart by spaces, as people type them in a chat.
        ("杭州 西湖区 文三路90号", ("", "杭州市", "西湖区", "文三路90号")),
        ("浙江 杭州 西湖区文三路90号", ("浙江省", "杭州市", "西湖区", "文三路90号")),
        ("广西 南宁 青秀区 民族大道", ("广西壮族自治区", "南宁市", "青秀区", "民族大道")),
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
    assert parse_address("浙江省杭州市") is None
    assert parse_address("") is None
    shanghai = parse_address("上海市浦东新区世纪大道100号")
    assert shanghai is not None and shanghai.text == "上海市浦东新区世纪大道100号"


@pytest.mark.parametrize(
    ("raw", "parts", "text"),
    [
        # As customers type them: no 省/市, no spaces; the city table says where a name ends.
        (
            "杭州西湖区文三路100号",
            ("", "杭州市", "西湖区", "文三路100号"),
            "杭州市西湖区文三路100号",
        ),
        (
            "浙江杭州西湖区文三路",
            ("浙江省", "杭州市", "西湖区", "文三路"),
            "浙江省杭州市西湖区文三路",
        ),
        (
            "上海浦东新区张江路88弄3号",
            ("上海市", "上海市", "浦东新区", "张江路88弄3号"),
            "上海市浦东新区张江路88弄3号",
        ),
        ("重庆渝中区解放碑步行街8号", ("重庆市", "重庆市", "渝中区", "解放碑步行街8号"), None),
        ("广东深圳南山区科技园南路1号", ("广东省", "深圳市", "南山区", "科技园南路1号"), None),
        ("马鞍山花山区湖东路", ("", "马鞍山市", "花山区", "湖东路"), None),
        ("吉林长春朝阳区人民大街1号", ("吉林省", "长春市", "朝阳区", "人民大街1号"), None),
        ("吉林市船营区北京路", ("", "吉林市", "船营区", "北京路"), None),  # city, not province
        ("江苏苏州昆山市前进路", ("江苏省", "苏州市", "昆山市", "前进路"), None),
        ("黑龙江齐齐哈尔龙沙区", ("黑龙江省", "齐齐哈尔市", "龙沙区", ""), None),
        ("江苏南京鼓楼区中山路", ("江苏省", "南京市", "鼓楼区", "中山路"), None),
        ("哈尔滨道里区中央大街", ("", "哈尔滨市", "道里区", "中央大街"), None),
        # A known city and a street, without the district: an address (the city's engineers).
        ("杭州文三路100号", ("", "杭州市", "", "文三路100号"), "杭州市文三路100号"),
        ("上海南京东路100号", ("上海市", "上海市", "", "南京东路100号"), None),
    ],
)
def test_addresses_as_customers_type_them(
    raw: str, parts: tuple[str, str, str, str], text: str | None
) -> None:
    a = parse_address(raw)
    assert a is not None and (a.province, a.city, a.district, a.rest) == parts
    if text is not None:
        assert a.text == text


def test_the_province_of_a_city_is_known() -> None:
    a = parse_address("杭州西湖区文三路100号")
    assert a is not None and a.region_province == "浙江省"


@pytest.mark.parametrize(
    ("raw", "city", "district", "rest"),
    [
        ("12 Baker Street, London", "London", "", "12 Baker Street"),
        (
            "Room 1203, 88 Century Ave, Pudong, Shanghai",
            "上海市",
            "Pudong",
            "Room 1203, 88 Century Ave",
        ),
        ("Flat 3, 221B Baker Street, London NW1 6XE", "London", "", "Flat 3, 221B Baker Street"),
        ("5 Rue de Rivoli, Paris, France", "Paris", "", "5 Rue de Rivoli"),
        ("Baker Street, London", "London", "", "Baker Street"),
        (
            "No. 1 Jianguo Road, Chaoyang District, Beijing",
            "北京市",
            "Chaoyang District",
            "No. 1 Jianguo Road",
        ),
        ("1 Zhongshan Road, Gulou, Nanjing, Jiangsu", "Nanjing", "Gulou", "1 Zhongshan Road"),
    ],
)
def test_english_addresses(raw: str, city: str, district: str, rest: str) -> None:
    a = parse_address(raw)
    assert a is not None and (a.city, a.district, a.rest) == (city, district, rest)
    assert a.text == raw  # kept as written


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("西湖区文三路", "no_city"),
        ("文三路90号", "no_city"),
        ("南京路100号", "no_city"),  # a road named after a city is not the city
        ("浙江省杭州市", "no_street"),
        ("杭州", "no_street"),
        ("杭州的家里空调不制冷", "no_street"),  # a city named in a fault is not an address
        ("Pudong, Shanghai", "no_street"),
        ("你好", "not_address"),
        ("我的洗衣机坏了", "not_address"),
        ("hello there", "not_address"),
        ("12 apples", "not_address"),
        ("I need a repair", "not_address"),
        ("", "not_address"),
    ],
)
def test_what_is_not_an_address_says_why(raw: str, why: str) -> None:
    assert parse_address(raw) is None
    assert problem(raw) == why


def test_english_words_before_an_address_are_not_part_of_it() -> None:
    a = parse_address("My address is 12 Baker Street, London")
    assert a is not None and a.text == "12 Baker Street, London"
    a = parse_address("Address: 5 Main St, Springfield")
    assert a is not None and (a.city, a.rest) == ("Springfield", "5 Main St")
