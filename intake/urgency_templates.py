"""Generated training messages for :mod:`intake.urgency_model`: templates with many slot values.

The labelled sets are a few hundred messages each; a model trained on them alone learns
their products as much as their dangers ("烤箱" was a hazard word because the ovens in the
sets were on fire). Here every product appears in every kind of message: in danger, in an
everyday request, in a question about a feature, in a supposition, in a past put right. So
the model is left to weigh what makes the difference (a state, an act, an intent), not the
thing. The draw is seeded: the same messages every run, so ``kefu triage train`` stays
deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

ZH_PRODUCTS = (
    "热水器",
    "燃气灶",
    "洗衣机",
    "冰箱",
    "空调",
    "电动车",
    "充电宝",
    "手机",
    "电水壶",
    "取暖器",
    "电饭煲",
    "微波炉",
    "烤箱",
    "洗碗机",
    "油烟机",
    "电暖气",
    "吹风机",
    "电磁炉",
    "净水器",
    "扫地机",
    "电热毯",
    "壁挂炉",
    "料理机",
    "空气净化器",
    "除湿机",
    "平板",
    "电风扇",
    "浴霸",
    "干衣机",
    "咖啡机",
)
EN_PRODUCTS = (
    "water heater",
    "gas hob",
    "washing machine",
    "fridge",
    "air conditioner",
    "e-bike",
    "power bank",
    "phone",
    "kettle",
    "heater",
    "rice cooker",
    "microwave",
    "oven",
    "dishwasher",
    "cooker hood",
    "radiator",
    "hair dryer",
    "induction hob",
    "water filter",
    "robot vacuum",
    "electric blanket",
    "boiler",
    "blender",
    "air purifier",
    "dehumidifier",
    "tablet",
    "fan",
    "tumble dryer",
    "coffee machine",
    "toaster",
)
ZH_PARTS = ("插头", "电源线", "底座", "外壳", "插座", "充电口", "背面", "电池", "线", "开关")
EN_PARTS = ("plug", "cable", "base", "casing", "socket", "charging port", "back", "battery", "lead")
ZH_DANGER = (
    "冒烟了",
    "有股烧焦味",
    "冒火星",
    "烫得不敢碰",
    "漏电",
    "一碰就麻",
    "着火了",
    "噼啪响还冒烟",
    "化了",
    "烧黑了",
    "鼓起来了",
    "炸了",
    "有煤气味",
    "滋滋响还发烫",
    "冒出火苗",
    "一股塑料烧糊的味",
)
EN_DANGER = (
    "is smoking",
    "smells of burning",
    "is sparking",
    "is too hot to touch",
    "gave me a shock",
    "caught fire",
    "is crackling and smoking",
    "has melted",
    "is scorched black",
    "has swollen",
    "blew up",
    "smells of gas",
    "is fizzing and hot",
    "shot out a flame",
    "tingles when I touch it",
)
ZH_EVERYDAY = (
    "怎么安装",
    "发票怎么开",
    "什么时候发货",
    "保修几年",
    "能上门安装吗",
    "有点噪音正常吗",
    "怎么清洗",
    "滤网多久换一次",
    "可以换个颜色吗",
    "说明书在哪下载",
    "能开专票吗",
    "有没有优惠",
    "物流到哪了",
    "预约明天上门",
    "遥控器丢了能买吗",
    "定时功能怎么用",
    "耗电大吗",
    "尺寸是多少",
    "想加购一个配件",
    "显示屏不亮了",
    "不制热了",
    "不出水了",
    "门关不紧",
    "有点漏水",
    "按键不灵敏",
    "有股异味怎么去除",
    "新机有塑料味正常吗",
    "漏水漏到地上了",
    "总是自动重启",
    "老是断网",
    "一直卡在开机画面",
    "运行的时候晃得厉害，声音也大",
    "甩干时震动很大",
)
EN_EVERYDAY = (
    "how do I install it",
    "can I get an invoice",
    "when will it ship",
    "how long is the warranty",
    "can someone install it",
    "is a bit noisy, is that normal",
    "how do I clean it",
    "how often should I change the filter",
    "can I swap the colour",
    "where is the manual",
    "is there a discount",
    "where is my delivery",
    "can I book a visit tomorrow",
    "lost the remote, can I buy one",
    "how does the timer work",
    "does it use much power",
    "what are the dimensions",
    "display has gone blank",
    "stopped heating",
    "won't drain",
    "door doesn't shut properly",
    "is leaking a little",
    "buttons are unresponsive",
    "smells a bit musty, how do I freshen it",
    "has a new plastic smell, is that normal",
    "is leaking water onto the floor",
    "keeps restarting",
    "keeps disconnecting from the wifi",
    "keeps freezing on the menu screen",
    "shakes a lot and is loud when it runs",
    "vibrates hard on the spin",
)
ZH_FEATURES = (
    "猛火档",
    "烟熏模式",
    "爆炒模式",
    "火锅档",
    "速热功能",
    "防干烧功能",
    "童锁",
    "高温除菌",
)
EN_FEATURES = ("sear mode", "smoke flavour setting", "turbo boost", "fire mode", "boil-dry cut-out")
ZH_SUPPOSED = ("如果{p}{d}怎么办？", "{p}会不会{d}？", "万一{p}{d}，保修吗", "{p}{d}的话要怎么处理")
EN_SUPPOSED = (
    "what if the {p} {d}?",
    "could the {p} ever get like that",
    "if the {p} {d}, is it covered?",
)
ZH_PAST = ("去年{p}{d}，师傅来修好了，现在想问下保养", "{p}以前{d}过，换了以后一切正常，谢谢")
EN_PAST = (
    "last year the {p} {d} but your engineer fixed it, all good now",
    "our old {p} {d} years ago, that's why we bought yours",
)
ZH_PEOPLE = ("我", "孩子", "我妈", "老人", "我老公", "宝宝", "我女儿", "我儿子")
EN_PEOPLE = ("I", "my son", "my mum", "my husband", "my daughter", "our toddler", "my wife")
ZH_HURTS = (
    "划破了手指",
    "烫红了手背",
    "割了一道口子在手上",
    "夹伤了手指",
    "烫出了水泡",
    "砸到了脚",
)
EN_HURTS = (
    "cut a finger on it",
    "scalded a hand on it",
    "sliced a thumb on the blade",
    "trapped fingers in it",
    "got burned on the side of it",
)
ZH_INTENTS = ("我就", "我会", "我要", "不处理的话我就", "再拖下去我就", "今天没结果我就")
EN_INTENTS = (
    "I will",
    "I'm going to",
    "unless this is sorted I'll",
    "if I don't hear back I'll",
    "I'm about to",
)
ZH_ACTS = (
    "发到抖音上",
    "在小红书上写出来",
    "去12315投诉",
    "找律师",
    "向银行申请拒付",
    "找媒体曝光",
    "给你们写差评",
    "找你们领导",
    "去消协",
    "把聊天记录挂到网上",
)
EN_ACTS = (
    "post this on social media",
    "leave a one star review",
    "go to trading standards",
    "speak to my solicitor",
    "dispute the payment with my bank",
    "go to the papers",
    "take this to the small claims court",
    "escalate this to your manager",
)
ZH_ANGRY = (
    "我已经等了{n}天了，一个电话都没有，你们到底管不管",
    "说好{w}上门，人呢？又放我鸽子",
    "同一个问题我说了{n}遍了，你们能不能认真点",
    "我请假在家等了一整天，结果没人来，真是浪费时间",
    "你们的{p}质量就这样？买了真后悔",
    "换了{n}个客服，每个人说的都不一样",
    "呵呵，又让我耐心等待",
)
EN_ANGRY = (
    "I've waited {n} days and not one call, does anyone there care",
    "you promised an engineer {w} and nobody came",
    "I've explained this {n} times already, do you even read my messages",
    "I took a day off for the visit and no one turned up, what a waste of my time",
    "so this is the quality of your {p}? I regret buying it",
    "{n} different agents, {n} different stories",
)
COUNTS = ("三", "四", "五", "六", "七", "十")
EN_COUNTS = ("three", "four", "five", "six", "seven", "ten")
WHEN = ("今天上午", "昨天", "周六", "下午两点", "明天")
EN_WHEN = ("this morning", "yesterday", "on Saturday", "at 2pm", "last Tuesday")


@dataclass(frozen=True)
class Language:
    """One language's slot values and the frames that put them in a sentence."""

    products: tuple[str, ...]
    parts: tuple[str, ...]
    danger: tuple[str, ...]
    everyday: tuple[str, ...]
    features: tuple[str, ...]
    calm: tuple[str, ...]  # supposed, or put right since
    people: tuple[str, ...]
    hurts: tuple[str, ...]
    intents: tuple[str, ...]
    acts: tuple[str, ...]
    angry: tuple[str, ...]
    counts: tuple[str, ...]
    when: tuple[str, ...]
    frames: dict[str, str]  # danger, part, hurt, ask, feature, complaint, asked


