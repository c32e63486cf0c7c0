"""Email parsing: every shared fixture, Chinese charsets, loops, trimming, bad input."""

from __future__ import annotations

import base64
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText

import pytest

from bench.common import shared_dir
from channels.email.charsets import decode_header
from channels.email.compose import Outgoing, build_message, reply_subject
from channels.email.content import html_to_text, trim_reply
from channels.email.parse import parse_email

FIXTURES = shared_dir("fixtures/email")
ALL = sorted(
    p for p in FIXTURES.rglob("*") if p.is_file() and p.name not in ("LICENSE", "README.md")
)
BOUNCES = sorted((FIXTURES / "sisimai" / "maildir" / "bsd").glob("*.eml"))
needs_fixtures = pytest.mark.skipif(not ALL, reason="shared/fixtures/email is not checked out")


@needs_fixtures
def test_every_fixture_parses() -> None:
    """900+ real messages: none raises, each yields an id and a sender or a reason."""
    assert len(ALL) > 900
    derived: dict[str, set[bytes]] = {}
    for path in ALL:
        raw = path.read_bytes()
        mail = parse_email(raw)
        assert mail.message_id, path
        if mail.derived_id:
            derived.setdefault(mail.message_id, set()).add(raw)
    # Mail without a Message-ID gets an id derived from its content: distinct mails, distinct ids.
    assert len(derived) > 50
    collisions = [raws for raws in derived.values() if len(raws) > 1]
    assert len(collisions) <= 3  # text fragments without any header, identical bodies


@needs_fixtures
def test_every_bounce_and_auto_reply_is_not_answered() -> None:
    """The sisimai set (bounces, ARF complaints, RFC 3834 vacation replies)."""
    assert len(BOUNCES) > 600
    vacation = [p for p in BOUNCES if p.name.startswith("rfc3834-")]
    assert len(vacation) == 6
    missed = [p.name for p in BOUNCES if parse_email(p.read_bytes()).auto_reason is None]
    assert missed == []


@needs_fixtures
def test_people_mail_is_answered() -> None:
    """Quoted replies written by people are not mistaken for automatic mail."""
    for name in ("standard_replies", "html_replies"):
        for path in (FIXTURES / "talon" / "tests" / "fixtures" / name).glob("*.eml"):
            mail = parse_email(path.read_bytes())
            if mail.sender:
                assert mail.auto_reason is None, path.name


@needs_fixtures
def test_mislabelled_gb2312_that_is_utf8() -> None:
    """spamscope mail_test_12 declares GB2312 but its body is UTF-8."""
    mail = parse_email((FIXTURES / "spamscope_mail_parser" / "mail_test_12.eml").read_bytes())
    assert "你好！我公司可代开各类增值税发票" in mail.text
    assert "\ufffd" not in mail.text


CHINESE = [
    ("gb2312", "您好，我的洗衣机坏了，怎么申请退货？", "退货申请"),
    ("gbk", "喆镕先生：空调不制冷，请尽快上门维修。", "维修预约 喆"),
    ("gb18030", "订单号 A123 的冰箱 𠀀 还没到，物流显示已签收。", "物流查询"),
    ("big5", "您好，我的洗衣機壞了，怎麼申請退貨？", "退貨申請"),
    ("big5", "我哋部冷氣機唔凍㗎，幾時可以上門維修？", "維修 㗎"),  # HKSCS labelled big5
]


def _encodable(charset: str) -> str:
    return {"big5": "big5hkscs", "gb2312": "gb18030", "gbk": "gb18030"}.get(charset, charset)


@pytest.mark.parametrize(("charset", "body", "subject"), CHINESE)
@pytest.mark.parametrize("rfc2047", [True, False])
def test_chinese_charsets_decode_exactly(
    charset: str, body: str, subject: str, rfc2047: bool
) -> None:
    """GBK / GB2312 / GB18030 / Big5 bodies and subjects, encoded or raw 8-bit headers."""
    payload = body.encode(_encodable(charset))
    subject_bytes = subject.encode(_encodable(charset))
    if rfc2047:
        encoded = f"=?{charset}?B?{base64.b64encode(subject_bytes).decode()}?="
        head = f"Subject: {encoded}\r\n".encode()
        person = "張三" if charset == "big5" else "张三"
        name = f"=?{charset}?B?{base64.b64encode(person.encode(_encodable(charset))).decode()}?="
        head += f"From: {name} <zhang@example.cn>\r\n".encode()
    else:
        head = b"Subject: " + subject_bytes + b"\r\nFrom: zhang@example.cn\r\n"
    raw = (
        head
        + b"To: support@example.com\r\nMessage-ID: <cn-1@example.cn>\r\nMIME-Version: 1.0\r\n"
        + f"Content-Type: text/plain; charset={charset}\r\n".encode()
        + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + payload
        + b"\r\n"
    )
    mail = parse_email(raw)
    assert mail.text == body
    if rfc2047:
        assert mail.subject == subject
        assert mail.sender_name in ("张三", "張三")
    else:
        # Raw 8-bit headers carry no label: read in the body's charset.
        assert mail.subject == subject
    assert mail.problems == ()


