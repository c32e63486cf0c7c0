# ruff: noqa: E501  (mail text is kept as written, one message per line)
"""Machines' mail that carries no header saying so and must not be answered (samples.py)."""

from __future__ import annotations

from email.message import EmailMessage

from tests.channels.email_support.mail_builders import (
    broken_mime,
    mail,
    newsletter_html,
    no_media_type,
    raw,
)

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
        broken_mime(
            mail(
                "Get in on IGTS",
                "Investor alert. This st0ck gets our top rating. Ticker IGTS.",
                sender="Ron Tate <rtate@hq.example>",
            ),
            "plain",
        ),
        "broken_mime",
    ),
    ("scam photo without a media type", no_media_type(), "broken_mime"),
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
        raw(
            b'From: "Escola" <info@escola.example>\r\n'
            b"To: martin@a.example, iris@a.example, support@b.example\r\n"
            b"Subject: Forma\xe7\xe3o: campanha final de Ver\xe3o\r\n"
            b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nCursos de Setembro.\r\n"
        ),
        "bad_message_id",
    ),
]
