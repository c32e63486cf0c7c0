"""How a ticket type is defined: its fields' kinds, keys, labels and the status each is
required at, whether written as a ``[workorders] ticket_types`` line or sent by the admin page
(the types themselves, their versions and values: intake/ticket_types.py).

    repair 报修/Repair: model(text)=型号/Model@resolved; fault(choice:noise=噪音/Noise)=故障/Fault
"""

from __future__ import annotations

import re
from typing import Any

from core.errors import ConfigError

KINDS = ("text", "number", "choice", "date", "phone", "address", "product", "photo")
STATUS_NAMES = {
    "open": ("处理中", "open"),
    "pending": ("等待客户", "pending"),
    "resolved": ("已解决", "resolved"),
    "closed": ("已关闭", "closed"),
}
KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_LINE = re.compile(r"^\s*(?P<key>\S+)\s+(?P<zh>[^/:]+)/(?P<en>[^:]+):(?P<fields>.*)$")
_FIELD = re.compile(
    r"^\s*(?P<key>[^(\s]+)\((?P<kind>[a-z]+)(?::(?P<opts>[^)]*))?\)\s*=\s*(?P<zh>[^/@]+)/"
    r"(?P<en>[^@]+?)\s*(?:@(?P<at>[a-z]+))?\s*$"
)


def check_label(value: Any, what: str) -> dict[str, str]:
    """A {zh, en} label validated and trimmed; ValueError naming ``what`` otherwise."""
    if not isinstance(value, dict):
        raise ValueError(f"{what}: label must be {{zh, en}}")
    zh, en = value.get("zh"), value.get("en")
    if not isinstance(zh, str) or not isinstance(en, str) or not zh.strip() or not en.strip():
        raise ValueError(f"{what}: label needs zh and en text")
    if len(zh) > 64 or len(en) > 64:
        raise ValueError(f"{what}: labels are at most 64 characters")
    return {"zh": zh.strip(), "en": en.strip()}


def check_fields(fields: Any) -> list[dict[str, Any]]:
    """Field definitions validated and normalized; ValueError names the first problem."""
    if not isinstance(fields, list) or len(fields) > 50:
        raise ValueError("fields must be a list of at most 50 fields")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, f in enumerate(fields, 1):
        if not isinstance(f, dict):
            raise ValueError(f"field {i} must be an object")
        key, kind, at = f.get("key"), f.get("kind"), f.get("required_at")
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise ValueError(f"field {i}: key must be a-z, 0-9 and _, starting with a letter")
        if key in seen:
            raise ValueError(f"field {key}: defined twice")
        seen.add(key)
        if kind not in KINDS:
            raise ValueError(f"field {key}: kind must be one of {', '.join(KINDS)}")
        if at is not None and at not in STATUS_NAMES:
            raise ValueError(f"field {key}: required_at must be one of {', '.join(STATUS_NAMES)}")
        item: dict[str, Any] = {
            "key": key,
            "kind": kind,
            "label": check_label(f.get("label"), f"field {key}"),
            "required_at": at,
        }
        if kind == "choice":
            opts = f.get("options")
            if not isinstance(opts, list) or not opts:
                raise ValueError(f"field {key}: a choice needs options")
            options = []
            for o in opts:
                if not isinstance(o, dict) or not KEY.fullmatch(str(o.get("key", ""))):
                    raise ValueError(f"field {key}: each option needs a key (a-z, 0-9, _)")
                label = check_label(o, f"field {key} option {o.get('key')}")
                options.append({"key": o["key"], **label})
            item["options"] = options
        out.append(item)
    return out


def parse_type_line(line: str) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
    """One ``[workorders] ticket_types`` line as (key, name, fields); ConfigError if bad."""
    try:
        m = _LINE.match(line)
        if not m or not KEY.fullmatch(m.group("key")):
            raise ValueError(
                'write it as "key 中文名/English name: field(kind)=中文/English@status"'
            )
        fields: list[dict[str, Any]] = []
        for part in filter(str.strip, m.group("fields").split(";")):
            fm = _FIELD.match(part)
            if not fm:
                raise ValueError(f"field {part.strip()!r} must read key(kind)=中文/English@status")
            item: dict[str, Any] = {
                "key": fm.group("key"),
                "kind": fm.group("kind"),
                "label": {"zh": fm.group("zh").strip(), "en": fm.group("en").strip()},
                "required_at": fm.group("at"),
            }
            if fm.group("opts"):
                item["options"] = []
                for opt in fm.group("opts").split("|"):
                    okey, _, labels = opt.partition("=")
                    zh, _, en = labels.partition("/")
                    item["options"].append(
                        {"key": okey.strip(), "zh": zh.strip(), "en": en.strip()}
                    )
            fields.append(item)
        name = check_label({"zh": m.group("zh"), "en": m.group("en")}, "name")
        return m.group("key"), name, check_fields(fields)
    except ValueError as err:
        raise ConfigError(f"Config key [workorders] ticket_types: {line[:60]!r}: {err}.") from None
