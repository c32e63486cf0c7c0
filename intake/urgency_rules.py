"""The pairs of :mod:`intake.urgency`: two general words that mean something together.

"电池" and "鼓" are everyday words; together they are a swollen battery. "发到" and "抖音"
with a threat are a complaint; "说好" and "人呢" are a promise broken. Each pair is read in
one clause or the clause before, neither word negated (anger excepted: "不讲诚信" is as angry
as "讲诚信吗"). Also here: a safety device that did not act, shouting, and a settled complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from intake import urgency_intents as ui
from intake import urgency_text as ut
from intake import urgency_words as uw

Pair = tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]  # first, second, the rarer


@dataclass(frozen=True)
class Families:
    """Pairs of term lists read together, and a gate: the rarer list of every pair in one
    regex. A pair can only match where its rarer list does, so a clause (with the one
    before) the gate does not match skips every pair at the cost of one search, and a pair
    whose rarer list is absent is skipped with one more."""

    pairs: tuple[Pair, ...]
    gate: re.Pattern[str]


@dataclass(frozen=True)
class Pairs:
    """The built-in pairs, compiled: each is two term lists that mean something together."""

    hazard: Families
    device: Families  # read on the unmasked text
    complaint: Families  # said with a threat
    escalation: Families
    threat: re.Pattern[str]
    anger: Families
    anger_shapes: re.Pattern[str]
    sarcasm: re.Pattern[str]  # thanks said to mean the opposite
    irony: re.Pattern[str]  # praise meaning the opposite beside a grievance


def _families(*lists: tuple[str, ...], rare: tuple[int, ...]) -> Families:
    """Pairs of ``lists`` (first, second, first, second...); ``rare`` says which of each pair
    (0 or 1) is the rarer, for the gate."""
    duos = list(zip(lists[::2], lists[1::2], strict=True))
    gate = ut.union(w for duo, r in zip(duos, rare, strict=True) for w in duo[r])
    compiled = [(ut.union(a), ut.union(b)) for a, b in duos]
    rarer = [pair[r] for pair, r in zip(compiled, rare, strict=True)]
    return Families(tuple((a, b, c) for (a, b), c in zip(compiled, rarer, strict=True)), gate)


@lru_cache(maxsize=1)
def pairs() -> Pairs:
    """The pairs of :mod:`intake.urgency_words` and :mod:`intake.urgency_intents`, compiled
    once."""
    return Pairs(
        hazard=_families(
            *(uw.LIVE_PARTS, uw.WET_STATES, uw.LIVE_PARTS, uw.EXPOSED_STATES),
            *(uw.LIVE_PARTS, uw.HOT_STATES, uw.SWELLING_THINGS, uw.SWELLING_STATES),
            *(uw.MOUNTED_THINGS, uw.FALLING_STATES, uw.INJURIES, uw.BODY_PARTS),
            *(uw.SWALLOWING, uw.CHILDREN, uw.NEAR_MISSES, uw.HARMS),
            *(uw.FLAME_OUT, uw.GAS_FLOWING, uw.PEOPLE, uw.HURT_PASSIVE),
            *(uw.TOUCHING, uw.SENSATIONS, uw.FURNITURE, uw.TOPPLING, uw.SOUNDS, uw.EMISSIONS),
            *(uw.GAS_THINGS, uw.SMELLS),
            rare=(1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0),
        ),
        device=_families(
            uw.SAFETY_DEVICES, uw.DEVICE_FAILURES, uw.TIPPED, uw.STILL_ON, rare=(0, 0)
        ),
        complaint=_families(
            *(ui.PUBLISHING, ui.PLATFORMS, ui.PAYERS, ui.DISPUTING),
            *(ui.CONTACTING, ui.AUTHORITIES),
            rare=(1, 0, 1),
        ),
        escalation=_families(ui.ESCALATING, ui.SUPERIORS, rare=(1,)),
        threat=ut.union(ui.THREATS),
        anger=_families(
            *(ui.PROMISES, ui.BROKEN, ui.LOSSES, ui.LOSS_CONTEXT, ui.YOU_ALL, ui.CHARACTER),
            *(ui.CANNED, ui.CANNED_CONTEXT, ui.PATIENCE, ui.PATIENCE_GONE),
            rare=(0, 0, 1, 0, 0),
        ),
        anger_shapes=ut.union(ui.ANGER_SHAPES),
        sarcasm=ut.union(ui.SARCASM),
        irony=ut.union(ui.IRONY),
    )


def paired(families: Families, before: str, clause: str, kind: str) -> list[str]:
    """The first pair whose two lists both match, one of them in ``clause`` and the other
    in it or in the clause before, neither negated: a "first+second" term."""
    span = f"{before} {clause}" if before else clause
    if not families.gate.search(span):
        return []  # most clauses
    for first, second, rarer in families.pairs:
        if not rarer.search(span) or (not first.search(clause) and not second.search(clause)):
            continue
        a, b = spans(first, span, kind), spans(second, span, kind)
        for (x, i, j), (y, k, m) in ((x, y) for x in a for y in b):
            if j <= k or m <= i:  # two places, not one word read twice ("day off", "day")
                return [f"{x}+{y}"]
    return []


def spans(pattern: re.Pattern[str], text: str, kind: str) -> list[tuple[str, int, int]]:
    """Like :func:`ut.found`, with where each term stands. Anger is not taken back by a
    negation: "不讲诚信" is as angry as "讲诚信吗"."""
    return [
        (m.group(0).strip(), m.start(), m.end())
        for m in pattern.finditer(text)
        if kind == "angry" or not ut.negated(text[: m.start()], kind)
    ]


def shouting(text: str) -> bool:
    """Three words or more in capitals, and most Latin letters capitals (not "USB LED TV")."""
    if len(ut.SHOUT.findall(text)) < 3:
        return False  # most messages: no letter-by-letter count
    letters = [c for c in text if c.isascii() and c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return upper > 0.6 * len(letters)


def complaints(
    clause: str,
    before: str,
    complaint: re.Pattern[str],
    built: Pairs | None,
    mood: tuple[bool, bool],
) -> list[str]:
    """The complaint words of ``clause`` (not in a message said in fun, with the built-in
    rules); else (built-in pairs, not said in fun or with thanks: ``mood``) asking for
    someone above the agent, or an act on a target said with intent or a threat ("我就发到
    抖音上", "I'll be disputing it with my bank")."""
    found = ut.found(complaint, clause, "complaint")
    if found or not built:
        return [] if built and mood[1] else found
    if any(mood):
        return []
    upward = paired(built.escalation, before, clause, "complaint")
    if upward:
        return upward
    said = paired(built.complaint, before, clause, "complaint")
    return said if built.threat.search(f"{before} {clause}") else []


def failed_device(raw: str, built: Pairs) -> list[str]:
    """A safety device that did not act ("熄火保护不起作用", "it tipped over and stayed on"),
    read on the text before product words are blanked; not said in a question ("漏电保护
    插头坏了能单独买吗" asks to buy one) nor supposed."""
    if not built.device.gate.search(raw):
        return []  # most messages name no safety device and nothing tipped over
    before = ""
    for clause in ut.clauses(raw):
        found = paired(built.device, before, clause, "hazard")
        before = clause
        if found and not ut.HYPOTHETICAL.search(clause) and not ut.is_question(clause):
            return found
    return []


def settled(clause: str) -> bool:
    """A complaint put to rest ("上次的投诉已经处理好了"), not one about how something was
    handled ("I want to complain about how it was handled")."""
    return bool(ut.SETTLED.search(clause)) and not ut.WANTS.search(clause)


def hearsay(clause: str) -> bool:
    """A complaint word heard of ("新闻说", "it was reported"), not one the customer acts on
    ("我就发给新闻栏目", "I've reported this to Trading Standards")."""
    return bool(ut.HEARSAY.search(clause)) and not ut.FIRST_PERSON.search(clause)


def sarcasm(low: str, built: Pairs) -> list[str]:
    """Thanks or praise meant as the opposite: always ("thanks for nothing"), or beside a
    grievance ("oh great, another week")."""
    said = ut.found(built.sarcasm, low, "angry")
    if not said and ut.GRIEVANCE.search(low):
        said = ut.found(built.irony, low, "angry")
    return said
