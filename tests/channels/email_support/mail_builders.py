# ruff: noqa: E501  (mail text is kept as written, one message per line)
"""How the labelled mail of samples.py is written: a mail as a client or a sending system
writes it, a newsletter's HTML, a signature, a pasted confirmation, and the broken MIME and raw
bytes spam tools send."""

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


def tracked_links(base: str, n: int) -> str:
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
        f"</table></td></tr><tr><td><table><tr>{tracked_links('click.shop.example', links)}</tr>"
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


def spam_attached() -> EmailMessage:
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


def broken_mime(msg: EmailMessage, encoding: str) -> EmailMessage:
    """``msg`` with the Content-Transfer-Encoding a spam tool wrote."""
    del msg["Content-Transfer-Encoding"]
    msg["Content-Transfer-Encoding"] = encoding
    return msg


def raw(data: bytes) -> EmailMessage:
    """A mail exactly as these bytes (raw 8-bit headers kept)."""
    msg = email.message_from_bytes(data, _class=EmailMessage, policy=compat32)
    assert isinstance(msg, EmailMessage)
    return msg


def no_media_type() -> EmailMessage:
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
