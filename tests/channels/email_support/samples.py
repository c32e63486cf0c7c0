# ruff: noqa: E501  (mail text is kept as written, one message per line)
"""A labelled set of realistic mail for the "automatic sender" decision (tests/channels/
test_email_signs.py): customers' mail that must be answered, however much of it looks like a
machine's (links, signatures, pasted confirmations, quoted replies, forwards, company
gateways), and machines' mail that carries no header saying so and must not be."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import compat32
from email.utils import formatdate, make_msgid

from tests.channels.email_support.app import ADDRESS


def mail(
    subject: str,
    text: str,
    *,
    sender: str = "王芳 <wang.fang@customer.example>",
    html: str | None = None,
    html_only: bool = False,
    headers: dict[str, str] | None = None,
    msgid_domain: str = "mail.customer.example",
    to: str = ADDRESS,
) -> EmailMessage:
    """A mail as a client or a sending system writes it: text, an HTML alternative or HTML
    alone, extra ``headers``; its Message-ID under ``msgid_domain``, and a Date (every mail
    client writes one; a ``Date`` in ``headers`` replaces it, ``""`` leaves it out)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=msgid_domain)
    extra = dict(headers or {})
    date = extra.pop("Date", formatdate(localtime=True))
    if date:
        msg["Date"] = date
    for key, value in extra.items():
        msg[key] = value
    if html_only and html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    return msg


def _links(base: str, n: int) -> str:
    return "".join(
        f'<td><a href="https://{base}/c/{i}?u=8f2e&amp;m=77">Item {i}</a></td>' for i in range(n)
    )


def newsletter_html(body: str, footer: str, links: int = 12, pixel: bool = True) -> str:
    """A mailing's HTML: a table layout, a logo and product pictures, tracked links, a 1x1
    open pixel, ``footer`` at the bottom."""
    images = "".join(
        f'<img src="https://img.shop.example/p/{i}.jpg" width="180" alt="">' for i in range(4)
    )
    track = (
        '<img src="https://t.shop.example/open/8f2e77.gif" width="1" height="1" alt="">'
        if pixel
        else ""
    )
    return (
        '<table width="600" align="center"><tr><td><img src="https://img.shop.example/logo.png"'
        f' alt="Shop"></td></tr><tr><td>{body}</td></tr><tr><td><table><tr>{images}</tr>'
        f"</table></td></tr><tr><td><table><tr>{_links('click.shop.example', links)}</tr>"
        f'</table></td></tr><tr><td style="font-size:11px;color:#999">{footer}</td></tr>'
        f"</table>{track}"
    )


SIGNATURE_HTML = (
    '<table><tr><td><img src="https://cdn.bigco.example/sig/logo.png" width="120"></td>'
    "<td><b>Daniel Brooks</b><br>Procurement Manager | BigCo Ltd.<br>"
    '<a href="https://www.bigco.example">www.bigco.example</a> | +44 20 7946 0000</td></tr>'
    '<tr><td colspan="2"><a href="https://linkedin.example/bigco"><img src="https://cdn.bigco.'
    'example/sig/in.png"></a> <a href="https://x.example/bigco"><img src="https://cdn.bigco.'
    'example/sig/x.png"></a> <a href="https://youtube.example/bigco"><img src="https://cdn.'
    'bigco.example/sig/yt.png"></a></td></tr></table><table><tr><td style="font-size:9px">'
    "This e-mail is confidential. If you have received this email in error, please notify the"
    " sender and delete it. Please consider the environment before printing.</td></tr></table>"
)
PASTED_CONFIRMATION = (
    "Order confirmation #A20261201-88\n"
    "Thank you for your order!\n"
    + "".join(f"https://shop.example/item/{i}\n" for i in range(12))
    + "Track your parcel: https://shop.example/track/88\n"
    "This is an automated message, please do not reply.\n"
    "Unsubscribe: https://shop.example/u?id=8f2e\n"
)


def _spam_attached() -> EmailMessage:
    """A customer sends on, as an attachment, a spam that claims to come from the shop: the
    attached mail's broken MIME is the spammer's, not the customer's."""
    spam = mail("Your account", "Verify your acount now.", sender="Shop <x@spam.example>")
    del spam["Content-Transfer-Encoding"]
    spam["Content-Transfer-Encoding"] = "plain"
    msg = mail(
        "Is this mail from you?",
        "I got the attached mail today, it says it is from your shop. Is it real?",
        sender="Mia Chen <mia@home.example>",
        headers={"Reply-To": "mia.chen@work.example"},
    )
    msg.add_attachment(spam)
    return msg


def _broken_mime(msg: EmailMessage, encoding: str) -> EmailMessage:
    """``msg`` with the Content-Transfer-Encoding a spam tool wrote."""
    del msg["Content-Transfer-Encoding"]
    msg["Content-Transfer-Encoding"] = encoding
    return msg


