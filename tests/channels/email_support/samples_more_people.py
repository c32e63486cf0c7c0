# ruff: noqa: E501  (mail text is kept as written, one message per line)
"""More people: mail that looks like a machine's in one way or another and must still be
answered (the second half of the customers in samples.py)."""

from __future__ import annotations

from email.message import EmailMessage

from tests.channels.email_support.mail_builders import mail, raw, spam_attached

MORE_PEOPLE: list[tuple[str, EmailMessage]] = [
    (
        "near-threshold spam score, real",
        mail(
            "Re: refund",
            "Refund still missing for order 8812.",
            headers={"X-Spam-Status": "No, score=3.6 required=5.0"},
        ),
    ),
    (
        "message-id exchange",
        mail(
            "Installation",
            "Can the installer come on Friday?",
            msgid_domain="DB9PR02MB7755.eurprd02.prod.outlook.com",
            sender="m.rossi@studio.example",
        ),
    ),
    (
        "attachment invoice pdf",
        mail(
            "Invoice wrong",
            "The invoice has the wrong company name; it should be Rossi Studio SRL.",
            sender="m.rossi@studio.example",
        ),
    ),
    (
        "long complaint",
        mail(
            "Very unhappy",
            "This is the third time the oven broke within a year. The engineer came twice. We expect a replacement, not another repair. Please call +39 02 0000 0000.",
        ),
    ),
    (
        "newsletter question first person",
        mail(
            "Your newsletter",
            "I saw the 20% offer in your newsletter (https://shop.example/n/12). Does it apply to spare parts?",
        ),
    ),
    (
        "zh with website signature",
        mail(
            "咨询安装",
            "新房装修，想咨询整套厨电的安装时间。\n\n--\n张工\n某某装饰公司\nhttp://www.zhuangshi.example\n电话 021-00000000",
            sender="zhang@zhuangshi.example",
        ),
    ),
    (
        "zh html from qq mail",
        mail(
            "退款进度",
            "退款申请提交三天了还没处理",
            html="<div>退款申请提交三天了还没处理</div><div><br></div><div>--------------</div><div>王女士</div>",
            sender="wang@qq.example",
            msgid_domain="qq.com",
        ),
    ),
    (
        "from name mailer surname",
        mail(
            "Repair", "The fridge light is off.", sender="Norman Mailer <norman.mailer@x.example>"
        ),
    ),
    ("edm surname? no", mail("Order", "Where is order 991?", sender="ed.m@x.example")),
    (
        "customer sends from alias",
        mail("Invoice", "Need a copy of the invoice for order 2201.", to="service@example.com"),
    ),
    (
        "customer cc list",
        mail(
            "Meeting",
            "Can your technician join our site visit on Tuesday?",
            to="pm@bigco.example, support@example.com",
        ),
    ),
    (
        "support in bcc",
        mail(
            "Warranty claim",
            "Warranty claim for serial SN-88123, the motor is noisy.",
            to="colleague@bigco.example",
        ),
    ),
    (
        "question with price and percent",
        mail("Discount?", "Is the 30% discount valid for the $499 model? Want to buy two."),
    ),
    (
        "exclamation customer",
        mail(
            "URGENT!!!", "WATER EVERYWHERE!!! The washing machine hose burst, send someone today!!!"
        ),
    ),
    (
        "english return with quoted conditions",
        mail(
            "Returns",
            'Your site says "returns within 30 days". It has been 28 days, can I still return?',
        ),
    ),
    (
        "zh asks about automated mail",
        mail("验证码", "你们系统自动发送的验证码邮件一直收不到，请帮忙看看。"),
    ),
    (
        "customer order from shop system copy",
        mail("订单 A3003 发票", "您好，订单 A3003 需要开发票，抬头同上次。谢谢！"),
    ),
    (
        "apple mail html signature",
        mail(
            "Filter",
            "Need 2 replacement filters for the purifier.",
            html='<div>Need 2 replacement filters for the purifier.</div><div><img src="https://cdn.x.example/logo.png"><a href="https://x.example">x.example</a> <a href="https://ig.example/x">IG</a></div>',
            sender="lucy@x.example",
        ),
    ),
    (
        "reply-to personal",
        mail(
            "Order 1200",
            "Please reply to my personal address.",
            headers={"Reply-To": "lucy.home@gmail.example"},
            sender="lucy@x.example",
        ),
    ),
    (
        "customer business newsletter owner",
        mail(
            "Partnership",
            "We run a small newsletter for home cooks and would like to review your blender.",
            sender="hello@homecooks.example",
        ),
    ),
    (
        "zh structured invoice",
        mail(
            "开票信息",
            "单位名称：上海某某有限公司\n纳税人识别号：91310000XXXX\n地址电话：上海市xx路 021-0000\n开户行及账号：工商银行 6222xxxx\n请开专票，谢谢",
        ),
    ),
    (
        "customer pasting do-not-reply",
        mail("收不到货", "你们发来的邮件说：此邮件为系统自动发送，请勿回复。可是货一直没到。"),
    ),
    (
        "en customer complaint about spam",
        mail(
            "Spam",
            "Your promotional emails keep coming although your unsubscribe page says I am removed.",
        ),
    ),
    (
        "customer with review links",
        mail(
            "Reviews",
            "Left reviews on three sites: https://a.example/r/1 https://b.example/r/2 https://c.example/r/3. Any chance of the promised voucher?",
        ),
    ),
    (
        "customer request with two links",
        mail(
            "Parts",
            "Which of these fits model K2? https://shop.example/p/1 or https://shop.example/p/2",
        ),
    ),
    (
        "remove link in a question",
        mail(
            "Cart",
            "Can you take item 3 off order 12? The button https://shop.example/order/12/remove does nothing.",
        ),
    ),
    ("remove me", mail("Mailing list", "Please remove me from your mailing list, thanks.")),
    (
        "asks how to be removed",
        mail(
            "Remove",
            "How do I get removed from the loyalty programme? The app has no button for it.",
        ),
    ),
    (
        "spam complaint subject",
        mail(
            "Spam: your offers keep coming",
            "Your offers keep coming every day although the account was closed in May.",
        ),
    ),
    ("short en", mail("Hi", "Is anyone there? Need help with a refund.")),
    ("short zh", mail("在吗", "在吗？想问下退货地址")),
    (
        "subject starting with Adv.",
        mail("Adv. question: which filter fits K2?", "Which water filter fits the K2 model?"),
    ),
    # Signs of spam tools that a person's mail carries now and then.
    ("forwards a spam as an attachment", spam_attached()),
    (
        "alias with colleagues in cc, raw gbk subject, gateway",
        raw(
            "From: 李经理 <li@factory.example>\r\nTo: sales@example.com\r\n".encode()
            + b"Cc: zhao@factory.example, qian@factory.example\r\n"
            + "Subject: 采购询价\r\n".encode("gbk")  # raw GBK, not RFC 2047-encoded
            + b"Return-Path: <srs0=ab=li@gw.factory-mail.example>\r\n"
            b"Date: Fri, 04 Dec 2026 09:12:00 +0800\r\n"
            b"Message-ID: <20261204091200.1@factory.example>\r\n"
            b"Content-Type: text/plain; charset=gbk\r\n\r\n"
            + "请报 200 台 K2 的价格，谢谢。\r\n".encode("gbk")
        ),
    ),
    (
        "stretched words, no first person",
        mail(
            "Kettle again",
            "Sooooo disappointed. The new kettle leaks agaaaain. Pleeeease call back today.",
        ),
    ),
    (
        "no date from an old client",
        mail("Fridge", "Fridge K2 is noisy, what to do?", headers={"Date": ""}),
    ),
]
