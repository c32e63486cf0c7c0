"""A Chinese sales pitch (channels/email/pitch.py): the broadcast boilerplate beside an offer
or a number to call is a sign (weight 1); a customer asking for an invoice, asking a question,
quoting an ad or giving a phone number is not."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from channels.email.parse import parse_email
from channels.email.pitch import commercial_offer
from tests.channels.email_support.samples import mail
from tests.channels.email_support.samples_pitch import PITCH_PEOPLE, PITCH_ROBOTS

OWN = frozenset({"support@example.com"})


@pytest.mark.parametrize(
    "text",
    [
        # the corpus's invoice spam: "我公司..." is left out as first person; its last line is
        # enough (a number, "微信同号", "此信息永久有效望存")
        "你好！我公司可代开各类增值税发票，17%专用发票，3%普通发票，点数优惠，所开发票均可查询验证后\n"
        "付款，电话：13662615434张经理 （微信同号13662615434）此信息永久有效望存",
        "各位老板好！本公司长期代开各地增值税发票，税点低。此信息长期有效，请保存此信息！",
        "本公司專業辦理企業貸款，三天到帳。有意者請聯繫，手機 0912345678。",
        "承接网站建设与推广，价格从优，欢迎来电咨询 13712345678。",
    ],
)
def test_a_broadcast_pitch(text: str) -> None:
    assert commercial_offer(text)


@pytest.mark.parametrize(
    "text",
    [
        "请帮我开一张增值税专用发票，订单号 A3003。电话 13800138000，微信同号。",
        "请问开专票要另加税点吗？我的手机 13912345678。",
        "这个优惠长期有效吗？电话 13800138000",  # a question
        "我收到一封邮件，内容如下：\n本公司长期代开发票，此信息长期有效，电话 13500000000",
        "你们说会员卡永久有效，现在却不能用了。电话 13800138000",
        "我司需要订购 200 台 K2。联系人：王经理，电话 13600000000。如有打扰，敬请谅解。",
        "我希望存到下个月再发货，电话 13800138000。",  # 希望存, not 望存
        "此信息长期有效。",  # the boilerplate alone: no offer, no number
    ],
)
def test_what_customers_write(text: str) -> None:
    assert not commercial_offer(text)


def test_a_reply_or_a_forward_quotes_someone_else() -> None:
    ad = "本公司长期代开各地发票，税点低。此信息长期有效。"
    assert "commercial_offer" in [s.name for s in parse_email(mail("合作", ad).as_bytes()).signs]
    forward = mail("Fwd: 合作", ad)
    reply = mail("Re: 合作", ad, headers={"In-Reply-To": "<a1@shop.example>"})
    for msg in (forward, reply):
        assert "commercial_offer" not in [s.name for s in parse_email(msg.as_bytes()).signs]


@pytest.mark.parametrize(("name", "msg"), PITCH_PEOPLE, ids=[n for n, _ in PITCH_PEOPLE])
def test_customers_close_to_a_pitch_carry_no_sign_of_one(name: str, msg: EmailMessage) -> None:
    parsed = parse_email(msg.as_bytes(), OWN)
    assert parsed.auto_reason is None and not parsed.signs, (name, parsed.signs)


def test_a_pitch_is_silenced_only_among_other_signs() -> None:
    for name, msg, reason in PITCH_ROBOTS:
        parsed = parse_email(msg.as_bytes(), OWN)
        assert parsed.auto_reason == reason, name
        others = [s for s in parsed.signs if s.name != "commercial_offer"]
        assert len(others) == 3 and all(s.weight == 1 for s in others), name
