"""The ``[triage]`` line languages: keyword categories, routes and rules, parsed once.

A rule reads ``category = "repair" and tier = "vip" -> priority = "urgent", skills = ["repair"]``.
:class:`TriagePlan` is every line of a ``[triage]`` section parsed; ``TriageSettings`` builds
it when it is made (at load), so a bad line stops ``kefu serve`` / ``check-config`` with a
sentence naming it, and triage itself never parses a line again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError
from intake.priority import PRIORITIES

URGENT_KINDS = ("hazard", "complaint", "angry")
_COND = re.compile(r'^\s*(category|tier|priority|channel|sentiment)\s*=\s*"([^"]*)"\s*$')
_SET = re.compile(r'^\s*(priority|category)\s*=\s*"([^"]*)"\s*$')
_SKILLS = re.compile(r"^\s*skills\s*=\s*\[([^\]]*)\]\s*$")


@dataclass(frozen=True)
class TriageRule:
    """A parsed ``[triage] rules`` line: conditions that must all hold, and what they set."""

    when: tuple[tuple[str, str], ...]
    priority: str | None = None
    category: str | None = None
    skills: tuple[str, ...] = ()


def parse_rule(text: str, key: str = "[triage] rules") -> TriageRule:
    """Parse ``a = "x" and b = "y" -> priority = "urgent", skills = ["repair"]``."""
    head, arrow, tail = text.partition("->")
    if not arrow:
        raise ConfigError(f"Config key {key} needs 'conditions -> actions', got {text!r}.")
    when: list[tuple[str, str]] = []
    for part in re.split(r"\band\b", head) if head.strip() else []:
        m = _COND.match(part)
        if not m:
            raise ConfigError(
                f"Config key {key} has a bad condition {part.strip()!r} "
                '(use category|tier|priority|channel|sentiment = "value").'
            )
        when.append((m.group(1), m.group(2)))
    sets: dict[str, Any] = {}
    for part in re.split(r",(?![^\[]*\])", tail):
        m, sk = _SET.match(part), _SKILLS.match(part)
        if m:
            sets[m.group(1)] = m.group(2)
        elif sk:
            items = [x.strip().strip('"').strip() for x in sk.group(1).split(",")]
            sets["skills"] = tuple(x for x in items if x)
        else:
            raise ConfigError(f"Config key {key} has a bad action {part.strip()!r}.")
    if sets.get("priority") is not None and sets["priority"] not in PRIORITIES:
        raise ConfigError(
            f"Config key {key} sets priority {sets['priority']!r}; "
            f"use one of {', '.join(PRIORITIES)}."
        )
    return TriageRule(
        tuple(when), sets.get("priority"), sets.get("category"), sets.get("skills", ())
    )


def parse_routes(lines: list[str]) -> dict[str, tuple[str, ...]]:
    """Parse ``[triage] routes`` lines ``kind: skill, skill`` (no skills: the usual queue)."""
    out: dict[str, tuple[str, ...]] = {}
    for i, line in enumerate(lines, 1):
        kind, colon, skills = line.partition(":")
        if not colon or kind.strip() not in URGENT_KINDS:
            raise ConfigError(
                f"Config key [triage] routes line {i} must be 'kind: skill, skill' with kind "
                f"one of {', '.join(URGENT_KINDS)}, got {line!r}."
            )
        out[kind.strip()] = tuple(x.strip() for x in skills.split(",") if x.strip())
    return out


def parse_categories(lines: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Parse ``[triage] categories`` lines ``name: word, word``."""
    out = []
    for i, line in enumerate(lines, 1):
        name, colon, words = line.partition(":")
        items = tuple(w.strip().lower() for w in words.split(",") if w.strip())
        if not colon or not name.strip() or not items:
            raise ConfigError(
                f"Config key [triage] categories line {i} must be 'name: word, word', got {line!r}."
            )
        out.append((name.strip(), items))
    return tuple(out)


@dataclass(frozen=True)
class TriagePlan:
    """A ``[triage]`` section parsed: categories in order, routes by kind, rules in order."""

    categories: tuple[tuple[str, tuple[str, ...]], ...]
    routes: dict[str, tuple[str, ...]]
    rules: tuple[TriageRule, ...]
    escalate_at_once: frozenset[str]


def parse_plan(
    categories: list[str], routes: list[str], rules: list[str], escalate_at_once: list[str]
) -> TriagePlan:
    """Every ``[triage]`` line parsed, or ConfigError naming the first bad one."""
    parsed_categories = parse_categories(categories)
    parsed_routes = parse_routes(routes)
    for kind in escalate_at_once:
        if kind not in URGENT_KINDS:
            raise ConfigError(
                f"Config key [triage] escalate_at_once has {kind!r}; use {', '.join(URGENT_KINDS)}."
            )
    parsed_rules = tuple(
        parse_rule(rule, f"[triage] rules line {i}") for i, rule in enumerate(rules, 1)
    )
    return TriagePlan(parsed_categories, parsed_routes, parsed_rules, frozenset(escalate_at_once))