@pytest.mark.parametrize("charset", ["gbk", "gb2312", "big5", "gb18030"])
def test_chinese_quoted_printable_and_base64_parts(charset: str) -> None:
    """The email package's own encoders (base64 / QP) with a Chinese charset."""
    text = "请问发票怎么开？谢谢" if charset != "big5" else "請問發票怎麼開？謝謝"
    msg = MIMEText(text, "plain", charset)
    msg["Subject"] = Header(text, charset).encode()
    msg["From"] = "li@example.cn"
    mail = parse_email(msg.as_bytes())
    assert mail.text == text
    assert mail.subject == text


def test_label_that_does_not_fit_is_corrected() -> None:
    """GBK bytes declared as UTF-8 still come out right."""
    text = "洗衣机漏水"
    raw = (
        b"From: a@example.cn\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + text.encode("gbk")
    )
    mail = parse_email(raw)
    assert mail.text == text
    assert mail.charsets == ("gb18030",)


def test_rfc2047_words_are_joined_and_q_encoding() -> None:
    """Adjacent encoded words join without the space between them; Q uses underscores."""
    assert decode_header("=?utf-8?B?5L2g5aW9?= =?utf-8?B?5LiW55WM?=").text == "你好世界"
    assert decode_header("=?iso-8859-1?Q?caf=E9_au_lait?=").text == "café au lait"
    assert decode_header("plain [#12] =?gbk?B?zcu79Q==?=").text == "plain [#12] 退货"


def test_missing_boundary_and_broken_base64_do_not_raise() -> None:
    """multipart without a boundary; base64 with garbage: something readable comes out."""
    raw = (
        b"From: a@example.com\r\nSubject: broken\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"Hello there, my order is late.\r\n"
    )
    mail = parse_email(raw)
    assert "my order is late" in mail.text
    raw2 = (
        b"From: a@example.com\r\nSubject: b64\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n5L2g5aW9!!!***\r\n"
    )
    assert parse_email(raw2).text.startswith("你好")


def test_missing_message_id_gets_a_stable_derived_id() -> None:
    """The same mail delivered twice gets the same id; a different mail another one."""
    raw = b"From: a@example.com\r\nSubject: hi\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nx\r\n"
    first, again = parse_email(raw), parse_email(b"Received: by relay2\r\n" + raw)
    other = parse_email(raw.replace(b"\r\n\r\nx", b"\r\n\r\ny"))
    assert first.derived_id and first.message_id == again.message_id
    assert other.message_id != first.message_id


def test_html_only_mail_gives_text_and_sanitized_html() -> None:
    """The bot reads text; agents get HTML without scripts or handlers."""
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        '<p onclick="steal()">我的<b>订单</b>还没到</p><div>Order&nbsp;#123</div>'
        '<img src="https://evil.test/x.png" onerror="x()"></body></html>'
    )
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "html"
    msg.set_content(html, subtype="html")
    mail = parse_email(msg.as_bytes())
    assert mail.text == "我的订单还没到\n\nOrder #123"
    assert "<script" not in mail.html and "onclick" not in mail.html
    assert "onerror" not in mail.html and "<b>订单</b>" in mail.html
    assert html_to_text("<p>a<br>b</p>") == "a\nb"


