"""Weighed signs of automatic mail, for mail that no single rule marks.

A web shop's notice sent with a plain mail library, a newsletter whose list headers a
forwarder stripped, a campaign from a mailbox called ``service@``, a spam offer with a forged
sender: each carries no RFC 3834 or list header, but several smaller signs — a tracking
pixel, dozens of links, an HTML-only layout, a Message-ID from a mailing service, a return
path on another domain, "unsubscribe" in the footer. One such sign is nothing (a customer
pastes links, writes from a company whose gateway rewrites the return path, or says "please
do not reply to this address"); together they are a machine.

Each sign has a weight: 2 for a sign that a person's own mail rarely carries, 1 for one it
sometimes does. Mail is automatic when the weights add up to ``THRESHOLD`` with at least one
sign of weight 2, or to ``THRESHOLD + 1`` from weight-1 signs alone. The reason given is the
heaviest sign (the console labels each in zh and en); all signs go into ``meta.auto_signs``.

What a person wrote is protected the way ``notices.py`` protects it: for a reply or a forward
(whose body quotes someone else's mail), or a mail whose own text speaks in the first person
("I ordered...", "我的订单..."), the body's structure (links, pixels, layout) may be a paste
and does not count; only the headers and addresses do.

The signs of a spam tool or a script (MIME no client writes, a missing or forged Date and
Message-ID, a script's X-Mailer, a row of strangers in To, raw non-UTF-8 header bytes,
obfuscated words) are read in ``ratware.py``, those of a forged client or trace (an Outlook
Express without X-MimeOLE, a host greeting as "hotmail.com" without its name, a binary
transfer encoding, UTF-8 under a GB2312 label) in ``forgery.py``, a Chinese sales pitch's
boilerplate in ``pitch.py``; all are weighed here with the others.

Two signs are decisive on their own: a filter's spam verdict in the headers it adds
(``spam``, checked in ``loops.py`` through ``filter_verdict``), and a subject marked as
advertising the way Chinese law asks commercial mail to be marked (``(AD)``, ``【广告】``,
``ad_subject``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message as MimeMessage
from email.utils import parseaddr
from urllib.parse import urlsplit

from channels.email import forgery, pitch, ratware
from channels.email.notices import notice_signs, speaks_for_self

THRESHOLD = 3
SPAM, SUSPICIOUS = 2, 1


@dataclass(frozen=True)
class Sign:
    """One sign of automatic mail: its name, its weight, and the reason it gives (its name
    unless told) when the signs of that reason weigh the most."""

    name: str
    weight: int
    reason: str = ""

    @property
    def code(self) -> str:
        """The reason this sign gives."""
        return self.reason or self.name


# Filters' verdicts (SpamAssassin, Rspamd, Exchange/Defender, Barracuda) and subject tags.
_SPAM_SUBJECT = re.compile(r"^\s*(\*{2,3}\s*spam\s*\*{2,3}|\[spam\]|\{spam\??\})", re.I)
_SCORE = re.compile(r"\b(?:score|hits)\s*=\s*(-?\d+(?:\.\d+)?)", re.I)
_REQUIRED = re.compile(r"\brequired\s*=\s*(-?\d+(?:\.\d+)?)", re.I)
_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")


def _number(value: str) -> float | None:
    found = _NUMBER.match(value)
    return float(found.group(1)) if found else None


def filter_verdict(msg: MimeMessage, subject: str) -> int:
    """What the spam filter in front of us said: ``SPAM`` (its verdict is spam), ``SUSPICIOUS``
    (a score on the way to it), 0 (nothing, or clean)."""

    def get(name: str) -> str:
        return str(msg.get(name, "") or "").strip()

    status = get("X-Spam-Status").lower()
    if (
        get("X-Spam-Flag").lower() == "yes"
        or get("X-Spam").lower() in ("yes", "true", "spam")
        or status.startswith("yes")
        or get("X-Barracuda-Spam-Status").lower().startswith("yes")
        or get("X-Rspamd-Action").lower() in ("reject", "add header", "rewrite subject")
        or "sfv:spm" in get("X-Forefront-Antispam-Report").lower().replace(" ", "")
        or _SPAM_SUBJECT.match(subject)
    ):
        return SPAM
    scl = _number(get("X-MS-Exchange-Organization-SCL"))
    if scl is not None and scl >= 5:
        return SPAM
    # A score under the filter's own threshold is its "no"; near it, a sign. Without a
    # verdict, SpamAssassin's stars or a bare score say only that much.
    scored = _SCORE.search(status)
    required = _REQUIRED.search(status)
    if scored:
        limit = float(required.group(1)) if required else 5.0
        return SUSPICIOUS if float(scored.group(1)) >= 0.6 * limit else 0
    score = _number(get("X-Spam-Score"))
    if get("X-Spam-Level").count("*") >= 5 or (score is not None and score >= 5):
        return SUSPICIOUS
    return 0


# "(AD)", "[AD]", "【广告】", "广告：", "(광고)", "ADV:" (as US state laws asked unsolicited
# advertising to be marked): a subject marked as an advertisement.
_AD_SUBJECT = re.compile(
    r"^\s*(?:[(\[【（<〔]\s*(?:AD|ADV|广告|廣告|광고)\s*[)\]】）>〕]|(?:广告|廣告|광고)\s*[:：\-]"
    r"|ADV\s*[:：])"
)
# Mailing and marketing services whose own domain is in the Message-IDs they write.
_BULK_MSGID_DOMAIN = re.compile(
    r"(?:^|\.)(?:mcsv\.net|mcdlv\.net|rsgsv\.net|mailchimp\w*\.\w+|mandrillapp\.com"
    r"|sendgrid\.(?:net|com)|sparkpostmail\.com|amazonses\.com|createsend\.com|cmail\d*\.com"
    r"|exacttarget\.com|mktomail\.com|mkto\.\w+|hubspot\w*\.\w+|klaviyo\w*\.\w+"
    r"|constantcontact\.com|ctctcdn\.com|mailjet\.com|sendinblue\.com|brevo\.com"
    r"|mailerlite\.com|emarsys\.net|responsys\.net|sailthru\.com|bronto\.com|iterable\.com"
    r"|customeriomail\.com|sendcloud\.(?:net|org)|postmarkapp\.com|mailpoet\.com)$",
    re.I,
)
# Host names bulk senders give their sending machines (bounce.shop.example, edm.brand.example).
_BULK_HOST_LABEL = re.compile(
    r"^(?:bounces?|newsletters?|edm|campaigns?|mailers?|mailings?|massmail|bulk|promo)\d*$",
    re.I,
)
# A machine-made local part: letters and digits interleaved (101BN3c3ce68600277550d), or
# several dot-separated numbers (44.41.17.14.11.2010.1139). A name with a phone or QQ number
# (zhang13800138000@, 12345678@qq.com) is a person's.
_NUMBER_GROUPS = re.compile(r"(?:\d+\.){4,}\d+")
_RUN = re.compile(r"[a-z0-9]{12,}", re.I)
_ALPHA_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", re.I)
_RE_SUBJECT = re.compile(r"^\s*(re|回复|回覆|答复|aw|sv)\s*[:：]", re.I)

# Body structure (HTML).
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_PIXEL_SIZE = re.compile(
    r"\b(?:width|height)\s*=\s*[\"']?\s*[01](?:px)?\b|\b(?:width|height)\s*:\s*[01]px"
    r"|display\s*:\s*none|visibility\s*:\s*hidden",
    re.I,
)
_TRACKER_SRC = re.compile(
    r"\bsrc\s*=\s*[\"']?[^\"'\s>]*(?:/open\b|/opens?/|/track|pixel|beacon|/wf/open|open\.(?:gif"
    r"|php|aspx|html)|[?&](?:open|track)=)",
    re.I,
)
_REMOTE_IMG = re.compile(r"\bsrc\s*=\s*[\"']?https?://", re.I)
_HREF = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"']?\s*(https?://[^\"'\s>]+)", re.I)
_PLAIN_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
_TABLE = re.compile(r"<table\b", re.I)
_HIDDEN_TEXT = re.compile(
    r"<(?:font|span|div|p|td)\b[^>]*(?:color\s*=\s*[\"']?\s*(?:#fff(?:fff)?|white)\b"
    r"|color\s*:\s*(?:#fff(?:fff)?|white)\b(?![^>]*background)|display\s*:\s*none"
    r"|font-size\s*:\s*[01]px|max-height\s*:\s*0)[^>]*>\s*[^<\s]",
    re.I,
)
# A web form's or a lead system's mail: a subject that announces a submission, a body of
# "Label: value" lines whose e-mail field names someone other than the sender.
_FORM_SUBJECT = re.compile(
    r"\bform\s+submission\b|\bsubmission\s+(?:from|received|on|via)\b"
    r"|\bnew\s+(?:\w+\s+){0,2}(?:submission|entry|lead|enquiry|inquiry|message|contact)\b"
    r"[^\n]{0,60}\b(?:from|on|via)\b|\bhas\s+a\s+(?:new\s+)?lead\b|\bnew\s+lead\b"
    r"|新(?:的)?(?:表单|表單|留言|询盘|詢盤|线索|線索|客户咨询|客戶諮詢)|(?:表单|表單)(?:提交|通知)"
    r"|(?:网站|網站|官网|官網)(?:留言|询盘|詢盤)",
    re.I,
)
_FIELD = re.compile(r"^\s*[\w\u4e00-\u9fff][\w\u4e00-\u9fff ./()-]{0,30}\s*[:：]\s*\S", re.M)
_EMAIL_FIELD = re.compile(
    r"^\s*(?:your\s+)?(?:e-?mail|email\s+address|e-?mail\s+address|邮箱|郵箱|电子邮件|電子郵件"
    r"|邮件地址|郵件地址)\s*[:：]\s*\S*?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)",
    re.I | re.M,
)
_IP_HOST = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}\Z")

# Every reason this module gives (labelled in the console like the others).
SIGN_REASONS = frozenset(
    {
        "ad_subject",
        "tracking_pixel",
        "many_links",
        "bulk_layout",
        "hidden_text",
        "bulk_message_id",
        "sender_mismatch",
        "machine_address",
        "fake_reply",
        "spam_score",
        "disguised_link",
        "automatic_before",
        "web_form",
        "broken_mime",
        "no_date",
        "bad_message_id",
        "script_mailer",
        "mass_recipients",
        "raw_header_bytes",
        "obfuscated_text",
        "commercial_offer",
        "forged_mailer",
        "forged_helo",
        "binary_transfer",
        "mislabelled_charset",
    }
)
# Which sign names the mail when two weigh the same: the most telling first.
_ORDER = (
    "web_form",
    "automated_notice",
    "bulk_content",
    "tracking_pixel",
    "bulk_message_id",
    "automatic_before",
    "many_links",
    "bulk_layout",
    "broken_mime",
    "spam_score",
    "hidden_text",
    "disguised_link",
    "obfuscated_text",
    "commercial_offer",
    "forged_helo",
    "forged_mailer",
    "binary_transfer",
    "mislabelled_charset",
    "bad_message_id",
    "no_date",
    "raw_header_bytes",
    "mass_recipients",
    "script_mailer",
    "machine_address",
    "sender_mismatch",
    "fake_reply",
)


def ad_subject(subject: str) -> bool:
    """Whether ``subject`` is marked as an advertisement ("(AD)", "【广告】")."""
    return bool(_AD_SUBJECT.match(subject or ""))


def _domain(address: str) -> str:
    host = address.rsplit("@", 1)[-1].strip().strip(">").lower().rstrip(".")
    return host


def _base(host: str) -> str:
    """The registrable part of a host, roughly: its last two labels (three under a
    two-letter country's second level: shop.com.cn, shop.co.uk)."""
    labels = [x for x in host.split(".") if x]
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


def _machine_local(address: str) -> bool:
    local = address.rsplit("@", 1)[0]
    if "=" in local or _NUMBER_GROUPS.search(local):
        return True
    return any(len(_ALPHA_DIGIT.findall(run)) >= 4 for run in _RUN.findall(local))


def header_signs(
    msg: MimeMessage,
    sender: str,
    subject: str,
    reply: bool,
    own_addresses: frozenset[str] = frozenset(),
) -> list[Sign]:
    """Signs in the headers and addresses: what a forwarder or a paste cannot bring in."""
    signs = [Sign(name, w) for name, w in ratware.header_signs(msg, own_addresses)]
    signs.extend(Sign(name, w) for name, w in forgery.header_signs(msg))
    if filter_verdict(msg, subject) == SUSPICIOUS:
        signs.append(Sign("spam_score", 1))
    mid = str(msg.get("Message-ID", "") or "").strip().strip("<>")
    mid_host = _domain(mid) if "@" in mid else ""
    if mid_host and (
        _BULK_MSGID_DOMAIN.search(mid_host)
        or any(_BULK_HOST_LABEL.match(label) for label in mid_host.split(".")[:-2])
    ):
        signs.append(Sign("bulk_message_id", 2))
    if sender:
        home = _base(_domain(sender))
        return_path = parseaddr(str(msg.get("Return-Path", "") or ""))[1]
        reply_to = parseaddr(str(msg.get("Reply-To", "") or ""))[1]
        elsewhere = [a for a in (return_path, reply_to) if "@" in a and _base(_domain(a)) != home]
        if elsewhere:
            signs.append(Sign("sender_mismatch", 1))
        if any(_machine_local(a) for a in (sender, reply_to) if "@" in a):
            signs.append(Sign("machine_address", 1))
    if not reply and _RE_SUBJECT.match(subject or ""):
        signs.append(Sign("fake_reply", 1))
    return signs


def body_signs(html: str, plain: bool, own_text: str) -> list[Sign]:
    """Signs in the body's structure: a tracking pixel, many links, a newsletter's layout,
    hidden text, links that hide their host; and the weak signs of its text (an
    unsubscribe or do-not-reply line, ``notices.notice_signs``)."""
    signs = [Sign(name, 2, reason) for name, reason in notice_signs(own_text)]
    if html:
        images = _IMG.findall(html)
        if any(_PIXEL_SIZE.search(i) or _TRACKER_SRC.search(i) for i in images):
            signs.append(Sign("tracking_pixel", 2))
        links = {h.lower() for h in _HREF.findall(html)}
        remote = sum(1 for i in images if _REMOTE_IMG.search(i))
        tables = len(_TABLE.findall(html))
        if (not plain and (remote >= 2 or tables >= 2 or len(links) >= 5)) or (
            remote >= 4 and tables >= 3
        ):
            signs.append(Sign("bulk_layout", 1))
        if _HIDDEN_TEXT.search(html):
            signs.append(Sign("hidden_text", 1))
    else:
        links = {u.lower() for u in _PLAIN_URL.findall(own_text)}
    if len(links) >= 25:
        signs.append(Sign("many_links", 2))
    elif len(links) >= 10:
        signs.append(Sign("many_links", 1))
    if any(_disguised(link) for link in links):
        signs.append(Sign("disguised_link", 1))
    return signs


def _disguised(link: str) -> bool:
    """A link whose host is percent-encoded or a bare IP address: it hides where it goes."""
    try:
        host = urlsplit(link).netloc.rsplit("@", 1)[-1]
    except ValueError:
        return True
    return "%" in host or bool(_IP_HOST.match(host.split(":", 1)[0]))


def form_signs(subject: str, text: str, sender: str) -> list[Sign]:
    """A web form's or a lead system's mail: its subject announces a submission, its body is
    "Label: value" lines with an e-mail field that is not the sender's (the visitor's words
    are in a field; the mail is the site's)."""
    signs: list[Sign] = []
    if _FORM_SUBJECT.search(subject or ""):
        signs.append(Sign("form_subject", 2, "web_form"))
    lines = [line for line in text.split("\n") if line.strip()]
    fields = len(_FIELD.findall(text))
    email = _EMAIL_FIELD.search(text)
    if fields >= 3 and fields * 2 >= len(lines[:40]) and email and email.group(1).lower() != sender:
        signs.append(Sign("form_fields", 2, "web_form"))
    return signs


def decide(signs: list[Sign]) -> str | None:
    """The reason for mail whose ``signs`` add up (see the module's rule), else None: the
    reason whose signs weigh the most."""
    weight: dict[str, int] = {}
    reason: dict[str, str] = {}
    for sign in signs:
        weight[sign.name] = max(weight.get(sign.name, 0), sign.weight)
        reason[sign.name] = sign.code
    total = sum(weight.values())
    if total < THRESHOLD or (max(weight.values()) < 2 and total < THRESHOLD + 1):
        return None
    by_reason: dict[str, int] = {}
    for name, w in weight.items():
        by_reason[reason[name]] = by_reason.get(reason[name], 0) + w
    rank = {code: i for i, code in enumerate(_ORDER)}
    return min(by_reason, key=lambda c: (-by_reason[c], rank.get(c, len(rank))))


def collect_signs(
    msg: MimeMessage,
    sender: str,
    subject: str,
    own_text: str,
    html: str,
    plain: bool,
    reply: bool,
    forward: bool,
    own_addresses: frozenset[str] = frozenset(),
) -> list[Sign]:
    """Every sign of ``msg`` (see the module): the body's only for a new mail whose sender
    does not speak for themselves."""
    signs = header_signs(msg, sender, subject, reply, own_addresses)
    if reply or forward:
        return signs
    signs.extend(form_signs(subject, own_text, sender))
    if pitch.commercial_offer(own_text):  # its own sentences only (first person left out)
        signs.append(Sign("commercial_offer", 1))
    if not speaks_for_self(own_text):
        signs.extend(body_signs(html, plain, own_text))
        signs.extend(Sign(name, w) for name, w in ratware.text_signs(subject, own_text))
    return signs