ZH = Language(
    *(ZH_PRODUCTS, ZH_PARTS, ZH_DANGER, ZH_EVERYDAY, ZH_FEATURES, ZH_SUPPOSED + ZH_PAST),
    *(ZH_PEOPLE, ZH_HURTS, ZH_INTENTS, ZH_ACTS, ZH_ANGRY, COUNTS, WHEN),
    frames={
        "danger": "{x}{d}",
        "part": "{p}的{x}{d}",
        "hurt": "{x}用{p}的时候{y}",
        "ask": "{p}{x}",
        "feature": "{p}的{x}怎么用",
        "complaint": "{p}的问题{x}{y}",
        "asked": "请问{x}的流程是什么？",
    },
)
EN = Language(
    *(EN_PRODUCTS, EN_PARTS, EN_DANGER, EN_EVERYDAY, EN_FEATURES, EN_SUPPOSED + EN_PAST),
    *(EN_PEOPLE, EN_HURTS, EN_INTENTS, EN_ACTS, EN_ANGRY, EN_COUNTS, EN_WHEN),
    frames={
        "danger": "the {x} {d}",
        "part": "the {p}'s {x} {d}",
        "hurt": "{x} {y}, the {p}",
        "ask": "the {p} {x}",
        "feature": "how do I use the {x} on the {p}",
        "complaint": "about the {p}: {x} {y}",
        "asked": "how would I {x}, just asking?",
    },
)
HAZARD, COMPLAINT, ANGRY = frozenset({"hazard"}), frozenset({"complaint"}), frozenset({"angry"})
CALM: frozenset[str] = frozenset()


