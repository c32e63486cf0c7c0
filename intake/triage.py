"""Triage at escalation: category, priority, sentiment and the skills a ticket needs.

Urgent when the customer complains (投诉, 差评, 曝光, 退一赔三...), is angry, mentions a
safety hazard (漏电, 起火, 冒烟...) or is a VIP; then the ``[triage] rules`` apply in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.config import PRIORITY_RANK, TriageSettings, parse_categories, parse_rule

# Complaint and public-exposure words, and safety hazards, in Chinese and English.
COMPLAINT = (
    "投诉",
    "差评",
    "曝光",
    "退一赔三",
    "12315",
    "消协",
    "媒体",
    "律师",
    "起诉",
    "骗子",
    "complain",
    "complaint",
    "lawyer",
    "sue ",
    "scam",
    "fraud",
    "refund now",
)
SAFETY = (
    "漏电",
    "起火",
    "着火",
    "冒烟",
    "爆炸",
    "触电",
    "烧焦",
    "煤气泄漏",
    "燃气泄漏",
    "smoke",
    "fire",
    "electric shock",
    "shock",
    "explode",
    "explosion",
    "burning",
    "sparks",
    "gas leak",
)

_WORDS = re.compile("|".join(re.escape(w) for w in COMPLAINT + SAFETY), re.IGNORECASE)
_COMPLAINT = re.compile("|".join(re.escape(w) for w in COMPLAINT), re.IGNORECASE)


def urgent_terms(text: str) -> list[str]:
    """The urgent words found in ``text`` (for the ticket's reason)."""
    return sorted({m.group(0).lower() for m in _WORDS.finditer(text or "")})


ANGER = (
    "气死",
    "太差",
    "垃圾",
    "愤怒",
    "生气",
    "忍无可忍",
    "什么破",
    "坑人",
    "无语",
    "失望",
    "angry",
    "furious",
    "terrible",
    "worst",
    "ridiculous",
    "unacceptable",
    "!!!",
    "！！！",
)
_ANGER = re.compile("|".join(re.escape(w) for w in ANGER), re.IGNORECASE)


@dataclass(frozen=True)
class Triage:
    """What triage decided for a ticket."""

    category: str | None
    priority: str
    sentiment: str  # negative | neutral
    skills: tuple[str, ...]
    terms: tuple[str, ...]


def sentiment_of(text: str) -> str:
    """``negative`` for complaints or angry words, else ``neutral``."""
    if _ANGER.search(text or "") or _COMPLAINT.search(text or ""):
        return "negative"
    return "neutral"


def category_for(text: str, settings: TriageSettings) -> str | None:
    """The first ``[triage] categories`` line whose words appear in ``text``."""
    low = (text or "").lower()
    for name, words in parse_categories(settings.categories):
        if any(w in low for w in words):
            return name
    return None


def triage(
    text: str,
    settings: TriageSettings,
    *,
    tier: str = "normal",
    channel: str = "",
    kb_category: str | None = None,
) -> Triage:
    """Triage the customer's words: KB category first, then keywords, then the rules."""
    category = kb_category or category_for(text, settings)
    terms = tuple(urgent_terms(text))
    sentiment = sentiment_of(text)
    urgent = bool(terms) or sentiment == "negative"  # complaint words are among the terms
    if tier == "vip" and settings.vip_is_urgent:
        urgent = True
    priority = "urgent" if urgent else "normal"
    skills: list[str] = []
    facts = {"category": category or "", "tier": tier, "channel": channel, "sentiment": sentiment}
    for line in settings.rules:
        rule = parse_rule(line)
        facts["priority"] = priority
        if all(facts.get(k) == v for k, v in rule.when):
            if rule.priority and PRIORITY_RANK[rule.priority] > PRIORITY_RANK[priority]:
                priority = rule.priority
            if rule.category:
                category = facts["category"] = rule.category
            skills += [s for s in rule.skills if s not in skills]
    return Triage(category, priority, sentiment, tuple(skills), terms)
