"""A question about repairs goes to the knowledge base; a request for one starts the form.

Found when the work-order and answer branches met: "怎么预约维修？" and the follow-up
"那安装呢" started a repair or installation form instead of being answered.
"""

from __future__ import annotations

import pytest

from bot.repair_form import is_request


@pytest.mark.parametrize(
    "text",
    [
        "维修",
        "我的洗衣机不脱水了，想报修",
        "空调要安装",
        "能上门维修吗",
        "洗衣机坏了，能派师傅上门修理吗？",
        "能不能安排上门安装",
        "my washer is broken, please fix it",
        "Can you repair my fridge?",
        "I want a repair",
    ],
)
def test_requests_start_the_form(text: str) -> None:
    assert is_request(text)


@pytest.mark.parametrize(
    "text",
    ["怎么预约维修？", "那安装呢", "安装收费吗", "维修要多久", "维修？", "How much is a repair?"],
)
def test_questions_about_repairs_do_not(text: str) -> None:
    assert not is_request(text)