def _templates(lang: Language) -> Iterator[tuple[str, frozenset[str], int, str, str]]:
    """(frame, labels, how many to draw, x, y) for one language."""
    f = lang.frames
    # Danger: a product or its part and a dangerous state; a person hurt by a product.
    yield from ((f["danger"], HAZARD, 2, x, "") for x in lang.products)
    yield from ((f["part"], HAZARD, 6, x, "") for x in lang.parts)
    yield from ((f["hurt"], HAZARD, 1, x, y) for x in lang.people for y in lang.hurts)
    # The same products in everyday messages, features, suppositions, the past.
    yield from ((f["ask"], CALM, 8, x, "") for x in lang.everyday)
    yield from ((f["feature"], CALM, 4, x, "") for x in lang.features)
    yield from ((t, CALM, 20, "", "") for t in lang.calm)
    # Complaints: an intent and an act; the same acts asked about are not complaints.
    yield from ((f["complaint"], COMPLAINT, 2, x, y) for x in lang.intents for y in lang.acts)
    yield from ((f["asked"], CALM, 1, x, "") for x in lang.acts)
    # Quiet anger.
    yield from ((t, ANGRY, 10, "", "") for t in lang.angry)


def examples() -> list[tuple[str, frozenset[str]]]:
    """The generated messages and their labels (the same every run)."""
    rng = random.Random(16)
    out: dict[str, frozenset[str]] = {}
    for lang in (ZH, EN):
        for frame, labels, count, x, y in _templates(lang):
            for _ in range(count):
                text = frame.format(
                    p=rng.choice(lang.products),
                    d=rng.choice(lang.danger),
                    n=rng.choice(lang.counts),
                    w=rng.choice(lang.when),
                    x=x,
                    y=y,
                )
                out.setdefault(text, labels)
    return list(out.items())
