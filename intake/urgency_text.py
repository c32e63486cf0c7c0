"""The language of :mod:`intake.urgency`: clauses, negation, questions, the past, intent.

These are how a message is said, not what it is about (the words are in
:mod:`intake.urgency_words`): a term after a negation does not count, a question without
intent asks about the policy, a hazard heard of or supposed did not happen. Terms are
compiled here into one regex per list (``...`` a short gap, ``*`` any letters).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Clause machinery (language, not configuration).
ZH_NEGATORS = ("不", "没", "未", "别", "并非", "绝非", "毫无")
ZH_NOT_NEGATING = re.compile(r"不(?:断|停|住|少|过|然|仅|光|只|止|久)")
ZH_BREAKERS = re.compile(r"就|才|再|否则|不然|还|又|都")
EN_NEGATORS = {"not", "no", "never", "without", "nothing", "nor", "none", "cannot"}
EN_BREAKERS = {"and", "but", "then", "so", "if", "because"}
EXTRA_NEGATORS = {
    "complaint": (
        (
            "撤销",
            "撤回",
            "取消",
            "之前",
            "上次",
            "以前",
            "本来想",
            "本想",
            "原本",
            "原来",
            "而不是",
            "不算",
        ),
        {"withdraw", "cancel", "previous", "earlier", "prior", "last", "drop", "rather", "instead"},
    ),
    "hazard": (("防", "预防", "避免"), {"prevent", "avoid", "anti"}),
}
QUESTION_ZH = re.compile(
    r"[?？]|吗|呢|如何|怎么|怎样|哪|什么|多少|多久|几|是否|有没有|能不能|可不可以|是不是"
    r"|会不会|请问|请教|了解|对吧|是吧|正常吧|没事吧"
)
QUESTION_EN = re.compile(
    r"\?|^\s*(how|what|where|when|which|who|why|is|are|does|do|did|can|could|would|should|will"
    r"|may)\b"
)
INTENT = re.compile(
    r"我要|要去|我会|我就|就去|就要|必须|一定|已经|正式|马上|立刻|直接|等着"
    r"|\b(i will|i'll|i'm going|i am going|going to|i want to|i'd like to|i'm filing|filing"
    r"|filed|i demand|i'm reporting|reporting|i have a)\b"
)
SETTLED = re.compile(
    r"处理好|已经解决|解决了|已解决|处理完|\b(was|were|has been|have been|got) "
    r"(resolved|handled|fixed|sorted)\b|\bwent through\b"
)
HYPOTHETICAL = re.compile(
    r"如果|万一|假如|要是|假设|会不会|是否会|以防|担心|(?<![可害])怕"
    r"|\b(if|in case|would|could|might|what happens|is it safe|worried)\b"
)
FACTUAL = re.compile(
    r"了|着|在|正在|一直|刚才|刚刚|突然|已经|又"
    r"|\b(is|are|was|were|it's|keeps|again|just|started|now|caught|blew|burnt"
    r"|[a-z]+ed)\b"
)
HEARSAY = re.compile(
    r"听说|新闻|(?<![发到传放])网上|有人说|据说|报道"  # 网上 but not 发到网上: posting it
    r"|\b(i read|i heard|heard that|news|reports of|reported)\b"
    # someone else's, or another brand's: "我朋友说...", "邻居家的", "not your product"
    r"|(?:朋友|邻居|同事|亲戚|别人|人家|网友)(?:说|讲|家|那)|别的牌子|别家的|其他品牌|其它品牌"
    r"|\b(a friend's|my friend's|friend said|neighbou?r's|neighbou?r said|another brand"
    r"|other brand|different brand|not your product|not one of yours)\b"
)
# Happening now, as the customer writes: a hazard so told is theirs even when another clause
# names a neighbour or a report ("writing from my neighbour's phone... smoke is coming out now").
NOW = re.compile(
    r"现在|正在|此刻|这会儿|还在|\b(now|right now|as i write|as we speak|at the moment|currently)\b"
)
# A detector's nuisance: set off by a little smoke from cooking, too sensitive, false alarms.
# Smoke so told is the cause of the noise, not a hazard ("炒菜一冒烟就响", "toast sets it off").
NUISANCE = re.compile(
    r"误报|太灵敏|太敏感|过于灵敏|烟就(?:响|叫|报警)|\b(false alarms?|too sensitive|oversensitive"
    r"|sets? (?:it|the alarm|the detector) off|sets? off the (?:alarm|detector))\b"
)
SMOKE = re.compile(r"烟|smok")
# The customer acting: "我就发给...", "I've reported this to...".
FIRST_PERSON = re.compile(
    r"我(?:已经|就|要|会|准备|打算|把|去|马上|直接)"
    r"|\b(?:i've|i have|i'm|i am|i'll|i will|we've|we're|we'll)\b"
    r"|\bi (?:reported|contacted|filed|sent|told|wrote|went|rang|called)\b"
)
# A joke: "开玩笑", "just kidding" (a hazard or a complaint said in fun is neither); not
# "不是开玩笑", "are you kidding me", "I'm not joking".
JOKE = re.compile(
    r"(?<![不没别])(?<!不是)(?<!没有)(?:开玩笑|开个玩笑|说笑)"
    r"|\b(just kidding|only kidding|just joking|only joking|jk|lol)\b"
)
# A hazard told as the past, before a present question: "去年漏过电，师傅修好了，想问下保修".
PAST = re.compile(
    r"去年|前年|上个?月|上次|以前|曾经|当年|小时候|(?:\d+|[一二两三四五六七八九十几])(?:个月|年)前"
    r"|\b(last (?:year|month|winter|summer)|(?:years|months) ago|a while ago|in the past"
    r"|used to|previously|back in)\b"
)
ASKS = re.compile(
    r"想问|请问|麻烦|想了解|想知道|咨询|\b(want to know|wondering|can you|could you|should)\b"
)
# A hazard word naming a feature: "fire mode", "smoke flavour setting", "猛火模式".
FEATURE = (
    r"(?=\s*(?:[a-z]+\s+)?(?:mode|setting|function|flavou?r|program(?:me)?|button|icon|symbol"
    r"|option|feature|preset|cycle)s?\b|的?(?:模式|档位|功能|按钮|按键|图标|口味|风味|程序))"
)
# The feature names of FEATURE alone: a text without one has no feature to blank.
FEATURE_NAMES = re.compile(
    r"mode|setting|function|flavou?r|program|button|icon|symbol|option|feature|preset|cycle"
    r"|模式|档位|功能|按钮|按键|图标|口味|风味|程序"
)
POSITIVE = re.compile(
    r"谢谢|感谢|太好了|哈哈|好评|点赞|给力|快乐|满意|(?<![不没])好用|\b(thank|thanks|great|awesome|love|happy)\b"
)
# A clause of praise alone ("Brilliant.", "太好了。"): sarcasm when the message has a grievance.
PRAISE_ALONE = re.compile(
    r"\s*(?:oh\s+|just\s+|well\s+)?(?:brilliant|fantastic|great|perfect|lovely|wonderful"
    r"|marvell?ous|superb|terrific|amazing|excellent|super)\s*[.!。！]*\s*$"
    r"|\s*(?:真是|真|太)?(?:好|棒|行|厉害|优秀)(?:了|啊|呀|呢)*\s*[.!。！]*\s*$"
)
GRIEVANCE = re.compile(
    r"又|还要等|再等|没人|等了|还没|都没|一个月|一周|一个礼拜|连个"
    r"|\b(another|nobody|no one|never|again|without|still|wait(?:ing)?)\b"
)
# A hazard that was put right: "师傅已经修好了", "all good now" (unless it came back: 又, still).
RESOLVED = re.compile(
    r"修好了|已经修好|已经好了|没问题了|用着很好|恢复正常|正常了|一切正常|都正常"
    r"|现在(?:用着|用得|用起来)?(?:挺|很|都|还)?(?:好|正常|没事|没问题)|现在没(?:味|事|问题|电)"
    r"|\b(all good|works (fine|perfectly)|working (fine|perfectly)|fine now|no problems? since"
    r"|been fine|(?:is|it's|all) (?:fine|ok|okay|sorted) now)\b"
)
WANTS = re.compile(r"我要|我想|我会|\b(i want|i'd like|i wish|i will|i'll|i'm going to)\b")
BOTH = re.compile(r"又(?=.{1,3}又)|(?<=又.)又|(?<=又..)又|(?<=又...)又")  # 又青又肿: "both"
STILL = re.compile(r"还是|仍然|依然|又|再次|\b(still|again|keeps|came back)\b")
IDS = re.compile(r"(?:订单号|单号|尾号|编号|工单|号码|号|#|\bno\.?|\bnumber(?: is)?|\border)\s*\d+")
CLAUSE = re.compile(r"[^,，。.!！?？;；\n]+[,，。.!！?？;；\n]*")
SPLIT = re.compile(r"但是|可是|不过|\bbut\b")
EXCLAIM = re.compile(r"[!！]{3,}|[?？]{2,}|[!！][?？]|[?？][!！]")
# Repetition and waiting: "说了十遍", "三次上门", "for the fourth time", "in TEN days".
REPEATED = re.compile(
    r"(?:[二两三四五六七八九十几多]|\d+)\s*(?:次|遍|回)"
    r"|\b(?:third|fourth|fifth|\d+(?:st|nd|rd|th)) (?:time|visit)"
    r"|\b(?:\d+|three|four|five|six|seven|eight|nine|ten|several|many) (?:times|visits|calls)\b"
)
# Waiting long: "等了两周", "一个月了", "three weeks and still".
WAITED = re.compile(
    r"(?:\d+|[一二两三四五六七八九十几半]+)\s*(?:个)?(?:天|周|个月|星期|礼拜)"
    r"|\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several) (?:days|weeks|months)\b"
)
AUX = re.compile(r"^\s*(?:is|are|was|were|has|have|does|do|did)\b")
SHOUT = re.compile(r"\b[A-Z]{3,}\b")
LATIN = re.compile(r"[a-z]")


def term_regex(word: str) -> str:
    """A word as a regex: ``...`` is a short gap, a trailing ``*`` any letters; Latin and digit
    ends must be whole words (``fire`` is not ``fired``, ``12315`` is not ``8812315``)."""
    parts = []
    for part in word.lower().split("..."):
        part = part.strip() if LATIN.search(part) else part
        star = part.endswith("*")
        core = re.escape(part.rstrip("*")).replace(r"\*", "[a-z]*")
        if star and core.endswith("e") and LATIN.search(core):
            core = core[:-1] + "(?:e|ing)[a-z]*"  # "dispute*" is "disputing" too
        elif star:
            core += "[a-z]*"
        parts.append(core)
    latin = bool(LATIN.search(word.lower()))
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


def union(words: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not ordered:
        return re.compile(r"(?!x)x")
    # Bare alternatives (no group around each) let the engine build its first-character
    # prefilter; a term's regex has no top-level "|", so nothing changes what matches.
    return re.compile("|".join(term_regex(w) for w in ordered))


def normalize(text: str) -> str:
    """Full-width to half-width, lower case; product words and order numbers blanked out
    (same length, so positions still line up)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def clauses(text: str) -> list[str]:
    """The message cut at punctuation and at "but": negation and questions live in a clause."""
    out: list[str] = []
    for piece in CLAUSE.findall(text):
        out += [p for p in SPLIT.split(piece) if p.strip()]
    return out


def negated(before: str, kind: str) -> bool:
    """Whether the words just before a term negate it (Chinese: 5 characters; English: 3 words)."""
    zh_extra, en_extra = EXTRA_NEGATORS.get(kind, ((), set()))
    window = before[-6:]
    for neg in (*ZH_NEGATORS, *zh_extra):
        at = window.rfind(neg)
        if at < 0:
            continue
        if neg == "不" and ZH_NOT_NEGATING.match(window, at):
            continue
        if not ZH_BREAKERS.search(window[at + len(neg) :]):
            return True
    words = re.findall(r"[a-z']+", before)[-3:]
    for i, w in enumerate(words):
        if w in EN_NEGATORS or w.endswith("n't") or w in en_extra:
            if not any(x in EN_BREAKERS for x in words[i + 1 :]):
                return True
    return False


def is_question(clause: str) -> bool:
    return bool(QUESTION_ZH.search(clause) or QUESTION_EN.search(clause))


def found(pattern: re.Pattern[str], clause: str, kind: str) -> list[str]:
    """The terms of ``pattern`` in ``clause`` that no negation takes back."""
    return [
        m.group(0).strip()
        for m in pattern.finditer(clause)
        if not negated(clause[: m.start()], kind)
    ]
