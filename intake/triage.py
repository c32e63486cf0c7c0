"""Triage at escalation: category, priority, sentiment and the skills a ticket needs.

Urgent when the customer reports a safety hazard, complains or is angry (read by
:mod:`intake.urgency`, so "投诉流程是什么" and "没有漏电" are not urgent) or is a VIP; such a
ticket goes to the queue ``[triage] routes`` names for its kind (supervisors by default); then
the ``[triage] rules`` apply in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from intake.priority import PRIORITY_RANK
from intake.settings import TriageSettings
from intake.urgency import KINDS, Lexicon, Urgency, assess, lexicon


@dataclass(frozen=True)
class Triage:
    """What triage decided for a ticket."""

    category: str | None
    priority: str
    sentiment: str  # negative | neutral
    skills: tuple[str, ...]
    terms: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # hazard, complaint, angry: what made it urgent


def lexicon_for(settings: TriageSettings) -> Lexicon:
    """The built-in words plus the ``[triage]`` ones, compiled once per configuration."""
    return lexicon(
        tuple(settings.hazard_words),
        tuple(settings.complaint_words),
        tuple(settings.anger_words),
        tuple(settings.calm_phrases),
        settings.builtin_words,
        (
            settings.hazard_model_threshold,
            settings.complaint_model_threshold,
            settings.anger_model_threshold,
        ),
        settings.model_file,
    )


def urgency(text: str, settings: TriageSettings) -> Urgency:
    """What ``text`` reports (hazard, complaint, angry), with the configured words."""
    return assess(text, lexicon_for(settings))


def route_skills(
    kinds: tuple[str, ...] | frozenset[str], settings: TriageSettings
) -> tuple[str, ...]:
    """The skills of the queue the first routed kind goes to (hazard before complaint before
    anger); empty when no route applies."""
    routes = settings.plan.routes
    for kind in KINDS:
        if kind in kinds and kind in routes:
            return routes[kind]
    return ()


def category_for(text: str, settings: TriageSettings) -> str | None:
    """The first ``[triage] categories`` line whose words appear in ``text``."""
    low = (text or "").lower()
    for name, words in settings.plan.categories:
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
    found = urgency(text, settings)
    kinds = tuple(k for k in KINDS if k in found.kinds)
    sentiment = "negative" if {"complaint", "angry"} & found.kinds else "neutral"
    urgent = found.urgent
    if tier == "vip" and settings.vip_is_urgent:
        urgent = True
    priority = "urgent" if urgent else "normal"
    skills: list[str] = []
    facts = {"category": category or "", "tier": tier, "channel": channel, "sentiment": sentiment}
    for rule in settings.plan.rules:  # parsed once, when the settings were loaded
        facts["priority"] = priority
        if all(facts.get(k) == v for k, v in rule.when):
            if rule.priority and PRIORITY_RANK[rule.priority] > PRIORITY_RANK[priority]:
                priority = rule.priority
            if rule.category:
                category = facts["category"] = rule.category
            skills += [s for s in rule.skills if s not in skills]
    routed = route_skills(kinds, settings)
    if routed:  # a complaint or a hazard goes to its own queue, not the category's
        skills = list(routed)
    return Triage(category, priority, sentiment, tuple(skills), found.terms, kinds)


def first_message_check(
    settings: TriageSettings,
) -> Callable[[str], tuple[frozenset[str], tuple[str, ...]]]:
    """For the bot: the kinds of ``[triage] escalate_at_once`` a message shows, and its terms."""
    at_once = settings.plan.escalate_at_once

    def check(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
        found = urgency(text, settings)
        return found.kinds & at_once, found.terms

    return check
