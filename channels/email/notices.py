"""What a mail's own words say about its sender: a robot's notice, a newsletter's footer.

Machines that send mail without any header saying so (a shop's order system, a newsletter
sent with a plain mail library) still write like machines: "This is an automated message,
please do not reply", "此邮件为系统自动发送，请勿回复", "View this email in your browser",
"You are receiving this email because...", an unsubscribe link. People who write to support
quote such sentences ("I got a mail saying 'do not reply' but..."), ask how to unsubscribe,
or say "don't reply to this address, call me". The rules below keep those apart:

- only the text the sender wrote above any quote counts (the caller passes it), and only for
  a new mail: a reply or a forward carries someone else's text;
- a sentence in the first person singular ("I", "my", "我") or a complaint ("your link does
  not work") is a person's, never a notice; text in quotation marks is someone else's;
  everything after "I got this:", "Your site says:", "我收到了这封邮件：" is pasted;
- a notice of automation counts when it says "do not reply" in the same sentence or stands at
  the foot of the mail; a footer that only a mailing sends ("you are receiving this because",
  a "view in browser" banner, "if you no longer wish to receive", an unsubscribe link) counts
  on its own; the weak signs ("unsubscribe", "manage your preferences", "do not reply to
  this email") count only when both kinds come together.
"""

from __future__ import annotations

import re

# A person speaking: the first person singular ("我们" / "我司" are a company's voice). Links
# and addresses are left out first (my.shop.example, /i/ in a path are nobody speaking).
_FIRST_PERSON = re.compile(
    r"\bI\b|(?<![\w.])i(?=\s)|(?i:\b(?:i'm|i've|i'd|i'll|me|my|mine|myself)\b)"
    r"|我(?![们們司行])|本人"
)
# A complaint ("your unsubscribe link does not work") is a person speaking too.
_COMPLAINT = re.compile(
    r"(?i:\b(?:not|n't|never)\s+work|\bbroken\b|\bstill\s+(?:get|receiv)|\bstop\s+sending\b)"
    r"|不能用|无效|無效|没用|沒用|失效|还在发|還在發|还是收到|還是收到"
)
_LINK = re.compile(r"(?:https?://|mailto:|www\.)\S*|\S+@\S+", re.I)
# (A code of one or two characters in quotes, "回复“TD”退订", is not a quotation.)
_QUOTED = re.compile(
    r"\"[^\"\n]{3,300}\"|“[^”]{3,300}”|「[^」]{3,300}」|『[^』]{3,300}』|‘[^’]{3,300}’"
)
# Sentence ends: .!?; before a space, CJK punctuation anywhere, a colon before a space.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])|(?<=[:：])\s+|(?<=：)")

