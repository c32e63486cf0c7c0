"""Mail we must never answer: auto-replies, bounces, lists, bulk mail, ourselves.

The rules of RFC 3834 and the headers real systems send (CHANNELS.md, Email 6). Such mail is
stored for agents to see, but the bot does not run on it and nothing is sent back.
"""

from __future__ import annotations

import re
from email.message import Message as MimeMessage

# An address a reply can be sent to: one @, no spaces, quotes or brackets, a dotted domain
# that is not a reserved ``.invalid`` one. Mail from anything else has nobody to answer.
_USABLE = re.compile(r"^[^@\s<>\"(),;:\\\[\]]+@[^@\s<>\"(),;:\\\[\]]+\.[^@\s<>\"(),;:\\\[\].]+$")


def usable_address(address: str) -> bool:
    """Whether a reply can be addressed to ``address`` (the same test the sender applies)."""
    return bool(_USABLE.match(address)) and not address.lower().endswith(".invalid")


_BOUNCE_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|post_master|post-master|mail-daemon|mailerdaemon)@", re.I
)
# no-reply anywhere in the local part as a word of its own: noreply@, no_reply@,
# gmail-noreply@, do-not-reply.orders@...; list owners and bounce handlers.
_NOREPLY = re.compile(
    r"^(([^@]*[._+\-])?(no[._\-]?reply|do[._\-]?not[._\-]?reply|bounces?)([._+\-][^@]*)?"
    r"|owner-[^@]+|[^@]+-(request|owner|admin|bounces))@",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|delivery status notification|delivery (has )?fail|"
    r"returned mail|mail delivery (failed|failure|system|subsystem)|failure notice|"
    r"delivery failure|non[- ]?delivery|could not be delivered|message not delivered|"
    r"nondeliverable|rejected:|complaint about message|abuse report|"
    r"系统退信|退信|投递失败|未能送达|無法傳遞|无法投递)",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|vacation|"
    r"自动回复|自動回覆|自动答复)",
    re.I,
)
_AUTO_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-loop",
    "list-id",
    "list-unsubscribe",
    "list-subscribe",
    "list-post",
    "list-help",
    "x-mlserver",
    "x-ml-name",
    "x-hmxmroriginalrecipient",
    "x-failed-recipients",
    "feedback-type",
    "errors-to",  # mailing-list managers and bulk mailers; no person's client sets it
)
# A bounce address in Return-Path (VERP: bounce-123@..., bounces+abc=...@..., x@bounce.host):
# the mail came from a bulk sender that collects its bounces, never a person's client.
_BULK_RETURN_PATH = re.compile(r"^(bounces?[+.\-=_][^@]*|[^@]*[.\-_]bounces?)@|@bounces?\.", re.I)


