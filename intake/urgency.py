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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from intake import urgency_words as uw
from intake.urgency_model import UrgencyModel, load
from intake.urgency_words import (
    ANGER_STRONG,
    ANGER_WEAK,
    CALM_PHRASES,
    COMPLAINT_WORDS,
    HAZARD_WORDS,
)

KINDS = ("hazard", "complaint", "angry")


# Clause machinery (language, not configuration).
_ZH_NEGATORS = ("不", "没", "未", "别", "并非", "绝非", "毫无")
_ZH_NOT_NEGATING = re.compile(r"不(?:断|停|住|少|过|然|仅|光|只|止|久)")
_ZH_BREAKERS = re.compile(r"就|才|再|否则|不然|还|又|都")
_EN_NEGATORS = {"not", "no", "never", "without", "nothing", "nor", "none", "cannot"}
_EN_BREAKERS = {"and", "but", "then", "so", "if", "because"}
_EXTRA_NEGATORS = {
    "complaint": (
        ("撤销", "撤回", "取消", "之前", "上次", "以前", "本来想", "本想", "原本", "原来"),
        {"withdraw", "cancel", "previous", "earlier", "prior", "last", "drop"},
    ),
    "hazard": (("防", "预防", "避免"), {"prevent", "avoid", "anti"}),
}
_QUESTION_ZH = re.compile(
    r"[?？]|吗|呢|如何|怎么|怎样|哪|什么|多少|多久|几|是否|有没有|能不能|可不可以|是不是"
    r"|会不会|请问|请教|了解|对吧|是吧|正常吧|没事吧"
)
_QUESTION_EN = re.compile(
    r"\?|^\s*(how|what|where|when|which|who|why|is|are|does|do|did|can|could|would|should|will"
    r"|may)\b"
)
_INTENT = re.compile(
    r"我要|要去|我会|我就|就去|就要|必须|一定|已经|正式|马上|立刻|直接|等着"
    r"|\b(i will|i'll|i'm going|i am going|going to|i want to|i'd like to|i'm filing|filing"
    r"|filed|i demand|i'm reporting|reporting|i have a)\b"
)
_SETTLED = re.compile(
    r"处理好|已经解决|解决了|已解决|处理完|\b(was|were|has been|have been|got) "
    r"(resolved|handled|fixed|sorted)\b|\bwent through\b"
)
_HYPOTHETICAL = re.compile(
    r"如果|万一|假如|要是|假设|会不会|是否会|以防|担心|(?<![可害])怕"
    r"|\b(if|in case|would|could|might|what happens|is it safe|worried)\b"
)
_FACTUAL = re.compile(
    r"了|着|在|正在|一直|刚才|刚刚|突然|已经|又"
    r"|\b(is|are|was|were|it's|keeps|again|just|started|now|caught|blew|burnt"
    r"|[a-z]+ed)\b"
)
_HEARSAY = re.compile(
    r"听说|新闻|(?<![发到传放])网上|有人说|据说|报道"  # 网上 but not 发到网上: posting it
    r"|\b(i read|i heard|heard that|news|reports of|reported)\b"
    # someone else's, or another brand's: "我朋友说...", "邻居家的", "not your product"
    r"|(?:朋友|邻居|同事|亲戚|别人|人家|网友)(?:说|讲|家|那)|别的牌子|别家的|其他品牌|其它品牌"
    r"|\b(a friend's|my friend's|friend said|neighbou?r's|neighbou?r said|another brand"
    r"|other brand|different brand|not your product|not one of yours)\b"
)
# A joke: "开玩笑", "just kidding" (a hazard or a complaint said in fun is neither); not
# "不是开玩笑", "are you kidding me", "I'm not joking".
_JOKE = re.compile(
    r"(?<![不没别])(?<!不是)(?<!没有)(?:开玩笑|开个玩笑|说笑)"
    r"|\b(just kidding|only kidding|just joking|only joking|jk|lol)\b"
)
# A hazard told as the past, before a present question: "去年漏过电，师傅修好了，想问下保修".
_PAST = re.compile(
    r"去年|前年|上个?月|上次|以前|曾经|当年|小时候|(?:\d+|[一二两三四五六七八九十几])(?:个月|年)前"
    r"|\b(last (?:year|month|winter|summer)|(?:years|months) ago|a while ago|in the past"
    r"|used to|previously|back in)\b"
)
_ASKS = re.compile(
    r"想问|请问|麻烦|想了解|想知道|咨询|\b(want to know|wondering|can you|could you|should)\b"
)
# A hazard word naming a feature: "fire mode", "smoke flavour setting", "猛火模式".
_FEATURE = (
    r"(?=\s*(?:[a-z]+\s+)?(?:mode|setting|function|flavou?r|program(?:me)?|button|icon|symbol"
    r"|option|feature|preset|cycle)s?\b|的?(?:模式|档位|功能|按钮|按键|图标|口味|风味|程序))"
)
_POSITIVE = re.compile(
    r"谢谢|感谢|太好了|哈哈|好评|点赞|给力|快乐|满意|\b(thank|thanks|great|awesome|love|happy)\b"
)
# A hazard that was put right: "师傅已经修好了", "all good now" (unless it came back: 又, still).
_RESOLVED = re.compile(
    r"修好了|已经修好|已经好了|没问题了|用着很好|恢复正常|正常了|一切正常|都正常"
    r"|现在(?:用着|用得|用起来)?(?:挺|很|都|还)?(?:好|正常|没事|没问题)|现在没(?:味|事|问题|电)"
    r"|\b(all good|works (fine|perfectly)|working (fine|perfectly)|fine now|no problems? since"
    r"|been fine|(?:is|it's|all) (?:fine|ok|okay|sorted) now)\b"
)
_WANTS = re.compile(r"我要|我想|我会|\b(i want|i'd like|i wish|i will|i'll|i'm going to)\b")
_BOTH = re.compile(r"又(?=.{1,3}又)|(?<=又.)又|(?<=又..)又|(?<=又...)又")  # 又青又肿: "both"
_STILL = re.compile(r"还是|仍然|依然|又|再次|\b(still|again|keeps|came back)\b")
_IDS = re.compile(
    r"(?:订单号|单号|尾号|编号|工单|号码|号|#|\bno\.?|\bnumber(?: is)?|\border)\s*\d+"
)
_CLAUSE = re.compile(r"[^,，。.!！?？;；\n]+[,，。.!！?？;；\n]*")
_SPLIT = re.compile(r"但是|可是|不过|\bbut\b")
_EXCLAIM = re.compile(r"[!！]{3,}|[?？]{2,}|[!！][?？]|[?？][!！]")
# Repetition and waiting: "说了十遍", "三次上门", "for the fourth time", "in TEN days".
_REPEATED = re.compile(
    r"(?:[二两三四五六七八九十几多]|\d+)\s*(?:次|遍|回)"
    r"|\b(?:third|fourth|fifth|\d+(?:st|nd|rd|th)) (?:time|visit)"
    r"|\b(?:\d+|three|four|five|six|seven|eight|nine|ten|several|many) (?:times|visits|calls)\b"
)
# Waiting long: "等了两周", "一个月了", "three weeks and still".
_WAITED = re.compile(
    r"(?:\d+|[一二两三四五六七八九十几半]+)\s*(?:个)?(?:天|周|个月|星期|礼拜)"
    r"|\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several) (?:days|weeks|months)\b"
)
_AUX = re.compile(r"^\s*(?:is|are|was|were|has|have|does|do|did)\b")
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")
_LATIN = re.compile(r"[a-z]")


