# ruff: noqa: E501  (mail text is kept as written, one message per line)
"""Forged clients and traces (channels/email/forgery.py): people whose mail comes close to
each sign and must be answered, and spam tools' mail that carries several and must not be
(gathered into samples.py)."""

from __future__ import annotations

import base64
from email.message import EmailMessage

from tests.channels.email_support.mail_builders import mail, raw

_MX = "by mx.example.com (Postfix) with ESMTPS id 4Q2x7Z; Fri, 04 Dec 2026 09:12:03 +0800 (CST)"


def _gb2312_invoice_request() -> EmailMessage:
    """A customer asking for a VAT invoice from Foxmail: GB2312 text, labelled GB2312."""
    body = "您好，请帮我开一张增值税专用发票，订单号 A3003，抬头：杭州某某贸易有限公司。谢谢！"
    return raw(
        b"Received: from smtpbg153.qq.com (smtpbg153.qq.com [13.245.218.24])\r\n\t"
        + _MX.encode()
        + b"\r\n"
        b"Received: from qq.com (unknown [127.0.0.1])\r\n\tby smtp.qq.com (ESMTP) with SMTP id 0;\r\n\tFri, 04 Dec 2026 09:12:01 +0800 (CST)\r\n"
        b"From: =?gb2312?B?"
        + base64.b64encode("刘会计".encode("gb2312"))
        + b"?= <liu.kuaiji@qq.com>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: =?gb2312?B?" + base64.b64encode("开发票".encode("gb2312")) + b"?=\r\n"
        b"Date: Fri, 04 Dec 2026 09:12:00 +0800\r\n"
        b"Message-ID: <tencent_5BEC627E1710B43F5D8245FA@qq.com>\r\n"
        b"X-Mailer: Foxmail 7.2.25.228[cn]\r\nMime-Version: 1.0\r\n"
        b'Content-Type: text/plain;\r\n\tcharset="gb2312"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(body.encode("gb2312"))
    )


FORGERY_PEOPLE: list[tuple[str, EmailMessage]] = [
    (
        "hotmail user through Microsoft's servers",
        mail(
            "Order 4410 not delivered",
            "Hello, order 4410 still shows in transit after two weeks. Can you check?",
            sender="Jake Moss <jake.moss@hotmail.com>",
            msgid_domain="SA1PR12MB6847.namprd12.prod.outlook.com",
            headers={
                "Received": "from NAM12-DM6-obe.outbound.protection.outlook.com (mail-dm6nam12olkn2081.outbound.protection.outlook.com [40.92.22.81]) "
                + _MX,
            },
        ),
    ),
    (
        "old hotmail trace greeting as hotmail.com",
        mail(
            "Warranty",
            "Is the warranty of the K2 kettle two years or one?",
            sender="ann.k@hotmail.com",
            headers={
                "Received": "from hotmail.com (f135.law8.hotmail.com [216.33.241.135]) " + _MX,
                "X-Mailer": "Microsoft Outlook Express 6.00.2900.2180",
                "X-MimeOLE": "Produced By Microsoft MimeOLE V6.00.2900.2180",
            },
            msgid_domain="hotmail.com",
        ),
    ),
    (
        "163 user whose server greets as 163.com",
        mail(
            "咨询",
            "请问 K2 热水壶什么时候有货？",
            sender="zhou_lei@163.com",
            headers={"Received": "from 163.com (m12.mail.163.com [220.181.12.198]) " + _MX},
        ),
    ),
    (
        "gmail user whose client greets as hotmail.com, authenticated",
        mail(
            "Refund",
            "The refund for order 9921 has not arrived yet.",
            sender="lena.b@gmail.com",
            headers={
                "Received": "from hotmail.com ([137.118.186.11]) by smtp.gmail.com with ESMTPSA id v14sm7675266qtq.45; Fri, 04 Dec 2026 01:12:00 -0800 (PST)",
            },
        ),
    ),
    (
        "outlook express user with X-MimeOLE",
        raw(
            b'From: "Peter Hall" <peter.hall@homemail.example>\r\nTo: <support@example.com>\r\n'
            b"Subject: Spare filter\r\nDate: Fri, 4 Dec 2026 10:02:11 +0000\r\n"
            b"Message-ID: <001c01c3a0ba$7b0b8f60$0200a8c0@pc01>\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: text/plain;\r\n\tcharset="iso-8859-1"\r\nContent-Transfer-Encoding: 7bit\r\n'
            b"X-Priority: 3\r\nX-MSMail-Priority: Normal\r\n"
            b"X-Mailer: Microsoft Outlook Express 6.00.2900.5512\r\n"
            b"X-MimeOLE: Produced By Microsoft MimeOLE V6.00.2900.5512\r\n\r\n"
            b"Where can I buy a spare filter for the K2 jug?\r\n"
        ),
    ),
    (
        "outlook 2016 user, no X-MimeOLE (it never wrote one)",
        mail(
            "Delivery address",
            "Please change the delivery address of order 5521 to 4 Elm Street.",
            sender="Rita Oz <rita.oz@bigco.example>",
            headers={"X-Mailer": "Microsoft Outlook 16.0", "Thread-Index": "AdnxwQ8kU2u1"},
        ),
    ),
    ("vat invoice request in gb2312 from foxmail", _gb2312_invoice_request()),
]


