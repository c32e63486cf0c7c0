# ruff: noqa: E501  (mail text is kept as written, one message per line)
"""Chinese sales pitches (channels/email/pitch.py): customers whose mail comes close to one
(an invoice request with a phone number and "微信同号", a question about the tax point, an ad
quoted as received, a polite buyer) and must be answered, and pitches that carry the
broadcast boilerplate among other weak signs and must not be (gathered into samples.py)."""

from __future__ import annotations

from email.message import EmailMessage

from tests.channels.email_support.mail_builders import mail

PITCH_PEOPLE: list[tuple[str, EmailMessage]] = [
    (
        "vat invoice request with phone and 微信同号",
        mail(
            "开发票",
            "您好，请帮我开一张增值税专用发票，订单号 A3003，抬头：杭州某某贸易有限公司。电话 13800138000，微信同号。",
            sender="刘会计 <liu.kuaiji@163.com>",
        ),
    ),
    (
        "asks whether a tax point is added",
        mail("专票", "请问开专票要另加税点吗？我的手机 13912345678，微信同号。"),
    ),
    (
        "quotes an invoice ad received",
        mail(
            "这是你们发的吗",
            "我收到一封自称你们公司的邮件，内容如下：\n本公司长期代开各类发票，此信息长期有效，电话 13500000000\n这是你们发的吗？",
        ),
    ),
    (
        "polite buyer apologising for the intrusion",
        mail(
            "采购询价",
            "我司需要订购 200 台 K2，请尽快报价。联系人：王经理，电话 13600000000。如有打扰，敬请谅解。",
            sender="王经理 <wang.jl@factory.example>",
        ),
    ),
    (
        "complaint about a card said to be valid for ever",
        mail("会员卡", "你们说会员卡永久有效，现在却不能用了。电话 13800138000"),
    ),
]
PITCH_ROBOTS: list[tuple[str, EmailMessage, str]] = [
    (
        "invoice ad with reply-to elsewhere, fake Re: and no message-id",
        _ad := mail(
            "Re: 合作",
            "各位老板好！本公司长期代开全国各地增值税专用发票，税点低。联系人：王经理 电话 13600000000（微信同号）。此信息长期有效，请保存此信息！",
            sender="张会计 <zhang_kuaiji88@163.com>",
            headers={"Reply-To": "3318800@qq.com"},
        ),
        "commercial_offer",
    ),
    (
        "loan ad in traditional chinese from a script to strangers",
        mail(
            "企業貸款",
            "本公司專業辦理企業貸款，三天到帳。有意者請聯繫李小姐，手機 0912345678。本信息長期有效。",
            sender="貸款中心 <loan@finance-tw.example>",
            to="a1@x.example, b2@y.example, c3@z.example",
            headers={"Date": "", "X-Mailer": "PHP/5.4.16"},
        ),
        "commercial_offer",
    ),
]
del _ad["Message-ID"]
