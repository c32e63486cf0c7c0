"""What one customer message gives the repair form, whatever order it comes in (issue 17):
a phone, an address (Chinese with or without 省/市, or English), a preferred time, and what is
left; and an appliance named alone is not yet a fault. The flows on each channel are in
test_repair_order.py."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.repair_slots import appliance_only, find
from intake.address import parse_address

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 10, 30, tzinfo=ZONE)  # a Thursday morning


def street(text: str) -> str | None:
    found = parse_address(text)
    return None if found is None else found.rest


@pytest.mark.parametrize(
    ("text", "time_too", "phone", "address", "window", "rest"),
    [
        (
            "浙江省杭州市西湖区文三路90号，电话13912345678",
            True,
            "13912345678",
            "浙江省杭州市西湖区文三路90号",
            "",
            "",
        ),
        (
            "地址：杭州市西湖区文三路9号5号楼 手机 139-1234-5678 周六上午都在家",
            True,
            "13912345678",
            "杭州市西湖区文三路9号5号楼",  # "9号" is a house number here, not the 9th
            "周六上午都在家",
            "都在家",
        ),
        (
            "我家在上海市浦东新区周浦镇年家浜路1号",
            True,
            "",
            "上海市浦东新区周浦镇年家浜路1号",
            "",
            "",
        ),
        ("杭州市西湖区，文三路90号", True, "", "杭州市西湖区文三路90号", "", ""),
        (
            "杭州 西湖区 文三路90号 13912345678",
            True,
            "13912345678",
            "杭州 西湖区 文三路90号",
            "",
            "",
        ),
        (
            "地址改成 浙江省杭州市拱墅区湖墅南路1号",
            True,
            "",
            "浙江省杭州市拱墅区湖墅南路1号",
            "",
            "",
        ),
        ("我的洗衣机不脱水了，想报修，我电话+86 139 1234 5678", False, "13912345678", "", "", ""),
        ("今天早上开始漏水了，想报修", False, "", "", "", "今天早上开始漏水了，想报修"),
        ("139 1234 567", True, "", "", "", "139 1234 567"),  # too short: not a phone
        ("序列号 SN13912345678", True, "", "", "", "序列号 SN13912345678"),
        ("my phone is 13912345678, tomorrow afternoon", True, "13912345678", "", "", "my"),
        # Addresses as people type them: no 市, no spaces; English ones over several pieces.
        (
            "杭州西湖区文三路100号，明天下午三点",
            True,
            "",
            "杭州西湖区文三路100号",
            "明天下午三点",
            "",
        ),
        ("浙江杭州西湖区文三路 13912345678", True, "13912345678", "浙江杭州西湖区文三路", "", ""),
        ("上海浦东新区张江路88弄3号", True, "", "上海浦东新区张江路88弄3号", "", ""),
        ("我在杭州家里的空调不制冷了，想报修", False, "", "", "", "我在杭州家里的空调不制冷了"),
        (
            "My address is Room 1203, 88 Century Ave, Pudong, Shanghai, tomorrow at 3pm",
            True,
            "",
            "Room 1203, 88 Century Ave, Pudong, Shanghai",
            "tomorrow at 3pm",
            "",
        ),
        ("I need a repair, 12 Baker Street, London", False, "", "12 Baker Street, London", "", "I"),
    ],
)
def test_what_a_message_gives(
    text: str, time_too: bool, phone: str, address: str, window: str, rest: str
) -> None:
    found = find(text, NOW, street, time_too=time_too)
    assert (found.phone, found.address) == (phone, address)
    if window:
        assert found.window == window
    if "tomorrow afternoon" in text:
        assert found.window.endswith("tomorrow afternoon")
    if rest or not found.keys():
        assert found.rest.replace("，", ",").startswith(rest.replace("，", ",")[:2])


@pytest.mark.parametrize(
    ("text", "only"),
    [("洗衣机", True), ("是我家的空调", True), ("the washer", True), ("洗衣机不转", False)],
)
def test_an_appliance_is_not_a_fault(text: str, only: bool) -> None:
    assert appliance_only(text) is only
