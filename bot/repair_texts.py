"""What the repair form says (zh and en), and the words a customer names its fields by."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

WORDS: dict[str, tuple[str, ...]] = {
    "product": ("设备", "型号", "机器", "产品", "product", "model"),
    "fault": ("故障", "问题", "毛病", "fault", "problem"),
    "address": ("地址", "address"),
    "phone": ("电话", "手机", "号码", "phone", "mobile"),
    "window": ("时间", "预约", "上门时间", "time", "when"),
}

TEXTS: dict[str, dict[str, str]] = {
    "ask_product_list": {
        "zh": "请问是哪台设备？回复序号，或直接告诉我机器型号（铭牌上）：",
        "en": "Which appliance is it? Reply with its number, or tell me the model (on the "
        "rating label):",
    },
    "ask_product": {
        "zh": "请告诉我机器型号（在机身铭牌上，例如 XQG100-BD14）。",
        "en": "Please tell me the model (on the rating label, e.g. XQG100-BD14).",
    },
    "ask_fault": {
        "zh": "请简单描述一下故障现象（例如：不脱水、不加热、有异响）。",
        "en": "Please describe the problem briefly (e.g. does not spin, no heat, noisy).",
    },
    "ask_address": {
        "zh": "请告诉我上门地址（城市、区县、街道和门牌号，例如：杭州西湖区文三路100号）。",
        "en": "Please give the address for the visit: street and number, district and city.",
    },
    "ask_phone": {
        "zh": "请留一个师傅上门前能联系到您的手机号（11 位）。",
        "en": "Please give a mobile number (11 digits) the engineer can call before the visit.",
    },
    "ask_window": {
        "zh": "您希望师傅什么时间上门？例如：明天下午、周六上午、12月5日 9点到12点。",
        "en": "When would you like the engineer to come? E.g. tomorrow afternoon, Saturday "
        "morning.",
    },
    "ask_other": {"zh": "请告诉我：{label}。", "en": "Please tell me: {label}."},
    "bad_product": {
        "zh": "没有找到这台设备。请回复列表中的序号，"
        "或告诉我铭牌上的型号（字母和数字，如 XQG100-BD14）。",
        "en": "I couldn't find that appliance. Reply with a number from the list, or the "
        "model from the rating label (letters and digits, e.g. XQG100-BD14).",
    },
    "bad_fault": {
        "zh": "请用几个字描述故障，例如“不脱水”。",
        "en": 'Please describe the problem in a few words, e.g. "does not spin".',
    },
    "bad_address_no_city": {
        "zh": "这个地址不完整：需要包含市和区（县），"
        "例如“浙江省杭州市西湖区文三路90号”或“杭州西湖区文三路90号”。请重新输入。",
        "en": "That address is incomplete: it needs the city, e.g. "
        '"12 Baker Street, London" or "杭州西湖区文三路90号". Please type it again.',
    },
    "bad_address_no_street": {
        "zh": "这个地址不完整：请补充区（县）、街道和门牌号，例如“杭州市西湖区文三路90号”。"
        "请重新输入。",
        "en": "That address is incomplete: please add the street and number, e.g. "
        '"Room 1203, 88 Century Ave, Pudong, Shanghai". Please type it again.',
    },
    "bad_address_not_address": {
        "zh": "这看起来不像地址。请输入上门地址，包含城市、区（县）和街道门牌，"
        "例如“杭州西湖区文三路90号”。",
        "en": "That does not look like an address. Please type the address for the visit "
        'with the street, number and city, e.g. "12 Baker Street, London".',
    },
    "bad_phone": {
        "zh": "手机号应为 11 位数字（如 139 1234 5678），您输入的是“{text}”。请重新输入。",
        "en": 'A mobile number has 11 digits (e.g. 139 1234 5678); you wrote "{text}". '
        "Please type it again.",
    },
    "bad_window": {
        "zh": "没能识别这个时间。"
        "请说“明天下午”“周六上午”或“12月5日上午”这样的时间（{days} 天内）。",
        "en": 'I could not read that time. Say something like "tomorrow afternoon" or '
        '"Saturday morning" (within {days} days).',
    },
    "bad_other": {"zh": "“{text}”不符合要求：{reason}。", "en": '"{text}" is not valid: {reason}.'},
    "start": {
        "zh": "好的，我来帮您登记{type}。",
        "en": "Sure, I'll register your {type} request.",
    },
    "confirm": {
        "zh": "请确认{type}信息：\n{summary}\n"
        "回复“确认”提交；要修改请说“改地址”“改时间”等；回复“取消”放弃。",
        "en": 'Please check your {type} request:\n{summary}\nReply "confirm" to submit; say '
        '"change address", "change time"… to correct it; "cancel" to drop it.',
    },
    "done": {
        "zh": "已为您提交{type}工单 #{number}。\n{summary}",
        "en": "Your {type} ticket #{number} is submitted.\n{summary}",
    },
    "arrange": {
        "zh": "我们会尽快安排师傅，上门前会电话联系您。",
        "en": "We will arrange an engineer, who will call before coming.",
    },
    "sent": {
        "zh": "师傅上门前会电话联系您。",
        "en": "The engineer will call before coming.",
    },
    "cancelled": {
        "zh": "好的，已取消这次{type}登记。如有需要随时告诉我。",
        "en": "OK, I have dropped this {type} request. Tell me any time you need it.",
    },
    "email_all": {
        "zh": "为了安排{type}，请直接回复本邮件，按下面每行一项补充信息：\n{lines}",
        "en": "To arrange the {type}, please reply to this email with one item per line:\n{lines}",
    },
    "email_more": {
        "zh": "还缺少或需要更正以下信息，请回复（每行一项）：\n{lines}",
        "en": "These items are still missing or need correcting; please reply, one per line:\n"
        "{lines}",
    },
}


def say(key: str, language: str, **values: Any) -> str:
    """A form text in ``language``, filled."""
    return TEXTS[key]["en" if language == "en" else "zh"].format(**values)


def _lang(language: str) -> str:
    return "en" if language == "en" else "zh"


def product_label(p: Any) -> str:
    """ "洗衣机 XQG100-BD14 (SN123)": a product as the customer recognises it."""
    name = " ".join(x for x in (p.category, p.model) if x)
    return f"{name} ({p.serial})" if p.serial else name


def window_text(value: str, lang: str) -> str:
    """A stored window ("2026-12-05 14:00-18:00") or time ("2026-12-05 15:00") as the
    customer reads it."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2}(?:-\d{2}:\d{2})?)", value)
    if not m:
        return value
    day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if lang == "en":
        return f"{day:%b} {day.day}, {m.group(4)}"
    return f"{day.month}月{day.day}日 {m.group(4)}"


def question(field: dict[str, Any], known: Any, lang: str) -> str:
    """How the bot asks for ``field``."""
    key = field["key"]
    if key == "product" and known.products:
        lines = [say("ask_product_list", lang)]
        lines += [f"{i}. {product_label(p)}" for i, p in enumerate(known.products[:9], 1)]
        return "\n".join(lines)
    if f"ask_{key}" in TEXTS:
        return say(f"ask_{key}", lang)
    return say("ask_other", lang, label=field["label"][_lang(lang)])


def summary(values: dict[str, str], known: Any, fields: Sequence[dict[str, Any]], lang: str) -> str:
    """The form's values, one line per field, for the customer to check."""
    lines = []
    for f in fields:
        value = values.get(f["key"], "")
        if f["key"] == "product":
            p = next((p for p in known.products if str(p.id) == value), None)
            value = product_label(p) if p is not None else value
        if f["key"] == "window" and value:
            value = window_text(value, lang)
        lines.append(f"{f['label'][_lang(lang)]}：{value}")
    return "\n".join(lines)
