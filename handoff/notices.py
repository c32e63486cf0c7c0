"""Customer-facing notices of owner changes, in Chinese and English."""

from __future__ import annotations

from handoff.assignment import NOBODY_NOTICE, QUEUE_NOTICE
from intake import customer_notices, feedback

NOTICES = {
    "joined": {
        "zh": "人工客服 {name} 已接入，正在为您服务。",
        "en": "{name} from our support team has joined the conversation.",
    },
    "resolved": {
        "zh": "本次服务已结束，感谢您的耐心。如有其他问题，随时给我们留言。",
        "en": "This conversation is resolved. Thank you! Write to us any time.",
    },
    "handback": {
        "zh": "已转回智能助手，您可以继续提问；需要人工时请输入“转人工”。",
        "en": 'You\'re back with our assistant. Type "human" to reach a person again.',
    },
    "transferred": {
        "zh": "您的会话已转接给客服 {name}，请稍候。",
        "en": "Your conversation has been passed to {name}.",
    },
    "survey": feedback.SURVEY,
    "page_link": customer_notices.TEXTS["page_link"],
    "thanks": feedback.THANKS,
    "thanks_low": feedback.THANKS_LOW,
    "queue": QUEUE_NOTICE,
    "nobody": NOBODY_NOTICE,
}


def notice(key: str, language: str | None, **values: object) -> str:
    """A customer-facing notice in the conversation's language."""
    texts = NOTICES[key]
    return texts.get(language or "zh", texts["zh"]).format(**values)