_NOUN = r"(?:e-?mail|message|notification|notice|mail)"
_AUTOMATED = (
    r"(?:automated|automatic|auto-?generated|system[- ]generated|computer[- ]generated"
    r"|machine[- ]generated)"
)
# "This is an automated message", "此邮件为系统自动发送": a mail saying it was sent by a machine.
_AUTO_NOTICE = re.compile(
    rf"\bthis\s+(?:{_NOUN}\s+)?is\s+an?\s+{_AUTOMATED}\s+(?:{_NOUN}|response|reply)\b"
    rf"|\bthis\s+{_NOUN}\s+(?:was|has\s+been|is)\s+(?:sent\s+automatically|automatically\s+"
    rf"(?:sent|generated)|generated\s+automatically|{_AUTOMATED}|sent\s+(?:from|by)\s+an?\s+"
    r"(?:automated|automatic)\s+(?:system|service|mailbox))"
    r"|\bthis\s+(?:mailbox|e-?mail\s+address|address|inbox)\s+(?:is\s+(?:not\s+monitored"
    r"|unmonitored|unattended|not\s+attended)|does\s+not\s+accept\s+(?:replies|incoming))"
    rf"|\brepl(?:y|ies)\s+to\s+this\s+(?:{_NOUN}|address)\s+(?:are|is|will)\s+not\s+(?:be\s+)?"
    r"(?:monitored|read|answered|received|delivered)"
    r"|\b(?:sent\s+from|this\s+is)\s+an?\s+(?:unmonitored|unattended|send-only"
    r"|notification-only|no-?reply)\s+(?:mailbox|address|e-?mail)"
    r"|(?:此|本|该|這|这|該)(?:封|是一封)?(?:邮件|郵件|信件|信息|消息|通知)?(?:为|為|是|由|系|係)"
    r"(?:系统|系統)?(?:自动|自動)(?:发送|發送|发出|發出|生成|產生|产生)"
    r"|(?:此|本|该|這|这|該)(?:邮件|郵件|信件|通知)?(?:为|為|是)(?:系统|系統)(?:自动|自動)?"
    r"(?:邮件|郵件|发出|發出|通知|发送|發送)",
    re.I,
)
_DO_NOT_REPLY = re.compile(
    rf"\b(?:please\s+)?(?:do\s+not|don'?t|never)\s+(?:reply|respond)\s+(?:directly\s+)?to\s+"
    rf"(?:this|the)\s+(?:{_NOUN}|address|sender)"
    r"|(?:请勿|請勿|请不要|請不要|切勿|无需|無需|不要)(?:直接)?(?:回复|回覆|答复|回信)",
    re.I,
)
# A banner or footer of a mailing: never in what a person writes to support.
_MAILING_FOOTER = re.compile(
    rf"\byou(?:'re|\s+are|\s+were|\s+have\s+been)?\s+(?:receiving|received|getting|sent)\s+this"
    rf"\s+(?:{_NOUN}|newsletter)s?\s+(?:because|as\s+(?:a|an|you)|since)\b"
    rf"|\bthis\s+{_NOUN}\s+was\s+sent\s+to\s+\S+@\S+"
    rf"|\bthis\s+{_NOUN}\s+(?:was|has\s+been|is\s+being)\s+sent\s+to\s+you\s+(?:because|as\s+a|since)"
    # the legal footer of a mass mailing ("sent in compliance with CAN-SPAM / Bill S.1618")
    r"|\b(?:sent|being\s+sent|mailed)\s+in\s+(?:full\s+)?compliance\s+with\b"
    # removal instructions the other way round, and a mailing that says it is one
    r"|\bclick\s+(?:here|below|this\s+link)\s+to\s+(?:be\s+removed|unsubscribe|opt[- ]out|stop"
    r"\s+receiving)|\bwith\s+[\"“']?remove[\"”']?\s+in\s+the\s+subject"
    r"|\bthis\s+is\s+a\s+one[- ]time\s+(?:mailing|e-?mail|message|offer)\b"
    r"|\bview\s+(?:this|the|it|our)?\s*(?:e-?mail|message|newsletter|version)?\s*(?:online|in\s+"
    r"(?:your|a|the)\s+(?:web\s+)?browser)\b|\bview\s+(?:the\s+)?(?:web|online)\s+version\b"
    rf"|\b(?:having\s+)?trouble\s+(?:viewing|reading|seeing)\s+this\s+(?:{_NOUN}|newsletter)"
    rf"|\b{_NOUN}\s+not\s+display(?:ing)?\s+(?:correctly|properly)"
    r"|\bif\s+you\s+(?:would\s+)?(?:no\s+longer|do\s+not|don'?t|would\s+rather\s+not)\s+"
    r"(?:wish|want|like|care)\s+to\s+(?:receive|get|hear)"
    r"|\bif\s+you\s+(?:would\s+)?(?:wish|want|like|prefer)\s+(?:not\s+)?to\s+(?:be\s+removed"
    r"|unsubscribe|opt[- ]out|stop\s+receiving)"
    r"|\bto\s+(?:be\s+removed\s+from|unsubscribe|opt[- ]out|stop\s+receiving)\b[^.\n]{0,60}?"
    r"\b(?:reply|click|send|visit|go\s+to|e-?mail\s+us)\b"
    r"|(?:您|你)(?:之所以|会|會)?收到(?:此|这|這|本|该|該)(?:封)?(?:邮件|郵件|信|消息)"
    r"[^。！？\n]{0,6}(?:因为|因為|是由于|是由於)"
    r"|(?:在|用)(?:浏览器|瀏覽器)(?:中|里|裡)?(?:查看|打开|打開|浏览|瀏覽)|查看(?:网页版|網頁版|在线版|線上版)"
    r"|(?:无法|無法|不能)正常(?:查看|显示|顯示|浏览|瀏覽)(?:此|本|该|該)?(?:邮件|郵件)"
    r"|(?:如果|若|如)(?:您|你)?(?:不想|不希望|不愿|不願|不再希望|不愿意|不願意)(?:再|继续|繼續)?"
    r"(?:收到|接收|订阅|訂閱)"
    # "回复TD退订", "退订请回T", "reply STOP to unsubscribe": a mass mailing's opt-out line.
    r"|(?:回复|回覆|回|发送|發送)\s*[\"“]?(?:TD|T|N|0000)[\"”]?\s*(?:即可|可)?(?:退订|退訂)"
    r"|(?:退订|退訂)(?:请|請)?(?:回复|回覆|回)\s*[\"“]?(?:TD|T|N)(?![A-Za-z])"
    r"|\breply\s+[\"“]?(?:stop|unsubscribe|remove)[\"”]?\s+to\s+(?:unsubscribe|opt[- ]out|stop)",
    re.I,
)
_OPT_OUT = re.compile(
    r"\bunsubscrib\w*|\bopt[- ]out\b|\b(?:manage|update|change)\s+(?:your\s+)?(?:e-?mail\s+)?"
    r"(?:preferences|subscriptions?|settings\s+for\s+these)|退订|退訂|取消订阅|取消訂閱"
    # a removal address or link (mailto:remove@..., https://.../optout), "removed from our list"
    r"|mailto:\s*(?:remove|opt-?out|unlist)\w*@|(?:https?://|www\.)\S*?[/=?&](?:remove|opt-?out"
    r"|opt_out|unlist)\b|\bremoved?\s+from\s+(?:our|this|the|any)\s+(?:future\s+)?(?:mailing\s+"
    r"|e-?mail\s+)?(?:list|database|mailings)",
    re.I,
)
# "I got this:", "我收到了这封邮件：": what follows is pasted, not the sender's own words.
_PASTE_INTRO = re.compile(
    r"\b(?:got|get|getting|received?|receiving|says?|said|saying|reads?|wrote|sent|forwarded"
    r"|copied|pasted|attached|below|here\s+is|here's|following)\b"
    r"|收到|说|說|写着|寫著|显示|顯示|如下|以下|下面|附上|内容|內容|转发|轉發",
    re.I,
)
# "Your site says:", "邮件上写着：": what follows is quoted, whoever introduces it.
_QUOTE_INTRO = re.compile(
    r"\b(?:says|said|saying|reads|wrote|writes)\b|写着|寫著|写道|寫道|说(?!明)|說(?!明)", re.I
)
_COLON_END = re.compile(r"[:：]\s*$")


