"""Mail we must never answer: auto-replies, bounces, lists, bulk mail, ourselves.

The rules of RFC 3834 and the headers real systems send (CHANNELS.md, Email 6). Such mail is
stored for agents to see, but the bot does not run on it and nothing is sent back.
"""

from __future__ import annotations

import re
from email.message import Message as MimeMessage
from email.utils import parseaddr

from channels.email.signs import SPAM, filter_verdict

# An address a reply can be sent to: one @, no spaces, quotes or brackets, a dotted domain
# that is not a reserved ``.invalid`` one. Mail from anything else has nobody to answer.
_USABLE = re.compile(r"^[^@\s<>\"(),;:\\\[\]]+@[^@\s<>\"(),;:\\\[\]]+\.[^@\s<>\"(),;:\\\[\].]+\Z")


def usable_address(address: str) -> bool:
    """Whether a reply can be addressed to ``address`` (the same test the sender applies)."""
    return bool(_USABLE.match(address)) and not address.lower().endswith(".invalid")


_BOUNCE_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|post_master|post-master|mail-daemon|mailerdaemon)@", re.I
)
# no-reply anywhere in the local part as a word of its own: noreply@, no_reply@,
# gmail-noreply@, do-not-reply.orders@...; the mailboxes notification systems send from
# (notifications@, calendar-notification@, alerts@, automated@); bounce handlers.
_NOREPLY = re.compile(
    r"^([^@]*[._+\-])?(no[._\-]?reply|do[._\-]?not[._\-]?reply|bounces?|notifications?|notify"
    r"|notifier|notices?|alerts?|automated|auto[._\-]?(reply|responder|confirm|mailer)"
    r"|invitations?|reminders?)([._+\-][^@]*)?@",
    re.I,
)
# A mailing list's own addresses (owner-list@, list-request@, list-bounces@): as From, as
# Sender or as Return-Path, the mail was distributed by the list.
_LIST_ADDRESS = re.compile(r"^(owner-[^@]+|[^@]+-(request|owner|admin|bounces))@", re.I)
# System accounts: mail from a web server, a cron job or a script, never from a person (a web
# form's relay too: WordPress sends as wordpress@ unless told otherwise).
_SYSTEM_SENDER = re.compile(
    r"^(nobody|anonymous|www-data|wwwrun|www|apache2?|httpd|nginx|daemon|cron|root|wordpress"
    r"|formmail|web-?forms?|form-?mailer)@",
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
# Out-of-office and auto-reply subjects as mail servers write them (Exchange's "Automatic
# reply:" in the languages it ships), and read receipts ("Read:", "已读:").
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|vacation|"
    r"automatische\s+antwort|abwesenheit|r[ée]ponse\s+automatique|respuesta\s+autom[áa]tica"
    r"|risposta\s+automatica|resposta\s+autom[áa]tica|automatisch\s+antwoord|"
    r"自动回复|自動回覆|自動回复|自动答复|read\s*:|已读\s*[:：]|已讀\s*[:：])",
    re.I,
)
# A header that names an auto-responder (X-Autoresponder, X-Mail-Autoreply, X-AutoReply-From).
_AUTORESPONDER_HEADER = re.compile(r"auto-?(reply|respon)", re.I)
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
# More headers of mailing-list managers (RFC 2369's others, ezmlm, Mailman, SmartList).
_LIST_HEADERS = (
    "list-owner",
    "list-archive",
    "list-unsubscribe-post",
    "mailing-list",
    "x-mailing-list",
    "x-mailman-version",
    "x-beenthere",
)
# Notification systems (code hosting, issue trackers, CI, cron) mark their mail with their own
# headers; a person's mail client never adds them.
_NOTIFIER_PREFIXES = (
    "x-github-",
    "x-gitlab-",
    "x-jira-",
    "x-redmine-",
    "x-bugzilla-",
    "x-gerrit-",
    "x-phabricator-",
    "x-trac-",
    "x-discourse-",
    "x-jenkins-",
    "x-cron-env",
    "x-facebook-notify",
    "x-linkedin-",
)
# To / Cc naming only an empty group ("undisclosed-recipients:;", "IETF-Announce:;"): the
# mail was sent to a hidden list of recipients, a mailing, not a message to us.
_EMPTY_GROUP = re.compile(r"^\s*[^:@<>\"]*:\s*;?\s*$")
# A bounce address in Return-Path (VERP: bounce-123@..., bounces+abc=...@..., x@bounce.host):
# the mail came from a bulk sender that collects its bounces, never a person's client.
_BULK_RETURN_PATH = re.compile(
    r"^(bounces?([+.\-=_][^@]*)?|[^@]*[.\-_]bounces?)@|@bounces?\.", re.I
)


def bulk_return_path(address: str) -> bool:
    """Whether ``address`` (Return-Path or SMTP MAIL FROM) is a bulk sender's bounce address."""
    return bool(_BULK_RETURN_PATH.search(address.strip().strip("<>")))


