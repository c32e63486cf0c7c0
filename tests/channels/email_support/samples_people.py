# ruff: noqa: E501  (mail text is kept as written, one message per line)
"""People writing to the company: every one of these must be answered (the first half;
samples.py holds the whole labelled set)."""

from __future__ import annotations

from email.message import EmailMessage

from tests.channels.email_support.mail_builders import (
    PASTED_CONFIRMATION,
    SIGNATURE_HTML,
    mail,
    newsletter_html,
    tracked_links,
)

PEOPLE: list[tuple[str, EmailMessage]] = [
    ("zh return", mail("退货申请", "你好，我上周买的电饭煲有异味，想退货，订单号 A1001。")),
    ("zh repair", mail("洗衣机不脱水", "洗衣机不脱水，型号 XQB80，能派师傅上门吗？谢谢")),
    (
        "zh invoice",
        mail(
            "开发票",
            "麻烦帮我开一张增值税普通发票，抬头：上海某某科技有限公司，税号 91310000MA1FL。",
        ),
    ),
    (
        "zh invoice company voice",
        mail("发票", "我们公司需要订单 A2002 的专用发票，请开具后寄到财务部。"),
    ),
    (
        "zh traditional",
        mail(
            "維修",
            "您好，冷氣不冷了，請問保固內維修要怎麼申請？",
            sender="陳小姐 <chen@hk.example>",
        ),
    ),
    (
        "en return",
        mail(
            "Return request",
            "Hello, the kettle I ordered arrived with a cracked lid. Can I return it? Order 55123.",
            sender="Amy Lee <amy.lee@gmail.example>",
        ),
    ),
    (
        "en repair with iphone sig",
        mail(
            "Dishwasher error E24",
            "Our dishwasher shows E24 and will not drain. What should we do?\n\nSent from my iPhone",
            sender="tom@family.example",
        ),
    ),
    (
        "en invoice",
        mail(
            "Invoice for order 7781",
            "Please send the invoice for order 7781 to accounts@bigco.example. Thanks, Daniel",
            sender="Daniel Brooks <d.brooks@bigco.example>",
        ),
    ),
    (
        "phone number mailbox",
        mail(
            "空调漏水",
            "空调室内机漏水，麻烦安排维修。地址：北京市朝阳区xx路1号",
            sender="13800138000@163.example",
        ),
    ),
    ("qq number mailbox", mail("咨询", "请问这款冰箱有没有现货？", sender="123456789@qq.example")),
    (
        "role mailbox info@",
        mail(
            "Bulk order",
            "We would like to order 40 units of model K2. Please send a quote.",
            sender="info@smallcafe.example",
        ),
    ),
    (
        "role mailbox sales@",
        mail(
            "Invoice copy",
            "Could you resend invoice INV-2291? It went missing.",
            sender="sales@distributor.example",
        ),
    ),
    (
        "signature with links",
        mail(
            "Warranty",
            "Is the compressor covered for 5 years?\n\n--\nJohn Park\nhttps://www.parkdesign.example\nhttps://linkedin.example/in/jpark\n+1 555 0100",
            sender="john@parkdesign.example",
        ),
    ),
    (
        "html gmail style",
        mail(
            "Broken handle",
            "The handle of the pan came off. Can you replace it?",
            html='<div dir="ltr">The handle of the pan came off. Can you replace it?<br></div>',
            msgid_domain="mail.gmail.com",
            sender="kate.w@gmail.example",
        ),
    ),
    (
        "outlook html signature, no first person",
        mail(
            "Invoice for PO 4410",
            "Please send the invoice for PO 4410 to our accounts team.\n\nDaniel Brooks",
            html=f"<p class=MsoNormal>Please send the invoice for PO 4410 to our accounts team.</p>{SIGNATURE_HTML}",
            msgid_domain="AM0PR01MB1234.eurprd01.prod.outlook.com",
            sender="Daniel Brooks <d.brooks@bigco.example>",
        ),
    ),
    (
        "outlook html signature, first person",
        mail(
            "Return",
            "I need to return two toasters from PO 4410.",
            html=f"<p>I need to return two toasters from PO 4410.</p>{SIGNATURE_HTML}",
            sender="d.brooks@bigco.example",
        ),
    ),
    (
        "pasted confirmation after intro",
        mail(
            "Where is my order",
            "Hi, my order never arrived. This is what I got from you:\n\n" + PASTED_CONFIRMATION,
        ),
    ),
    (
        "pasted confirmation no intro",
        mail("订单没收到", "我的订单一直没到，下面是确认邮件\n\n" + PASTED_CONFIRMATION),
    ),
    (
        "forwarded confirmation",
        mail(
            "Fwd: Your order has shipped",
            "Can you check this? Nothing came.\n\n---------- Forwarded message ---------\nFrom: Shop <noreply@shop.example>\nSubject: Your order has shipped\n\n"
            + PASTED_CONFIRMATION,
        ),
    ),
    (
        "forwarded newsletter html",
        mail(
            "Fwd: 双十二大促",
            "这个优惠我能用吗？",
            html="<div>这个优惠我能用吗？</div><blockquote>"
            + newsletter_html("双十二大促 全场五折", "如不想再收到此类邮件，请点击退订")
            + "</blockquote>",
        ),
    ),
    ("forwarded ad subject", mail("转发: 【广告】冬季家电节", "请问这个活动在门店也有吗？")),
    (
        "quoted reply",
        mail(
            "Re: 您的工单 #1203",
            "好的，周六上午可以。\n\n在 2026年12月1日 10:00，客服 <support@example.com> 写道：\n> 请问周六上午方便上门吗？\n> https://example.com/ticket/1203",
            headers={"In-Reply-To": "<abc@example.com>", "References": "<abc@example.com>"},
        ),
    ),
    (
        "reply quoting our bot with links",
        mail(
            "Re: Order 55123",
            "Thanks, that worked.\n\nOn Mon, Dec 1, 2026, Support wrote:\n> See https://example.com/a https://example.com/b\n> Unsubscribe from notifications: https://example.com/u",
            headers={"In-Reply-To": "<bot1@example.com>"},
        ),
    ),
    (
        "manual Re: subject via gateway",
        mail(
            "Re: 订单问题",
            "上次说的退款还没到账，麻烦查一下。",
            headers={"Return-Path": "<wang.fang=customer.example@relay.mailsec.example>"},
        ),
    ),
    (
        "three weak header signs",
        mail(
            "RE: quote",
            "Please confirm the quote for 20 units.",
            sender="li.na@factory.example",
            headers={
                "Return-Path": "<SRS0=ab12=xy=factory.example=li.na@fwd.example>",
                "Reply-To": "li.na@personal.example",
            },
        ),
    ),
    (
        "asks to unsubscribe",
        mail("Unsubscribe", "Please unsubscribe me from your newsletter, thanks."),
    ),
    ("no longer wish", mail("Emails", "I no longer wish to receive your promotional emails.")),
    ("zh unsubscribe complaint", mail("退订", "你们的退订链接无效，回复TD也没用，还在发。")),
    ("stop texts", mail("Texts", "I replied STOP to unsubscribe but I still get your texts.")),
    (
        "single do-not-reply line",
        mail("换邮箱", "此邮箱不常用，请勿回复到这里，请致电 13900001111 联系王女士。"),
    ),
    (
        "many product links",
        mail(
            "Quote request",
            "Please quote the following items:\n"
            + "".join(f"https://shop.example/p/{i}\n" for i in range(12)),
            sender="buyer@hotel.example",
        ),
    ),
    (
        "pasted tracking table html",
        mail(
            "Parcel stuck",
            "My parcel is stuck, see the tracking below.",
            html="<p>My parcel is stuck, see the tracking below.</p><table><tr><td>"
            + tracked_links("track.example", 14)
            + '</td></tr></table><table><tr><td><img src="https://track.example/logo.png"></td></tr></table><img src="https://t.example/open/1.gif" width="1" height="1">',
            html_only=True,
        ),
    ),
    (
        "mail tracker extension",
        mail(
            "Delivery date",
            "When will my washing machine be delivered? I ordered it on Monday.",
            html='<div>When will my washing machine be delivered? I ordered it on Monday.</div><img src="https://mailtrack.example/trace/open/1.png" width="1" height="1">',
        ),
    ),
    (
        "html-only mobile client",
        mail(
            "照片",
            "见附件照片，洗衣机门封漏水。",
            html="<div>见附件照片，洗衣机门封漏水。</div>",
            html_only=True,
        ),
    ),
    (
        "structured repair request",
        mail(
            "报修",
            "姓名：王芳\n电话：13800138000\n地址：上海市徐汇区xx路2号\n型号：XQB80\n故障：不脱水",
        ),
    ),
    (
        "structured with other email",
        mail(
            "报修申请",
            "姓名：李雷\n电话：13900001111\n邮箱：lilei.home@qq.example\n故障：冰箱不制冷",
        ),
    ),
    (
        "AD in subject word",
        mail(
            "AD account for warranty portal locked",
            "The warranty portal says my account is locked.",
        ),
    ),
    (
        "low spam score",
        mail(
            "Spare parts",
            "Do you sell a spare filter for model P3?",
            headers={"X-Spam-Status": "No, score=1.2 required=5.0", "X-Spam-Level": "*"},
        ),
    ),
]