def _invoice_spam() -> EmailMessage:
    """Invoice spam dressed as Outlook Express from 163.com: the host greeted as "163.com"
    but has no name, no X-MimeOLE, no Message-ID, UTF-8 text under a GB2312 label."""
    return raw(
        b"Received: from 163.com (unknown [183.12.40.77])\r\n\t" + _MX.encode() + b"\r\n"
        b"From: =?GB2312?B?"
        + base64.b64encode("李经理".encode("gb2312"))
        + b"?= <tax_li88@163.com>\r\n"
        b"To: support@example.com\r\n"
        b"Subject: =?GB2312?B?" + base64.b64encode("税务咨询".encode("gb2312")) + b"?=\r\n"
        b'Content-Type: text/plain;charset="GB2312"\r\nContent-Transfer-Encoding: 8bit\r\n'
        b"Date: Fri, 04 Dec 2026 11:20:00 +0800\r\nX-Priority: 3\r\n"
        b"X-Mailer: Microsoft Outlook Express 6.00.2900.5512\r\n\r\n"
        + "贵公司好！本公司长期办理各类票据业务，价格从优，详情来电。\r\n".encode()
    )


def _mime_lite_campaign() -> EmailMessage:
    """A campaign from a mailing script: binary transfer encoding at the top, U+FFFD where
    the template's trademark sign was, a numbered Reply-To."""
    return raw(
        b"Message-Id: <202612041741.oAEHfiKs020181@app3.sendhost.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Transfer-Encoding: binary\r\nContent-Type: multipart/alternative; boundary="_----------=_1764850904126162"\r\n'
        b"X-Mailer: MIME::Lite 3.030 (F2.85; T2.21; A2.21; B3.15; Q3.13)\r\n"
        b"Date: Fri, 04 Dec 2026 17:41:44 +0000\r\n"
        b"From: Cloud Fax from FaxPro\xef\xbf\xbd <info@faxpro-offers.example>\r\n"
        b"To: support@example.com\r\nSubject: Send faxes from your inbox\xef\xbf\xbd\r\n"
        b"Reply-To: <12.04.2026.1741.1.328.1477949.614@reply.faxpro-offers.example>\r\n\r\n"
        b"--_----------=_1764850904126162\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Try FaxPro free for 30 days.\r\n--_----------=_1764850904126162--\r\n"
    )


def _forged_outlook_2003() -> EmailMessage:
    """A loan offer claiming Outlook 2003 (no X-MimeOLE), from a host that greeted as
    "yahoo.com" with no name, Big5-labelled UTF-8 text, and no Date."""
    return raw(
        b"Received: from unknown (HELO yahoo.com) (61.219.40.12)\r\n  by mail.example.com with SMTP; 4 Dec 2026 03:02:10 -0000\r\n"
        b"From: Loan Center <loan.center@yahoo.com>\r\nTo: support@example.com\r\n"
        b"Subject: Fast business loans\r\nMessage-ID: <ABCDEF1234567@yahoo.com>\r\n"
        b"X-Mailer: Microsoft Office Outlook, Build 11.0.5510\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="big5"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        + "企業貸款，三天到帳，利率優惠。\r\n".encode()
    )


FORGERY_ROBOTS: list[tuple[str, EmailMessage, str]] = [
    ("invoice spam dressed as outlook express from 163.com", _invoice_spam(), "forged_helo"),
    ("mailing script with binary encoding and U+FFFD", _mime_lite_campaign(), "binary_transfer"),
    ("loan offer claiming outlook 2003 from yahoo.com", _forged_outlook_2003(), "forged_helo"),
]
