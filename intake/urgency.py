"""Urgency: does a customer's message report a safety hazard, make a complaint or show anger?

A hazard (漏电, 冒烟, gas leak...), a complaint (投诉, 12315, "I'll report you"...) or clear
anger must reach a person on the first message, so this runs on every bot turn and at every
escalation. Word lists alone would escalate "投诉流程是什么" and "冰箱没有漏电"; the rules
below read each clause of the message the way an agent would:

- a term right after a negation ("没有漏电", "not a complaint", "撤销投诉") does not count;
- a complaint word inside a question with no intent ("怎么投诉?", "how do I file a
  complaint?") is a question about the policy, not a complaint ("我要投诉，怎么投诉" is one);
- a complaint that is past and settled ("上次的投诉已经处理好了") does not count;
- a hazard asked about hypothetically ("会漏电吗", "if it overheats", "万一起火") or heard of
  ("新闻说...") does not count, but "冒烟了怎么办" does: something happened;
- product words ("漏电保护", "smoke detector", "Fire TV") are masked before anything else;
- anger needs a strong word, or two weaker signals (a weak word, "！！！", shouting);
- pairs of general words say what one word cannot: a thing and its state ("电池" + "鼓"), an
  act and its target ("发到" + "抖音", with intent), a promise and its breaking; a hazard told
  as the past before a question, someone else's, said in fun or naming a feature ("fire
  mode") does not count.

The words are general terms, extended from ``[triage]`` in the configuration; the labelled
set in ``tests/intake/urgency_sets`` measures the rules (``kefu triage eval``, docs/quality.md).
The language (clauses, negation, questions) is in :mod:`intake.urgency_text`, the pairs in
:mod:`intake.urgency_rules`, the words in :mod:`intake.urgency_words`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from intake import urgency_intents as ui
from intake import urgency_rules as ur
from intake import urgency_text as ut
from intake.urgency_model import UrgencyModel, load
from intake.urgency_text import clauses, normalize
from intake.urgency_words import (
    ANGER_STRONG,
    ANGER_WEAK,
    CALM_PHRASES,
    COMPLAINT_WORDS,
    FIRE_NAMES,
    HAZARD_WORDS,
)

KINDS = ("hazard", "complaint", "angry")
__all__ = ["KINDS", "Lexicon", "Urgency", "assess", "clauses", "lexicon", "masked", "normalize"]


@dataclass(frozen=True)
class Lexicon:
    """Compiled term lists: one regex per kind, plus the calm phrases masked first."""

    hazard: re.Pattern[str]
    complaint: re.Pattern[str]
    anger_strong: re.Pattern[str]
    anger_weak: re.Pattern[str]
    calm: re.Pattern[str]
    feature: re.Pattern[str] = re.compile(r"(?!x)x")  # hazard words naming a feature
    fire_names: re.Pattern[str] = re.compile(r"(?!x)x")  # "electric fire", "fire pit"
    model: UrgencyModel | None = None  # the learned second opinion (intake/urgency_model.py)
    thresholds: tuple[float, float, float] = (0.65, 1.0, 0.85)  # hazard, complaint, angry
    compounds: bool = True  # the built-in pairs (a thing and its state, an act and a target)


@dataclass(frozen=True)
class Urgency:
    """What a message reports: the kinds found (hazard, complaint, angry) and the terms."""

    kinds: frozenset[str]
    terms: tuple[str, ...]

    @property
    def urgent(self) -> bool:
        """Whether anything was found."""
        return bool(self.kinds)


@lru_cache(maxsize=16)
def lexicon(
    hazard: tuple[str, ...] = (),
    complaint: tuple[str, ...] = (),
    anger: tuple[str, ...] = (),
    calm: tuple[str, ...] = (),
    builtin: bool = True,
    thresholds: tuple[float, float, float] = (0.65, 1.0, 0.85),
    model_file: str = "",
) -> Lexicon:
    """The built-in words (unless ``builtin`` is off) plus the configured ones, compiled, and
    the model (``model_file``, else the shipped one) with its thresholds (built-in too: off
    with ``builtin``)."""
    base = builtin
    hazards = ut.union((*(HAZARD_WORDS if base else ()), *hazard))
    return Lexicon(
        hazard=hazards,
        complaint=ut.union((*(COMPLAINT_WORDS + ui.COMPLAINT_PHRASES if base else ()), *complaint)),
        anger_strong=ut.union((*(ANGER_STRONG if base else ()), *anger)),
        anger_weak=ut.union(ANGER_WEAK if base else ()),
        calm=ut.union((*(CALM_PHRASES if base else ()), *calm)),
        feature=re.compile(f"(?:{hazards.pattern}){ut.FEATURE}") if base else re.compile("(?!x)x"),
        fire_names=ut.union(FIRE_NAMES if base else ()),
        model=(load(Path(model_file)) if model_file else load()) if base else None,
        thresholds=thresholds,
        compounds=base,
    )


def masked(text: str, lex: Lexicon) -> str:
    """The text as the rules and the model read it: normalised, with product words
    ("漏电保护", "Fire TV"), features named by a hazard word ("fire mode") and order numbers
    blanked out."""
    return _masked(normalize(text), lex)


def _masked(low: str, lex: Lexicon) -> str:
    low = ut.blank(low, lex.calm)
    if "fire" in low:  # most messages do not say it: skip the names
        low = ut.blank(low, lex.fire_names)
    if ut.FEATURE_NAMES.search(low):  # most messages name no feature: skip the long regex
        low = ut.blank(low, lex.feature)
    return ut.blank(low, ut.IDS)


def assess(text: str, lex: Lexicon | None = None) -> Urgency:
    """What ``text`` reports: hazard, complaint, anger (each from the rules above)."""
    lex = lex or lexicon()
    raw = normalize(text)
    low = _masked(raw, lex)
    joking = bool(ut.JOKE.search(low))
    hearsay = bool(ut.HEARSAY.search(low)) or joking
    resolved = bool(ut.RESOLVED.search(low)) and not ut.STILL.search(low)
    kinds: set[str] = set()
    weak = praised = 0
    before = ""
    built = ur.pairs() if lex.compounds else None
    sarcasm = ur.sarcasm(low, built) if built else []
    positive = bool(ut.POSITIVE.search(low)) and not sarcasm  # "thanks for nothing"
    strong, terms = len(sarcasm), list(sarcasm)
    if built and not hearsay and not resolved:
        failed = ur.failed_device(raw, built)
        terms += failed
        kinds |= {"hazard"} if failed else set()
    hazard_terms: list[str] = []
    told: list[bool] = []  # per clause with a hazard: told as the past
    asked = False  # a clause without a hazard asks something
    for clause in clauses(low):
        question = ut.is_question(clause)
        hazards = ut.found(lex.hazard, clause, "hazard") or (
            ur.paired(built.hazard, before, clause, "hazard") if built else []
        )
        heard = hearsay and not (ut.NOW.search(clause) and not ut.HEARSAY.search(clause))
        if hazards and not heard and not resolved and not ut.HYPOTHETICAL.search(clause):
            if not question or ut.FACTUAL.search(ut.AUX.sub("", clause)):
                kinds.add("hazard")
                terms += hazards
                hazard_terms += hazards
                told.append(bool(ut.PAST.search(f"{before} {clause}")))
        elif not hazards and (question or ut.ASKS.search(clause)):
            asked = True
        complaints = ur.complaints(clause, before, lex.complaint, built, (positive, joking))
        if complaints and not ur.settled(clause) and not ur.hearsay(clause):
            if not question or ut.INTENT.search(clause):
                kinds.add("complaint")
                terms += complaints
        angry = ut.found(lex.anger_strong, clause, "angry")
        if built and not angry and not positive:
            angry = ut.found(built.anger_shapes, clause, "angry") or ur.paired(
                built.anger, before, clause, "angry"
            )
        strong += len(angry)
        terms += angry
        before = clause
        weak += len(ut.found(lex.anger_weak, ut.BOTH.sub(" ", clause), "angry"))
        weak += len(ut.REPEATED.findall(clause)) + len(ut.WAITED.findall(clause))
        praised += bool(ut.PRAISE_ALONE.match(clause))
    if praised and (weak or ut.GRIEVANCE.search(low)):
        strong += 1  # "Two weeks without a washer. Brilliant.", "又要等一周，太好了"
        positive = False
    if built and told and all(told) and (asked or positive) and not ut.STILL.search(low):
        kinds.discard("hazard")  # background: "去年漏过电，现在想问保修", "上次破皮的事，谢谢"
    nuisance = "hazard" in kinds and bool(ut.NUISANCE.search(low))
    if nuisance and all(ut.SMOKE.search(t) for t in hazard_terms):
        kinds.discard("hazard")  # "一有烟就响，能调灵敏度吗": the detector's noise, not a fire
    if ut.EXCLAIM.search(raw):
        weak += 1
    if ur.shouting(text or ""):
        strong += 1
    if positive:
        weak = 0
    if strong or weak >= 2:
        kinds.add("angry")
    if lex.model is not None and any(
        t < 1.0 and k not in kinds for k, t in zip(KINDS, lex.thresholds, strict=True)
    ):
        past = hearsay or resolved or bool(told and all(told))
        kinds |= _learned(low, lex, kinds, past, positive)
    return Urgency(frozenset(kinds), tuple(dict.fromkeys(terms)))


def _learned(low: str, lex: Lexicon, kinds: set[str], past: bool, positive: bool) -> set[str]:
    """The kinds the model reads with confidence that the words missed, unless the message's
    form rules them out as it does for the words: a hazard heard of, put right, supposed,
    a detector set off by a little smoke,
    only asked about or praised with nothing gone wrong ("倾倒断电很好用"); a complaint
    settled or only asked about; anything said with thanks."""
    assert lex.model is not None
    probs = lex.model.probabilities(low)
    likely = [
        kind
        for kind, threshold in zip(KINDS, lex.thresholds, strict=True)
        if kind not in kinds and threshold < 1.0 and probs[kind] >= threshold
    ]
    if not likely:
        return set()  # most messages
    parts = clauses(low)
    asking = bool(parts) and all(ut.is_question(c) for c in parts)
    out = set()
    for kind in likely:
        if kind == "hazard":
            happened = any(ut.FACTUAL.search(ut.AUX.sub("", c)) for c in parts)
            if past or ut.HYPOTHETICAL.search(low) or ut.NUISANCE.search(low):
                continue  # heard of, put right, supposed, a detector's nuisance
            if asking and not happened:
                continue
            if positive and not ut.STILL.search(low) and not ut.SPLIT.search(low):
                continue
        elif positive:
            continue
        if kind == "complaint" and (ur.settled(low) or (asking and not ut.INTENT.search(low))):
            continue
        out.add(kind)
    return out