@dataclass(frozen=True)
class Lexicon:
    """Compiled term lists: one regex per kind, plus the calm phrases masked first."""

    hazard: re.Pattern[str]
    complaint: re.Pattern[str]
    anger_strong: re.Pattern[str]
    anger_weak: re.Pattern[str]
    calm: re.Pattern[str]
    feature: re.Pattern[str] = re.compile(r"(?!x)x")  # hazard words naming a feature
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


def _term_regex(word: str) -> str:
    """A word as a regex: ``...`` is a short gap, a trailing ``*`` any letters; Latin and digit
    ends must be whole words (``fire`` is not ``fired``, ``12315`` is not ``8812315``)."""
    parts = []
    for part in word.lower().split("..."):
        part = part.strip() if _LATIN.search(part) else part
        star = part.endswith("*")
        core = re.escape(part.rstrip("*")).replace(r"\*", "[a-z]*")
        if star and core.endswith("e") and _LATIN.search(core):
            core = core[:-1] + "(?:e|ing)[a-z]*"  # "dispute*" is "disputing" too
        elif star:
            core += "[a-z]*"
        parts.append(core)
    latin = bool(_LATIN.search(word.lower()))
    # A gap never spans a negation: "插座没烧" is not "插座...烧".
    gap = r"(?:(?!not\b|n't\b|no\b|never\b).){0,12}?" if latin else r"[^不没未别]{0,4}?"
    body = gap.join(parts)
    first, last = word.lower()[0], word.lower().rstrip("*")[-1]
    if first.isascii() and first.isalnum():
        # The whole-word check sits after the first letter ("f(?<![a-z0-9]f)ire", the same
        # test as "(?<![a-z0-9])fire"), so every alternative starts with a literal and the
        # regex engine skips to the positions where some term's first letter stands.
        body = f"{first}(?<![a-z0-9]{first})" + body[1:]
    if last.isascii() and last.isalnum() and not word.endswith("*"):
        body += r"(?![a-z0-9])"
    return body