# Role mailboxes of bulk senders (newsletters, announcements, offers): never a person writing.
_BULK_SENDER = re.compile(
    r"^(e-?)?(news|newsletters?|announce|announcements?|marketing|promos?|promotions?|offers"
    r"|deals|campaigns?|mailings?|digest)([._+\-][^@]*)?@",
    re.I,
)
# Headers that mailing services (Mailchimp, SendGrid, Salesforce MC, Marketo, Mailgun lists,
# listmonk...) and the bulk senders' certification (CSA) add; no person's mail client does.
_BULK_MAILER_HEADERS = ("feedback-id", "x-feedback-id", "x-csa-complaints", "x-sg-eid")
_BULK_MAILER_PREFIXES = (
    "x-campaign",
    "x-mailchimp",
    "x-mc-user",
    "x-sfmc",
    "x-marketo",
    "x-newsletter",
    "x-report-abuse",
    "x-listmonk",
    "x-rpcampaign",
)
# An unsubscribe link or a removal notice in the sender's own words (the text above any quoted
# mail): a newsletter or an offer, even without List-Unsubscribe. A person asking how to
# unsubscribe writes no link, and a forward or a reply quotes someone else's mail, so both
# are left to the other rules.
_UNSUB_WORDS = r"(?:unsubscrib\w*|取消订阅|退订邮件|退订链接|点击退订)"
_UNSUB_WORD = re.compile(_UNSUB_WORDS, re.I)
_UNSUB_TEXT = re.compile(
    rf"{_UNSUB_WORDS}[\s\S]{{0,40}}?(?:https?://|mailto:|www\.)"
    r"|(?:https?://|www\.)[^\s\"'<>]*unsub",
    re.I,
)
_UNSUB_ANCHOR = re.compile(
    r"<a\b[^>]*\bhref\s*=\s*[\"']?[^\"'\s>]*unsub[^>]*>"
    rf"|<a\b[^>]*>[^<]{{0,80}}{_UNSUB_WORDS}",
    re.I,
)
_REMOVAL = re.compile(
    r"\b(?:wish|want|like|prefer)\s+(?:not\s+)?to\s+be\s+removed\s+from\b"
    r"|\bno\s+longer\s+wish\s+to\s+receive\b",
    re.I,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(fw|fwd|转发|轉寄|wg)\s*[:：]", re.I)


def bulk_reason(
    msg: MimeMessage, sender: str, subject: str, own_text: str, html: str, reply: bool
) -> str | None:
    """Why a message is bulk mail although it carries none of the RFC 3834 or list headers:
    ``bulk_mailer`` (a mailing service's headers), ``bulk_sender`` (a newsletter mailbox) or
    ``bulk_content`` (an unsubscribe link or a removal notice in ``own_text``, the text above
    any quote, of a mail that is not a reply or a forward); None for anything a person may
    have written."""
    names = {k.lower() for k in msg.keys()}
    if names.intersection(_BULK_MAILER_HEADERS) or any(
        n.startswith(_BULK_MAILER_PREFIXES) for n in names
    ):
        return "bulk_mailer"
    if sender and _BULK_SENDER.match(sender):
        return "bulk_sender"
    if reply or _FORWARD_SUBJECT.match(subject or "") or not own_text:
        return None
    if _UNSUB_TEXT.search(own_text) or _REMOVAL.search(own_text):
        return "bulk_content"
    # An HTML mail whose own text says "unsubscribe" on a link (the address is in the HTML).
    if html and _UNSUB_WORD.search(own_text) and _UNSUB_ANCHOR.search(html):
        return "bulk_content"
    return None


def bulk_return_path(address: str) -> bool:
    """Whether ``address`` (Return-Path or SMTP MAIL FROM) is a bulk sender's bounce address."""
    return bool(_BULK_RETURN_PATH.search(address.strip().strip("<>")))


def automatic_reason(
    msg: MimeMessage, sender: str, subject: str, own_addresses: frozenset[str]
) -> str | None:
    """Why this message must not be answered (``auto_submitted``, ``bounce``...), or None."""
    auto = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return "auto_submitted"
    precedence = str(msg.get("Precedence", "") or "").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"precedence_{precedence}"
    for name in _AUTO_HEADERS:
        if msg.get(name) is not None:
            return name.replace("-", "_")
    if str(msg.get("X-Autogenerated", "") or "").lower() in ("reply", "forward", "group"):
        return "x_autogenerated"
    # Marked as spam by the filter in front of us (SpamAssassin, Rspamd): answering it
    # would send backscatter to a forged sender.
    if str(msg.get("X-Spam-Flag", "") or "").strip().lower() == "yes" or str(
        msg.get("X-Spam-Status", "") or ""
    ).strip().lower().startswith("yes"):
        return "spam"
    if msg.get_content_type() == "multipart/report":
        return "delivery_report"
    return_path = str(msg.get("Return-Path", "") or "").strip()
    if return_path and return_path.replace(" ", "") in ("<>", "<<>>"):
        return "null_return_path"
    if bulk_return_path(return_path):
        return "bulk_return_path"
    if not sender:
        return "no_sender"
    if sender.lower() in own_addresses:
        return "own_address"
    if _BOUNCE_SENDERS.match(sender):
        return "bounce"
    if _NOREPLY.match(sender):
        return "noreply_sender"
    if _BOUNCE_SUBJECT.search(subject):
        return "bounce"
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply_subject"
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/feedback-report"):
            return "delivery_report"
    return None