def test_quotes_and_signatures_trimmed_for_the_bot() -> None:
    """English and Chinese reply markers; the full text is kept."""
    cases = {
        "好的，谢谢\n\n在 2024年5月1日 周三 10:00，客服 <s@x.com> 写道：\n> 您好": "好的，谢谢",
        "收到\n\n---- 原始邮件 ----\n发件人: 客服\n内容": "收到",
        "请尽快处理\n\n发件人: support@x.com\n发送时间: 2024年5月1日\n收件人: 我\n主题: 回复": (
            "请尽快处理"
        ),
        "Thanks!\n\nOn Mon, 1 Jan 2024, Support <s@x.com> wrote:\n> Hello": "Thanks!",
        "Fine\n\n-----Original Message-----\nFrom: x": "Fine",
        "我要退货\n\n发自我的iPhone": "我要退货",
        "Need help\n-- \nJohn\nACME": "Need help",
    }
    for text, expected in cases.items():
        assert trim_reply(text) == expected, text
    mail = parse_email(
        "From: a@example.com\r\nSubject: re\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "好的，谢谢\r\n\r\n在 2024年5月1日，客服 写道：\r\n> 旧内容\r\n".encode()
    )
    assert mail.reply_text == "好的，谢谢"
    assert "旧内容" in mail.text


def _mail(**headers: str) -> bytes:
    head = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    return (head + "Subject: hello\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n").encode()


@pytest.mark.parametrize(
    "headers",
    [
        {"From": "a@example.com", "Auto_Submitted": "auto-replied"},
        {"From": "a@example.com", "Precedence": "bulk"},
        {"From": "a@example.com", "Precedence": "list"},
        {"From": "a@example.com", "Precedence": "junk"},
        {"From": "a@example.com", "X_Autoreply": "yes"},
        {"From": "a@example.com", "X_Loop": "support@example.com"},
        {"From": "a@example.com", "X_Auto_Response_Suppress": "All"},
        {"From": "a@example.com", "Return_Path": "<>"},
        {"From": "support@example.com"},
        {"From": "MAILER-DAEMON@mx.example.com"},
        {"From": "a@example.com", "Content_Type": "multipart/report; boundary=b"},
    ],
)  # fmt: skip
def test_loop_rules(headers: dict[str, str]) -> None:
    """Each rule of CHANNELS.md Email 6 stops the answer."""
    mail = parse_email(_mail(**headers), frozenset({"support@example.com"}))
    assert mail.auto_reason is not None


def test_a_person_is_answered() -> None:
    """Auto-Submitted: no and ordinary mail are answered."""
    assert parse_email(_mail(From="a@example.com", Auto_Submitted="no")).auto_reason is None


def test_huge_and_zip_attachments_are_bytes_not_unpacked() -> None:
    """A 'zip bomb' attachment is returned as its bytes; inline images keep their CID."""
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "files"
    msg.set_content("see attached")
    bomb = b"PK\x03\x04" + b"\0" * 50_000
    msg.add_attachment(bomb, maintype="application", subtype="zip", filename="发票.zip")
    msg.add_attachment(b"\x89PNG....", maintype="image", subtype="png", cid="<img1@x>")
    mail = parse_email(msg.as_bytes())
    assert mail.text == "see attached"
    zips = [p for p in mail.parts if p.mime == "application/zip"]
    assert zips[0].data == bomb and zips[0].name == "发票.zip"
    pngs = [p for p in mail.parts if p.mime == "image/png"]
    assert pngs[0].inline and pngs[0].content_id == "img1@x"


def test_header_injection_is_impossible() -> None:
    """CR/LF in a subject, name or address we put in a header never starts a new header."""
    msg = build_message(
        Outgoing(
            message_id="m1@example.com",
            from_name="客服\r\nBcc: evil@attacker.test",
            from_address="support@example.com",
            reply_to="support+c1x0@example.com",
            to="cust@example.com\r\nBcc: evil@attacker.test",
            subject=reply_subject("退货\r\nBcc: evil@attacker.test\nX-Evil: 1", 7),
            text="hello\r\nBcc: not-a-header",
            in_reply_to="a@b\r\nX-Evil: 1",
            references=("r1@b", "r2@b\nX-Evil: 2"),
            automatic=True,
            bot_footer=True,
        )
    )
    raw = msg.as_bytes()
    header_block = raw.split(b"\n\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\n ", b" ")
    lines = [line.split(b":", 1)[0].lower() for line in header_block.splitlines()]
    assert b"bcc" not in lines and b"x-evil" not in lines
    assert msg["Subject"].endswith("[#7]") and msg["Auto-Submitted"] == "auto-replied"


def test_reply_subject_is_stable() -> None:
    """Prefixes and old ticket tokens are not stacked."""
    assert reply_subject("Re: 回复: 退货 [#12]", 12) == "Re: 退货 [#12]"
    assert reply_subject("RE: Fwd: refund", None) == "Re: refund"
    assert reply_subject("", 3) == "Re: 您的咨询 Your request [#3]"


