"""The bot answers "还在保修期吗" / "is it still under warranty" from the customer's own records,
however it is worded: "还在保内吗", "过保了吗", "保外维修多少钱", "过保了怎么办", "is it out of
warranty?". A question about the cost or what to do out of warranty also gets how a paid repair
goes (quoted first, repaired once agreed); when every product named is covered, that the
fault is repaired under the warranty terms.

Which product: the serial or model the customer names, else the kind of appliance they name
(洗衣机, air conditioner), else every product on their record. A serial, model or kind that
is not among their products gets "查不到您名下的这台设备" (whether it exists elsewhere is
never said). In or out of warranty is decided on today's date in the configured zone, for the
whole unit and for each part with a longer warranty (a compressor's ten years).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from bot.router import Context, Handler, Router
from core.domain import BotReply, BotState, BotTurn

ASKS = re.compile(
    r"保修|质保|保固|过保|在保|保内|保外|出保|超保|过了保|还保吗|\bwarrant(?:y|ies)\b|\bguarantee\b"
    r"|\bunder cover\b",
    re.IGNORECASE,
)
# "保外维修多少钱", "过保了怎么办", "how much is an out-of-warranty repair": what a repair
# costs once the warranty is over, asked with the warranty; the answer adds how paid repairs go.
PAID = re.compile(
    r"保外|过保|出保|超保|过了保|多少钱|收费|费用|价格|要钱|怎么办|怎么弄|还能修"
    r"|\bout[\s-]+of[\s-]+warranty\b|\bexpired\b|\bcost|\bcharge|\bhow much\b|\bfee|\bpay"
    r"|\bwhat (?:now|can i do|should i do)\b",
    re.IGNORECASE,
)
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/]{3,}")
SHOWN = 5

# What customers call their appliances, as the category on the record is written.
KINDS: dict[str, str] = {
    "洗衣机": "洗衣机",
    "washing machine": "洗衣机",
    "washer": "洗衣机",
    "空调": "空调",
    "air conditioner": "空调",
    "冰箱": "冰箱",
    "fridge": "冰箱",
    "refrigerator": "冰箱",
    "热水器": "热水器",
    "water heater": "热水器",
    "洗碗机": "洗碗机",
    "dishwasher": "洗碗机",
    "烘干机": "烘干机",
    "dryer": "烘干机",
    "电视": "电视",
    "tv": "电视",
    "油烟机": "油烟机",
    "range hood": "油烟机",
    "净水器": "净水器",
    "water purifier": "净水器",
}
PARTS = {
    "unit": ("整机", "whole unit"),
    "compressor": ("压缩机", "compressor"),
    "motor": ("电机", "motor"),
    "panel": ("面板", "panel"),
}

TEXTS: dict[str, dict[str, str]] = {
    "not_owned": {
        "zh": "查不到您名下的这台设备。请核对序列号（机身铭牌上），或输入“转人工”由客服为您查询。",
        "en": "I can't find this appliance under your name. Please check the serial number "
        '(on the rating label), or type "human" and an agent will look it up.',
    },
    "no_records": {
        "zh": "查不到您名下的设备记录。请告诉我机身铭牌上的序列号，或输入“转人工”由客服为您查询。",
        "en": "I can't find any appliance under your name. Please tell me the serial number "
        'from the rating label, or type "human" and an agent will look it up.',
    },
    "in": {
        "zh": "{name}：在保修期内，{part}保修至 {end}。",
        "en": "{name}: under warranty, {part} until {end}.",
    },
    "out": {
        "zh": "{name}：已过{part}保修期（{end} 到期）。",
        "en": "{name}: out of warranty for the {part} (ended {end}).",
    },
    "part_in": {"zh": "{part}保修至 {end}。", "en": "The {part} is covered until {end}."},
    "unknown": {
        "zh": "{name}：没有购买日期记录，无法判断是否在保修期内。请提供发票，或输入“转人工”。",
        "en": "{name}: there is no purchase date on record, so I can't tell. Please send the "
        'invoice, or type "human".',
    },
    "serial": {"zh": "（序列号 {serial}）", "en": " (serial {serial})"},
    "paid": {
        "zh": "保外（已过保修期）的维修需要付费：师傅上门检测后先按配件和人工报价，您同意后再维修。"
        "需要安排请说“报修”。",
        "en": "Out of warranty, repairs are paid: after checking, the engineer first quotes the "
        'parts and labour, and repairs only once you agree. Say "repair" to book a visit.',
    },
    "free": {
        "zh": "保修期内的故障按保修政策维修，需要安排请说“报修”。",
        "en": 'Faults under warranty are repaired under the warranty terms; say "repair" to book '
        "a visit.",
    },
}


class OwnedProduct(Protocol):
    """A product on the customer's record, as the bot reads it."""

    @property
    def category(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def serial(self) -> str: ...
    @property
    def purchase_date(self) -> date | None: ...
    @property
    def warranty_end(self) -> date | None: ...
    @property
    def parts(self) -> dict[str, date]: ...


class ProductLookup(Protocol):
    """Where the bot reads the products of the customer behind a conversation."""

    def today(self) -> date:
        """Today in the configured zone."""
        ...

    async def products_for(self, conversation_id: int) -> Sequence[OwnedProduct]:
        """The customer's own products."""
        ...


def say(key: str, language: str) -> str:
    """A warranty text in ``language`` (zh or en)."""
    return TEXTS[key]["en" if language == "en" else "zh"]


def day_text(day: date, language: str) -> str:
    """A date as the customer reads it."""
    if language == "en":
        return f"{day:%b} {day.day}, {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def part_name(part: str, language: str) -> str:
    """A part's name in ``language`` (unknown parts as configured)."""
    names = PARTS.get(part)
    return names[1 if language == "en" else 0] if names else part


def kinds_in(text: str) -> set[str]:
    """The appliance kinds a message names, as record categories."""
    low = text.lower()
    return {
        kind
        for word, kind in KINDS.items()
        if (re.search(rf"\b{re.escape(word)}\b", low) if word.isascii() else word in low)
    }


def _looks_like_code(token: str) -> bool:
    """A serial or model has digits, and letters too unless it is long (not "2023")."""
    has_digit = any(ch.isdigit() for ch in token)
    return has_digit and (any(ch.isalpha() for ch in token) or len(token) >= 8)


def pick(products: Sequence[OwnedProduct], text: str) -> tuple[list[OwnedProduct], bool]:
    """The products the message is about, and whether it named one (a serial, model, kind)."""
    codes = {c.lower() for c in CODE.findall(text) if _looks_like_code(c)}
    if codes:
        hits = [
            p
            for p in products
            if (p.serial and p.serial.lower() in codes) or p.model.lower() in codes
        ]
        return hits, True
    kinds = kinds_in(text)
    if kinds:
        return [p for p in products if any(k in p.category for k in kinds)], True
    return list(products), False


def describe(p: OwnedProduct, today: date, language: str) -> str:
    """One product's warranty in ``language``."""
    name = " ".join(x for x in (p.category, p.model) if x)
    if p.serial:
        name += say("serial", language).format(serial=p.serial)
    if p.warranty_end is None:
        return say("unknown", language).format(name=name)
    key = "in" if today <= p.warranty_end else "out"
    unit = part_name("unit", language)
    lines = [
        say(key, language).format(name=name, part=unit, end=day_text(p.warranty_end, language))
    ]
    for part, end in sorted(p.parts.items()):
        if today <= end:
            lines.append(
                say("part_in", language).format(
                    part=part_name(part, language), end=day_text(end, language)
                )
            )
    return ("" if language != "en" else " ").join(lines)


def make_warranty(lookup: ProductLookup) -> Handler:
    """Answer warranty questions from the customer's records; other questions: not mine."""

    async def warranty(ctx: Context) -> BotTurn | None:
        if not ASKS.search(ctx.text):
            return None
        products = await lookup.products_for(ctx.turn.conversation_id)
        chosen, named = pick(products, ctx.text)
        if not chosen:
            text = say("not_owned" if named else "no_records", ctx.language)
        else:
            today = lookup.today()
            shown = chosen[:SHOWN]
            text = "\n".join(describe(p, today, ctx.language) for p in shown)
            if PAID.search(ctx.text):
                out = any(p.warranty_end is not None and today > p.warranty_end for p in shown)
                covered = all(p.warranty_end is not None and today <= p.warranty_end for p in shown)
                if out or not covered:
                    text += "\n" + say("paid", ctx.language)
                else:
                    text += "\n" + say("free", ctx.language)
        state = BotState(misses=0, language=ctx.language)
        return BotTurn((BotReply(text),), state, ctx.language, None)

    return warranty


def register(router: Router, lookup: ProductLookup) -> None:
    """Put the warranty handler before the order lookup (which also hears "保修期")."""
    before = "orders" if "orders" in router.names else "kb"
    router.insert_before(before, "warranty", make_warranty(lookup))
