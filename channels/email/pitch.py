"""An unsolicited sales pitch in Chinese, told by the boilerplate of broadcast advertising.

Chinese commercial spam ("代开发票", loans, certificates, "SEO") is written from a template
that ends the same way: a line saying the message stays valid ("此信息长期有效", "本信息永久
有效"), a request to keep it ("望存", "请保存此信息"), an invitation to call ("欢迎来电咨询",
"有意者请联系"), beside an offer ("代开各类增值税发票", "税点低", "本公司长期办理...") or a
number to call ("电话 136...（微信同号）").

A customer writes for themselves: asks for an invoice ("请帮我开一张增值税专用发票"), asks a
question ("开专票要加税点吗？"), gives a phone number and "微信同号", quotes an ad they got
("我收到一封邮件，内容如下：..."). So the sign needs the broadcast boilerplate together with an
offer or a number to call, in the sender's own sentences (``notices.own_sentences``: not in
quotation marks, not after an intro to a paste, not in a first-person sentence), never in a
question, and only for a new mail (not a reply or a forward). It weighs 1 (``signs.py``).
"""

from __future__ import annotations

import re

from channels.email.notices import own_sentences

# "此信息长期有效", "本信息永久有效", "望存", "请保存此信息", "欢迎来电咨询", "有意者请联系": the
# marks of a broadcast advertisement. (Not "如有打扰，敬请谅解": a polite buyer writes it too.)
_BOILERPLATE = re.compile(
    r"(?:此|本|该|該)(?:条|條)?(?:信息|消息|讯息|訊息|邮件|郵件|广告|廣告)?(?:长期|長期|永久)有效"
    r"|(?<!希)望存|(?:敬请|敬請|请|請)(?:保存|留存|收藏)(?:此|本|这条|這條)?(?:信息|消息|讯息|邮件|郵件)"
    r"|(?:欢迎|歡迎)(?:来电|來電|致电|致電|咨询|諮詢|垂询|垂詢|洽谈|洽談)"
    r"|有意者|有需要(?:者|的朋友|的老板|的老闆)"
)
# An offer to the reader: invoices issued for others, the tax points charged, a company that
# "long-term handles" something.
_OFFER = re.compile(
    r"(?:代开|代開|代办|代辦|可开|可開|提供|承接|办理|辦理|出售)[^。！？\n]{0,12}"
    r"(?:发票|發票|票据|票據|专票|專票|普票)"
    r"|税点|稅點|票点|票點|点数优惠|點數優惠"
    r"|(?:本公司|本司|本店)[^。！？\n]{0,6}(?:长期|長期|常年|专业|專業|低价|低價|批发|批發)"
)
# A number to call or add (phone, WeChat, QQ), or "微信同号".
_CONTACT = re.compile(
    r"(?:电话|電話|手机|手機|热线|熱線|微信|QQ|扣扣|VX|V信|薇信)\s*(?:号|號)?\s*[:：]?\s*\d{5,}"
    r"|(?:来电|來電|致电|致電|咨询|諮詢|联系|聯繫|聯系)[^\d。！？\n]{0,4}\d{7,}"
    r"|微信同号|微信同號|同微信",
    re.I,
)
# A question is someone asking, not offering.
_QUESTION = re.compile(r"[?？]|吗|嗎|能否|可否|是否|请问|請問")


def commercial_offer(text: str) -> bool:
    """Whether the sender's own sentences of ``text`` (a new mail's text above any quote)
    hold a broadcast advertisement's boilerplate beside an offer or a number to call."""
    sentences = [s for s in own_sentences(text) if not _QUESTION.search(s)]
    if not any(_BOILERPLATE.search(s) for s in sentences):
        return False
    return any(_OFFER.search(s) or _CONTACT.search(s) for s in sentences)