@pytest.mark.parametrize(
    "sender",
    ["gmail-noreply@google.com", "no_reply@shop.example", "orders.do-not-reply@shop.example"],
)
def test_no_reply_senders_in_any_position_are_not_answered(sender: str) -> None:
    """Regression: only a leading "noreply" counted; Google's gmail-noreply@ was answered."""
    raw = f"From: {sender}\r\nSubject: Your invitation\r\nMessage-ID: <n.1@x>\r\n\r\nhi\r\n"
    assert parse_email(raw.encode()).auto_reason == "noreply_sender"
    person = raw.replace(sender, "noreen.reply@customer.example")
    assert parse_email(person.encode()).auto_reason is None


def test_mail_the_filter_marked_as_spam_is_not_answered() -> None:
    """X-Spam-Flag / X-Spam-Status from the filter in front of us: no backscatter."""
    base = "From: a@customer.example\r\nSubject: hi\r\nMessage-ID: <s.1@x>\r\n"
    assert parse_email(f"{base}X-Spam-Flag: YES\r\n\r\nhi\r\n".encode()).auto_reason == "spam"
    flagged = f"{base}X-Spam-Status: Yes, score=9.1 required=5.0\r\n\r\nhi\r\n"
    assert parse_email(flagged.encode()).auto_reason == "spam"
    clean = f"{base}X-Spam-Status: No, score=-0.8 required=5.0\r\n\r\nhi\r\n"
    assert parse_email(clean.encode()).auto_reason is None


@needs_fixtures
def test_unlabelled_latin1_subject_is_not_read_as_chinese() -> None:
    """Regression (mikel/mail invalid_subject_characters): raw Latin-1 bytes in a Subject
    with no charset anywhere were read as GB18030 ("Forma玢o ... Ver鉶")."""
    path = FIXTURES / "mikel_mail/spec/fixtures/emails/error_emails/invalid_subject_characters.eml"
    mail = parse_email(path.read_bytes())
    assert mail.subject.startswith("Formação FrenetikPolis: Mega Campanha Final Verão")
    # Unlabelled Chinese in raw 8-bit headers is still read as Chinese.
    for text in ("退货申请 订单A123", "iPhone的app坏了"):
        raw = b"From: a@customer.example\r\nSubject: " + text.encode("gb18030") + b"\r\n\r\nx\r\n"
        assert parse_email(raw).subject == text


@pytest.mark.parametrize(
    "header",
    [
        "Return-Path: <101BN3c3ce68600277550d@bounce.quris.net>",
        "Return-Path: <bounces+4711-ab12=customer.example@em.shop.example>",
        "Errors-To: 101BN3c3ce68600277550d@bounce.quris.net",
    ],
)
def test_bulk_mail_by_its_bounce_address_is_not_answered(header: str) -> None:
    """Newsletters without List-* headers (mikel/mail's Discover Card mail): the VERP bounce
    address or Errors-To gives them away; a person's Return-Path does not."""
    base = "From: News <news@shop.example>\r\nSubject: January news\r\nMessage-ID: <b.1@x>\r\n"
    assert parse_email(f"{base}{header}\r\n\r\nhi\r\n".encode()).auto_reason in (
        "bulk_return_path",
        "errors_to",
    )
    # (From a person too: a news@ mailbox is bulk mail by itself, see test_email_bulk.)
    person = base.replace("News <news@shop.example>", "王芳 <wang.fang@customer.example>")
    person += "Return-Path: <wang.fang@customer.example>\r\n\r\nhi\r\n"
    assert parse_email(person.encode()).auto_reason is None


@needs_fixtures
def test_big5_subject_double_encoded_by_a_broken_mailer_is_restored() -> None:
    """mikel/mail content_transfer_encoding_empty: a Big5 subject that a mailer read as
    Latin-1 and wrote as UTF-8 ("¤j®a»¡­^»y"); the body says big5, so it reads as written."""
    path = (
        FIXTURES
        / "mikel_mail/spec/fixtures/emails/error_emails/content_transfer_encoding_empty.eml"
    )
    assert "大家說英語 每日聽MP3 (2004年6月份)" in parse_email(path.read_bytes()).subject
    # Real UTF-8 Latin text in a Big5 mail is left alone.
    raw = (
        "From: a@customer.example\r\nSubject: Die heiße Zypernsonne quälte Max\r\n"
        'Content-Type: text/plain; charset="big5"\r\n\r\nx\r\n'
    ).encode()
    assert parse_email(raw).subject == "Die heiße Zypernsonne quälte Max"