def _union(words: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not ordered:
        return re.compile(r"(?!x)x")
    # Bare alternatives (no group around each) let the engine build its first-character
    # prefilter; a term's regex has no top-level "|", so nothing changes what matches.
    return re.compile("|".join(_term_regex(w) for w in ordered))


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
    hazards = _union((*(HAZARD_WORDS if base else ()), *hazard))
    return Lexicon(
        hazard=hazards,
        complaint=_union((*(COMPLAINT_WORDS + uw.COMPLAINT_PHRASES if base else ()), *complaint)),
        anger_strong=_union((*(ANGER_STRONG if base else ()), *anger)),
        anger_weak=_union(ANGER_WEAK if base else ()),
        calm=_union((*(CALM_PHRASES if base else ()), *calm)),
        feature=re.compile(f"(?:{hazards.pattern}){_FEATURE}") if base else re.compile("(?!x)x"),
        model=(load(Path(model_file)) if model_file else load()) if base else None,
        thresholds=thresholds,
        compounds=base,
    )


def normalize(text: str) -> str:
    """Full-width to half-width, lower case; product words and order numbers blanked out
    (same length, so positions still line up)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def masked(text: str, lex: Lexicon) -> str:
    """The text as the rules and the model read it: normalised, with product words
    ("漏电保护", "Fire TV"), features named by a hazard word ("fire mode") and order numbers
    blanked out."""
    return _blank(_blank(_blank(normalize(text), lex.calm), lex.feature), _IDS)


def clauses(text: str) -> list[str]:
    """The message cut at punctuation and at "but": negation and questions live in a clause."""
    out: list[str] = []
    for piece in _CLAUSE.findall(text):
        out += [p for p in _SPLIT.split(piece) if p.strip()]
    return out


def _negated(before: str, kind: str) -> bool:
    """Whether the words just before a term negate it (Chinese: 5 characters; English: 3 words)."""
    zh_extra, en_extra = _EXTRA_NEGATORS.get(kind, ((), set()))
    window = before[-6:]
    for neg in (*_ZH_NEGATORS, *zh_extra):
        at = window.rfind(neg)
        if at < 0:
            continue
        if neg == "不" and _ZH_NOT_NEGATING.match(window, at):
            continue
        if not _ZH_BREAKERS.search(window[at + len(neg) :]):
            return True
    words = re.findall(r"[a-z']+", before)[-3:]
    for i, w in enumerate(words):
        if w in _EN_NEGATORS or w.endswith("n't") or w in en_extra:
            if not any(x in _EN_BREAKERS for x in words[i + 1 :]):
                return True
    return False


def _is_question(clause: str) -> bool:
    return bool(_QUESTION_ZH.search(clause) or _QUESTION_EN.search(clause))


def _found(pattern: re.Pattern[str], clause: str, kind: str) -> list[str]:
    """The terms of ``pattern`` in ``clause`` that no negation takes back."""
    return [
        m.group(0).strip()
        for m in pattern.finditer(clause)
        if not _negated(clause[: m.start()], kind)
    ]


@dataclass(frozen=True)
class Pairs:
    """The built-in pairs, compiled: each is two term lists that mean something together."""

    hazard: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]
    device: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]  # read on the unmasked text
    complaint: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]  # said with a threat
    escalation: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]
    threat: re.Pattern[str]
    anger: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]
    anger_shapes: re.Pattern[str]


@lru_cache(maxsize=1)
def pairs() -> Pairs:
    """The pairs of :mod:`intake.urgency_words`, compiled once."""

    def both(*lists: tuple[str, ...]) -> tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]:
        return tuple((_union(a), _union(b)) for a, b in zip(lists[::2], lists[1::2], strict=True))

    return Pairs(
        hazard=both(
            *(uw.LIVE_PARTS, uw.WET_STATES, uw.LIVE_PARTS, uw.EXPOSED_STATES),
            *(uw.LIVE_PARTS, uw.HOT_STATES, uw.SWELLING_THINGS, uw.SWELLING_STATES),
            *(uw.MOUNTED_THINGS, uw.FALLING_STATES, uw.INJURIES, uw.BODY_PARTS),
            *(uw.SWALLOWING, uw.CHILDREN, uw.NEAR_MISSES, uw.HARMS),
            *(uw.FLAME_OUT, uw.GAS_FLOWING, uw.PEOPLE, uw.HURT_PASSIVE),
            *(uw.TOUCHING, uw.SENSATIONS),
        ),
        device=both(uw.SAFETY_DEVICES, uw.DEVICE_FAILURES, uw.TIPPED, uw.STILL_ON),
        complaint=both(
            *(uw.PUBLISHING, uw.PLATFORMS, uw.PAYERS, uw.DISPUTING),
            *(uw.CONTACTING, uw.AUTHORITIES),
        ),
        escalation=both(uw.ESCALATING, uw.SUPERIORS),
        threat=_union(uw.THREATS),
        anger=both(
            *(uw.PROMISES, uw.BROKEN, uw.LOSSES, uw.LOSS_CONTEXT, uw.YOU_ALL, uw.CHARACTER),
            *(uw.CANNED, uw.CANNED_CONTEXT, uw.PATIENCE, uw.PATIENCE_GONE),
        ),
        anger_shapes=_union(uw.ANGER_SHAPES),
    )


def _paired(
    families: Iterable[tuple[re.Pattern[str], re.Pattern[str]]],
    before: str,
    clause: str,
    kind: str,
) -> list[str]:
    """The first family whose two lists both match, one of them in ``clause`` and the other
    in it or in the clause before, neither negated: a "first+second" term."""
    span = f"{before} {clause}" if before else clause
    for first, second in families:
        if not first.search(clause) and not second.search(clause):
            continue  # most messages
        a, b = _spans(first, span, kind), _spans(second, span, kind)
        for (x, i, j), (y, k, m) in ((x, y) for x in a for y in b):
            if j <= k or m <= i:  # two places, not one word read twice ("day off", "day")
                return [f"{x}+{y}"]
    return []


def _spans(pattern: re.Pattern[str], text: str, kind: str) -> list[tuple[str, int, int]]:
    """Like :func:`_found`, with where each term stands. Anger is not taken back by a
    negation: "不讲诚信" is as angry as "讲诚信吗"."""
    return [
        (m.group(0).strip(), m.start(), m.end())
        for m in pattern.finditer(text)
        if kind == "angry" or not _negated(text[: m.start()], kind)
    ]


def _shouting(text: str) -> bool:
    """Three words or more in capitals, and most Latin letters capitals (not "USB LED TV")."""
    if len(_SHOUT.findall(text)) < 3:
        return False  # most messages: no letter-by-letter count
    letters = [c for c in text if c.isascii() and c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return upper > 0.6 * len(letters)


def assess(text: str, lex: Lexicon | None = None) -> Urgency:
    """What ``text`` reports: hazard, complaint, anger (each from the rules above)."""
    lex = lex or lexicon()
    raw = normalize(text)
    low = masked(text, lex)
    joking = bool(_JOKE.search(low))
    hearsay = bool(_HEARSAY.search(low)) or joking
    resolved = bool(_RESOLVED.search(low)) and not _STILL.search(low)
    kinds: set[str] = set()
    terms: list[str] = []
    strong = weak = 0
    before = ""
    built = pairs() if lex.compounds else None
    positive = bool(_POSITIVE.search(low))
    if built and not hearsay and not resolved:
        terms += _failed_device(raw, built)
        kinds |= {"hazard"} if terms else set()
    told: list[bool] = []  # per clause with a hazard: told as the past
    asked = False  # a clause without a hazard asks something
    for clause in clauses(low):
        question = _is_question(clause)
        hazards = _found(lex.hazard, clause, "hazard") or (
            _paired(built.hazard, before, clause, "hazard") if built else []
        )
        if hazards and not hearsay and not resolved and not _HYPOTHETICAL.search(clause):
            if not question or _FACTUAL.search(_AUX.sub("", clause)):
                kinds.add("hazard")
                terms += hazards
                told.append(bool(_PAST.search(f"{before} {clause}")))
        elif not hazards and (question or _ASKS.search(clause)):
            asked = True
        complaints = _complaints(clause, before, lex, built, (positive, joking))
        if complaints and not _settled(clause) and not _HEARSAY.search(clause):
            if not question or _INTENT.search(clause):
                kinds.add("complaint")
                terms += complaints
        angry = _found(lex.anger_strong, clause, "angry")
        if built and not angry and not positive:
            angry = _found(built.anger_shapes, clause, "angry") or _paired(
                built.anger, before, clause, "angry"
            )
        strong += len(angry)
        terms += angry
        before = clause
        weak += len(_found(lex.anger_weak, _BOTH.sub(" ", clause), "angry"))
        weak += len(_REPEATED.findall(clause)) + len(_WAITED.findall(clause))
    if built and told and all(told) and (asked or positive) and not _STILL.search(low):
        kinds.discard("hazard")  # background: "去年漏过电，现在想问保修", "上次破皮的事，谢谢"
    if _EXCLAIM.search(raw):
        weak += 1
    if _shouting(text or ""):
        strong += 1
    if positive:
        weak = 0
    if strong or weak >= 2:
        kinds.add("angry")
    if lex.model is not None and any(
        t < 1.0 and k not in kinds for k, t in zip(KINDS, lex.thresholds, strict=True)
    ):
        kinds |= _learned(low, lex, kinds, hearsay or resolved or bool(told and all(told)))
    return Urgency(frozenset(kinds), tuple(dict.fromkeys(terms)))


def _complaints(
    clause: str, before: str, lex: Lexicon, built: Pairs | None, mood: tuple[bool, bool]
) -> list[str]:
    """The complaint words of ``clause`` (not in a message said in fun, with the built-in
    rules); else (built-in pairs, not said in fun or with thanks: ``mood``) asking for
    someone above the agent, or an act on a target said with intent or a threat ("我就发到
    抖音上", "I'll be disputing it with my bank")."""
    found = _found(lex.complaint, clause, "complaint")
    if found or not built:
        return [] if built and mood[1] else found
    if any(mood):
        return []
    upward = _paired(built.escalation, before, clause, "complaint")
    if upward:
        return upward
    said = _paired(built.complaint, before, clause, "complaint")
    return said if built.threat.search(f"{before} {clause}") else []


def _failed_device(raw: str, built: Pairs) -> list[str]:
    """A safety device that did not act ("熄火保护不起作用", "it tipped over and stayed on"),
    read on the text before product words are blanked; not said in a question ("漏电保护
    插头坏了能单独买吗" asks to buy one) nor supposed."""
    before = ""
    for clause in clauses(raw):
        found = _paired(built.device, before, clause, "hazard")
        before = clause
        if found and not _HYPOTHETICAL.search(clause) and not _is_question(clause):
            return found
    return []


def _settled(clause: str) -> bool:
    """A complaint put to rest ("上次的投诉已经处理好了"), not one about how something was
    handled ("I want to complain about how it was handled")."""
    return bool(_SETTLED.search(clause)) and not _WANTS.search(clause)


def _learned(low: str, lex: Lexicon, kinds: set[str], past: bool) -> set[str]:
    """The kinds the model reads with confidence that the words missed, unless the message's
    form rules them out as it does for the words: a hazard heard of, put right, supposed or
    only asked about; a complaint settled or only asked about; anything said with thanks but
    a hazard."""
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
    asking = bool(parts) and all(_is_question(c) for c in parts)
    out = set()
    for kind in likely:
        if kind == "hazard":
            happened = any(_FACTUAL.search(_AUX.sub("", c)) for c in parts)
            if past or _HYPOTHETICAL.search(low) or (asking and not happened):
                continue
        elif _POSITIVE.search(low):
            continue
        if kind == "complaint" and (_settled(low) or (asking and not _INTENT.search(low))):
            continue
        out.add(kind)
    return out
