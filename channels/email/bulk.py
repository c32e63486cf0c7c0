"""Bulk and machine mail that carries none of the RFC 3834 or mailing-list headers.

A shop's newsletter sent from ``news@...``, a campaign sent through a mailing service (which
adds its own headers), an order system's notice sent with a plain mail library, a spam offer
with an unsubscribe link at the bottom: nobody is behind them to read an answer, and an
answer is backscatter at best. They are stored for agents, with their reason, and never
answered. A customer who asks about unsubscribing, quotes a robot's notice or forwards a
newsletter with a question is a customer (the rules of ``notices.py``).
"""

from __future__ import annotations

import re
from email.message import Message as MimeMessage

from channels.email.notices import notice_reason, own_sentences
from channels.email.signs import SIGN_REASONS, ad_subject

# Role mailboxes of bulk senders (newsletters, announcements, offers): never a person writing.
_BULK_SENDER = re.compile(
    r"^(e-?)?(news|newsletters?|announce|announcements?|marketing|promos?|promotions?|offers"
    r"|deals|campaigns?|mailings?|digest|mailer|edm|bulletins?)([._+\-][^@]*)?@"
    # a newsletter's word anywhere in the local part (discovercard_newsflash@, shop.newsletter@)
    r"|^([^@]*[._+\-])?(newsletters?|newsflash)([._+\-][^@]*)?@",
    re.I,
)
# Headers that mailing and transactional-mail services add to what their customers send
# (Mailchimp/Mandrill, SendGrid, Mailgun, Amazon SES configuration sets, Postmark, SparkPost,
# Mailjet, Brevo/Sendinblue, Salesforce Marketing Cloud, Marketo, Constant Contact, listmonk),
# complaint feedback loops (Feedback-ID, RFC 9477 CFBL, Microsoft's X-MSFBL) and bulk
# senders' certification (CSA). No person's mail client adds any of them.
_BULK_MAILER_HEADERS = (
    "feedback-id",
    "x-feedback-id",
    "cfbl-address",
    "cfbl-feedback-id",
    "x-msfbl",
    "x-csa-complaints",
    "x-sg-eid",
    "x-sg-id",
    "x-pm-message-id",
    "x-msys-api",
    "x-roving-id",
    "x-job",
    "x-mailgun-sid",  # on everything Mailgun sends (not X-Mailgun-Incoming: mail it receives)
)
_BULK_MAILER_PREFIXES = (
    "x-campaign",
    "x-mailchimp",
    "x-mc-user",
    "x-mandrill-",
    "x-sendgrid-",
    "x-ses-configuration-set",
    "x-ses-message-tags",
    "x-mailjet-",
    "x-mailin-",
    "x-sib-",
    "x-sfmc",
    "x-marketo",
    "x-newsletter",
    "x-report-abuse",
    "x-listmonk",
    "x-rpcampaign",
)
# Mailing software named in X-Mailer / User-Agent (a mail library alone says nothing: a
# web shop's contact form relays a customer's words with one).
_BULK_SOFTWARE = re.compile(
    r"mailchimp|phplist|sendy\b|mautic|interspire|mailerlite|listmonk|campaign\s*monitor"
    r"|constant\s*contact|sendblaster|atomic\s*mail|mailwizz|acymailing|mailpoet|newsletter"
    r"|mass\s*mail|bulk\s*mail|群发|群發",
    re.I,
)
# An unsubscribe link in the sender's own text; an HTML link whose text says unsubscribe.
_UNSUB_WORDS = r"(?:unsubscrib\w*|取消订阅|取消訂閱|退订邮件|退订链接|点击退订|退訂)"
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
FORWARD_SUBJECT = re.compile(r"^\s*(fw|fwd|转发|轉寄|转寄|wg)\s*[:：]", re.I)
_MACHINE_BODY = re.compile(r"^\s*<\?xml\s")
# Every reason this module and ``signs.py`` give (labelled in the console like the others).
BULK_REASONS = (
    frozenset(
        {"bulk_mailer", "bulk_sender", "bulk_content", "automated_notice", "machine_generated"}
    )
    | SIGN_REASONS
)


def mailer_reason(msg: MimeMessage, sender: str) -> str | None:
    """``bulk_mailer`` (a mailing service's headers or software) or ``bulk_sender`` (a
    newsletter mailbox as sender), None when the headers say nothing of bulk mail."""
    names = {k.lower() for k in msg.keys()}
    if names.intersection(_BULK_MAILER_HEADERS) or any(
        n.startswith(_BULK_MAILER_PREFIXES) for n in names
    ):
        return "bulk_mailer"
    software = " ".join(str(msg.get(h, "") or "") for h in ("X-Mailer", "User-Agent"))
    if _BULK_SOFTWARE.search(software):
        return "bulk_mailer"
    if sender and _BULK_SENDER.match(sender):
        return "bulk_sender"
    return None


def bulk_reason(
    msg: MimeMessage, sender: str, subject: str, own_text: str, html: str, reply: bool
) -> str | None:
    """Why a message is bulk or machine mail although it carries none of the RFC 3834 or list
    headers: ``bulk_mailer``, ``bulk_sender`` (``mailer_reason``); for a new mail (not a
    reply or a forward, whose text quotes someone else's), by ``own_text``, the text above any
    quote: ``bulk_content`` (a mailing's footer, an unsubscribe link), ``automated_notice``
    (a robot's "do not reply"), ``machine_generated`` (an XML document as the body). None for
    anything a person may have written."""
    found = mailer_reason(msg, sender)
    if found:
        return found
    if ad_subject(subject):
        return "ad_subject"
    if reply or FORWARD_SUBJECT.match(subject or "") or not own_text:
        return None
    if _MACHINE_BODY.match(own_text):
        return "machine_generated"
    words = "\n\n".join(own_sentences(own_text))
    if _UNSUB_TEXT.search(words):
        return "bulk_content"
    # An HTML mail whose own text says "unsubscribe" on a link (the address is in the HTML).
    if html and _UNSUB_WORD.search(words) and _UNSUB_ANCHOR.search(html):
        return "bulk_content"
    return notice_reason(own_text)