def _paragraphs(text: str) -> list[list[str]]:
    """``text`` as paragraphs of sentences: hard-wrapped lines joined, quotations taken out
    (before the split: a quoted notice may hold sentences of its own), split at sentence
    ends and colons."""
    out: list[list[str]] = []
    for para in re.split(r"\n\s*\n", text):
        joined = ""
        for line in para.split("\n"):
            line = line.strip()
            if not line:
                continue
            gap = "" if joined and not joined[-1].isascii() and not line[0].isascii() else " "
            joined = f"{joined}{gap}{line}" if joined else line
        joined = _QUOTED.sub(" … ", joined)
        sentences = [s.strip() for s in _SENTENCE_END.split(joined) if s.strip()]
        if sentences:
            out.append(sentences)
    return out


def _sentences(text: str) -> list[str]:
    """``text`` as sentences (``_paragraphs``, flattened)."""
    return [sentence for para in _paragraphs(text) for sentence in para]


def own_sentences(text: str) -> list[str]:
    """The sentences of ``text`` that speak for the sender: quotations taken out, a person's
    first-person sentences left out, nothing after an intro to a paste or a quotation ("I
    got this:", "Your site says:", or a person's "下面是确认邮件" that ends its paragraph)."""
    kept: list[str] = []
    for para in _paragraphs(text):
        for i, sentence in enumerate(para):
            unlinked = _LINK.sub(" ", sentence)
            person = bool(_FIRST_PERSON.search(unlinked) or _COMPLAINT.search(unlinked))
            pastes = person and bool(_PASTE_INTRO.search(sentence))
            if _COLON_END.search(sentence) and (_QUOTE_INTRO.search(sentence) or pastes):
                return kept  # the rest is pasted or quoted from another mail
            if pastes and i == len(para) - 1:
                return kept  # a person's intro closing its paragraph: a paste follows
            if not person:
                kept.append(sentence)
    return kept


def notice_reason(text: str) -> str | None:
    """``automated_notice`` or ``bulk_content`` when the sender's own sentences (``text``, a
    new mail's text above any quote) read as a machine's or a mailing's; None otherwise."""
    sentences = own_sentences(text)
    if not sentences:
        return None
    if any(_MAILING_FOOTER.search(s) for s in sentences):
        return "bulk_content"
    auto = [i for i, s in enumerate(sentences) if _AUTO_NOTICE.search(s)]
    no_reply = [i for i, s in enumerate(sentences) if _DO_NOT_REPLY.search(s)]
    opt_out = any(_OPT_OUT.search(s) for s in sentences)
    footer = range(max(1, len(sentences) - 3), len(sentences))
    if set(auto) & (set(no_reply) | set(footer)) or (auto and (no_reply or opt_out)):
        return "automated_notice"
    if no_reply and opt_out:
        return "bulk_content"
    return None


def speaks_for_self(text: str) -> bool:
    """Whether the sender's own text (a new mail's text above any quote) has a sentence in the
    first person singular or a complaint: a person writing, whatever the rest of the mail
    (a pasted confirmation with its links and images) looks like."""
    for sentence in _sentences(text):
        unlinked = _LINK.sub(" ", sentence)
        if _FIRST_PERSON.search(unlinked) or _COMPLAINT.search(unlinked):
            return True
    return False


def notice_signs(text: str) -> set[tuple[str, str]]:
    """The weak signs of the sender's own sentences that ``notice_reason`` does not count on
    their own, as (sign, reason): an opt-out word ("unsubscribe", "退订", "manage your
    preferences": ``opt_out_word``, ``bulk_content``), a do-not-reply line or a notice of
    automation (``do_not_reply_line``, ``automated_notice``)."""
    signs: set[tuple[str, str]] = set()
    for sentence in own_sentences(text):
        if _OPT_OUT.search(sentence):
            signs.add(("opt_out_word", "bulk_content"))
        if _DO_NOT_REPLY.search(sentence) or _AUTO_NOTICE.search(sentence):
            signs.add(("do_not_reply_line", "automated_notice"))
    return signs