def _raw(data: bytes) -> EmailMessage:
    """A mail exactly as these bytes (raw 8-bit headers kept)."""
    msg = email.message_from_bytes(data, _class=EmailMessage, policy=compat32)
    assert isinstance(msg, EmailMessage)
    return msg


def _no_media_type() -> EmailMessage:
    """A scam whose photo is a part with an empty Content-Type."""
    msg = mail(
        "Re: hello dear",
        "Hello Dear, how are you? Seeking a serious relationship, your address was found in a search.",
        sender="Anna <anna.k@webmail.example>",
    )
    msg.add_attachment(b"\xff\xd8\xff", "image", "jpeg", filename="face.jpg")
    photo = msg.get_payload()[-1]  # type: ignore[index]
    assert isinstance(photo, EmailMessage)
    photo.replace_header("Content-Type", '; name="face.jpg"')
    return msg


# People: every one of these must be answered.
CUSTOMERS: list[tuple[str, EmailMessage]] = [
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
            + _links("track.example", 14)
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
    ("forwards a spam as an attachment", _spam_attached()),
    (
        "alias with colleagues in cc, raw gbk subject, gateway",
        _raw(
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

# Machines without a header that says so: none of these may be answered.
ROBOTS: list[tuple[str, EmailMessage, str]] = [
    (
        "promo html with pixel and links",
        mail(
            "Spring sale: 20% off",
            "",
            html=newsletter_html("Spring sale: 20% off all appliances.", "Shop Ltd, 1 Main St."),
            html_only=True,
            sender="Shop <service@shop.example>",
        ),
        "tracking_pixel",
    ),
    (
        "newsletter stripped of list headers, 退订 without link",
        mail(
            "十二月新品",
            "",
            html=newsletter_html("十二月新品上市。", "如需取消订阅，请登录账户设置。"),
            html_only=True,
            sender="某某商城 <service@shop.example>",
        ),
        "bulk_content",
    ),
    (
        "order shipped notice html only",
        mail(
            "您的订单已发货",
            "",
            html=newsletter_html(
                "您的订单 A1001 已发货，预计 3 天送达。", "某某商城 客服热线 400-800-0000", links=6
            ),
            html_only=True,
            sender="某某商城 <order@shop.example>",
        ),
        "tracking_pixel",
    ),
    (
        "saas notice via sendgrid message-id",
        mail(
            "Your invoice INV-1001 is ready",
            "Your invoice INV-1001 is ready: https://app.example/i/1001\nManage your email preferences: https://app.example/prefs",
            sender="Billing <billing@app.example>",
            msgid_domain="geopod-ismtpd-3.sendgrid.net",
        ),
        "bulk_content",
    ),
    (
        "ses notice with do not reply",
        mail(
            "Password changed",
            "Your password was changed on 1 Dec 2026.\nPlease do not reply to this email.",
            sender="Account <account@app.example>",
            msgid_domain="email.amazonses.com",
        ),
        "automated_notice",
    ),
    (
        "web form submission en",
        mail(
            "New submission from Contact us",
            "Name: Zhang Wei\nEmail: zhangwei@163.example\nPhone: 13800138000\nMessage: I want to buy a washing machine, please call me.\n\n--\nThis e-mail was sent from a contact form on Shop (https://shop.example)",
            sender="Shop <website@shop.example>",
        ),
        "web_form",
    ),
    (
        "web form submission zh",
        mail(
            "网站留言通知",
            "姓名：李雷\n电话：13900001111\n邮箱：lilei@qq.example\n留言内容：我家的空调不制冷了\n提交时间：2026-12-01 10:00",
            sender="官网 <web@shop.example>",
        ),
        "web_form",
    ),
    (
        "lead notification",
        mail(
            "You have a new lead from Google Ads",
            "Full name: Maria Lopez\nEmail: maria@lopez.example\nPhone: +34 600 000 000\nCampaign: Winter heating",
            sender="Leads <leads-bot@crm.example>",
        ),
        "web_form",
    ),
    (
        "ad subject zh",
        mail(
            "【广告】双十二家电节 全场五折",
            "全场五折，仅限三天。",
            sender="shop@shop.example",
        ),
        "ad_subject",
    ),
    (
        "ad subject en",
        mail("(AD) Winter heating deals", "Heaters from 99 EUR.", sender="hello@heat.example"),
        "ad_subject",
    ),
    (
        "sms-style TD opt-out",
        mail(
            "双十二大促",
            "双十二大促，全场满1000减200，详询 400-800-1234。回复TD退订",
            sender="vip@shop.example",
        ),
        "bulk_content",
    ),
    (
        "reply STOP",
        mail(
            "Flash sale",
            "Flash sale today only. Reply STOP to unsubscribe.",
            sender="shop@shop.example",
        ),
        "bulk_content",
    ),
    (
        "exchange scl",
        mail(
            "Invoice",
            "See invoice.",
            headers={"X-MS-Exchange-Organization-SCL": "9"},
            sender="a@b.example",
        ),
        "spam",
    ),
    (
        "rspamd add header",
        mail(
            "Hello",
            "Cheap watches.",
            headers={"X-Rspamd-Action": "add header"},
            sender="a@b.example",
        ),
        "spam",
    ),
    ("spam tag subject", mail("***SPAM*** Cheap watches", "Cheap.", sender="a@b.example"), "spam"),
    ("x-spam yes", mail("Hi", "Hello.", headers={"X-Spam": "Yes"}, sender="a@b.example"), "spam"),
    (
        "spam weak signs add up",
        mail(
            "Re: your account",
            "",
            html='<div style="display:none">ref 9bbf38a544f990e7</div><p>Claim your prize: <a href="http://%33%36%39%39.example/x">here</a></p><p><a href="http://198.51.100.7/y">Verify</a></p>',
            html_only=True,
            sender="Support Team <x7k2q9z8m1n4p5r6@mailer-host.example>",
            headers={
                "X-Spam-Status": "No, score=4.1 required=5.0",
                "Return-Path": "<b@elsewhere.example>",
            },
        ),
        "spam_score",
    ),
    (
        "newsflash sender",
        mail("Card news", "This month's news.", sender="Card <card_newsflash@bank.example>"),
        "bulk_sender",
    ),
    ("mailer sender", mail("Deals", "Deals.", sender="mailer@brand.example"), "bulk_sender"),
    ("edm sender", mail("新品", "新品。", sender="edm@brand.example"), "bulk_sender"),
    (
        "wordpress form relay",
        mail(
            "[Shop] Contact",
            "From: Li\nSubject: oven\nMessage Body: oven broken",
            sender="WordPress <wordpress@shop.example>",
        ),
        "system_sender",
    ),
    (
        "survey request html",
        mail(
            "How did we do?",
            "",
            html=newsletter_html("Rate your repair: 1 2 3 4 5", "Shop Ltd", links=5),
            html_only=True,
            sender="feedback@shop.example",
        ),
        "tracking_pixel",
    ),
    (
        "compliance footer",
        mail(
            "Lowest rates in years",
            "Refinance now at 3.4% fixed.\nCall 1-800-000-0000.\n\nThis message is sent in compliance with the new e-mail bill.",
            sender="Rates Desk <rates@loans.example>",
        ),
        "bulk_content",
    ),
    (
        "removal mailto and fake reply",
        mail(
            "Re: your quote",
            "Toner cartridges 60% off, free shipping.\nTo order call 1-888-000-0000.\nmailto:remove@toner.example",
            sender="Toner Sales <sales@toner.example>",
        ),
        "bulk_content",
    ),
    (
        "click here to be removed",
        mail(
            "Work from home",
            "Earn $5,000 a week from home. No experience needed.\nClick here to be removed: http://203.0.113.9/r",
            sender="Jobs <jobs@opportunity.example>",
        ),
        "bulk_content",
    ),
    (
        "remove in the subject",
        mail(
            "Printer ink",
            "Ink for all printers, 70% off.\nTo stop these mails, reply with REMOVE in the subject line.",
            sender="Ink Direct <sales@ink.example>",
        ),
        "bulk_content",
    ),
    (
        "marketing with manage preferences and pixel",
        mail(
            "New arrivals",
            "New arrivals are in.\nUpdate your preferences at any time.",
            html=newsletter_html(
                "New arrivals are in.", "Update your preferences at any time.", links=3
            ),
            sender="Lily at Shop <lily@shop.example>",
        ),
        "bulk_content",
    ),
    # Spam tools' mail: MIME no client writes, unfilled macros, rows of strangers.
    (
        "stock tip with a transfer encoding no client writes",
        _broken_mime(
            mail(
                "Get in on IGTS",
                "Investor alert. This st0ck gets our top rating. Ticker IGTS.",
                sender="Ron Tate <rtate@hq.example>",
            ),
            "plain",
        ),
        "broken_mime",
    ),
    ("scam photo without a media type", _no_media_type(), "broken_mime"),
    (
        "subject marked ADV:",
        mail("ADV: Lowest mortgage rates", "Rates from 2.9%.", sender="Rates <r@loans.example>"),
        "ad_subject",
    ),
    (
        "pharmacy offer with unfilled macro, no date, to strangers",
        mail(
            "Low prices on medication",
            "Quality medications at low prices, shipped to your door.",
            sender="Wilmer <wc@pharm.example>",
            to="a1@x.example, b2@y.example, c3@z.example",
            msgid_domain="$RND_WORD.pharm.example",
            headers={"Date": "", "X-Mailer": "PHP/5.2.6"},
        ),
        "bad_message_id",
    ),
    (
        "latin-1 campaign to strangers, no date or message-id",
        _raw(
            b'From: "Escola" <info@escola.example>\r\n'
            b"To: martin@a.example, iris@a.example, support@b.example\r\n"
            b"Subject: Forma\xe7\xe3o: campanha final de Ver\xe3o\r\n"
            b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nCursos de Setembro.\r\n"
        ),
        "bad_message_id",
    ),
]