def envelope_reason(address: str) -> str | None:
    """Why mail with this return address (Return-Path, or SMTP ``MAIL FROM``) is not answered:
    ``null_return_path`` (``<>``), ``bulk_return_path``, ``bounce`` (MAILER-DAEMON), or
    what ``sender_reason`` finds; None for a person's address or when there is none."""
    bare = address.replace(" ", "").strip("<>")
    if address.strip() and not bare:
        return "null_return_path"
    if not bare:
        return None
    if bulk_return_path(bare):
        return "bulk_return_path"
    if _BOUNCE_SENDERS.match(bare) or bare.lower() == "mailer-daemon":
        return "bounce"
    return sender_reason(bare)


def sender_reason(address: str) -> str | None:
    """``bounce``, ``noreply_sender``, ``list_sender``, ``system_sender`` for an address that
    is not a person's; None for anything else."""
    if _BOUNCE_SENDERS.match(address):
        return "bounce"
    if _LIST_ADDRESS.match(address):
        return "list_sender"
    if _NOREPLY.match(address):
        return "noreply_sender"
    if _SYSTEM_SENDER.match(address) and usable_address(address):
        return "system_sender"  # (root@localhost is nobody to answer: no_sender, later)
    return None


def _structural_reason(msg: MimeMessage) -> str | None:
    """List managers' and notification systems' headers, calendar invitations and answers,
    mail to a hidden list of recipients."""
    for name in _LIST_HEADERS:
        if msg.get(name) is not None:
            return name.replace("-", "_")
    if any(k.lower().startswith(_NOTIFIER_PREFIXES) for k in msg.keys()):
        return "notification_system"
    for part in msg.walk():
        # An iTIP message (RFC 6047: text/calendar with a method) is a calendar's invitation,
        # answer or cancellation; a plain .ics attachment has no method.
        if part.get_content_type() == "text/calendar" and part.get_param("method"):
            return "calendar"
    to = [str(msg.get(h, "") or "") for h in ("To", "Cc") if msg.get(h) is not None]
    if to and to[0].strip() and all(_EMPTY_GROUP.match(v) for v in to if v.strip()):
        return "undisclosed_recipients"
    return None


def automatic_reason(
    msg: MimeMessage, sender: str, subject: str, own_addresses: frozenset[str]
) -> str | None:
    """Why this message must not be answered (``auto_submitted``, ``bounce``...), or None."""
    auto = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return "auto_submitted"
    precedence = str(msg.get("Precedence", "") or msg.get("X-Precedence", "") or "")
    precedence = precedence.strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"precedence_{precedence}"
    for name in _AUTO_HEADERS:
        if msg.get(name) is not None:
            return name.replace("-", "_")
    if str(msg.get("X-Autogenerated", "") or "").lower() in ("reply", "forward", "group"):
        return "x_autogenerated"
    if any(_AUTORESPONDER_HEADER.search(k) for k in msg.keys() if k.lower().startswith("x-")):
        return "x_autoreply"
    # Marked as spam by the filter in front of us (SpamAssassin, Rspamd, Exchange): answering
    # it would send backscatter to a forged sender.
    if filter_verdict(msg, subject) == SPAM:
        return "spam"
    if msg.get_content_type() == "multipart/report":
        return "delivery_report"
    envelope = envelope_reason(str(msg.get("Return-Path", "") or ""))
    if envelope in ("null_return_path", "bulk_return_path"):
        return envelope
    if not sender:
        return "no_sender"
    if sender.lower() in own_addresses:
        return "own_address"
    # The author (From) and the agent that sent it for them (Sender: a list's bounce
    # address, a calendar's notification mailbox).
    agent = parseaddr(str(msg.get("Sender", "") or ""))[1].strip().lower()
    for address in (sender, agent):
        found = sender_reason(address) if "@" in address else None
        if found:
            return found
    if envelope:  # the return address of a list, a robot or MAILER-DAEMON
        return envelope
    if _BOUNCE_SUBJECT.search(subject):
        return "bounce"
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply_subject"
    for part in msg.walk():
        if part.get_content_type() in (
            "message/delivery-status",
            "message/feedback-report",
            "message/disposition-notification",  # a read receipt (RFC 8098)
        ):
            return "delivery_report"
    return _structural_reason(msg)


# Every reason this module gives (the console's "Not answered" page labels each in zh and en).
LOOP_REASONS = frozenset(
    {
        "auto_submitted",
        "precedence_bulk",
        "precedence_list",
        "precedence_junk",
        "precedence_auto_reply",
        "x_autogenerated",
        "spam",
        "delivery_report",
        "null_return_path",
        "bulk_return_path",
        "no_sender",
        "own_address",
        "bounce",
        "noreply_sender",
        "list_sender",
        "system_sender",
        "auto_reply_subject",
        "notification_system",
        "calendar",
        "undisclosed_recipients",
        *(name.replace("-", "_") for name in (*_AUTO_HEADERS, *_LIST_HEADERS)),
    }
)
