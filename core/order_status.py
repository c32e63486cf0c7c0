"""An order's status in the customer's language (``[orders] status_names``).

Order systems answer with a status code (``shipped``, ``in_transit``...) and often a status
text in one language (``已发货``). The code is told in the customer's language from
``status_names`` (``"code=中文/English"`` lines); a code the mapping does not know keeps the
order system's own text, as it is.
"""

from __future__ import annotations

import re

from core.errors import ConfigError

DEFAULT_STATUS_NAMES = (
    "unpaid=待付款/Awaiting payment",
    "pending=待付款/Awaiting payment",
    "paid=已付款/Paid",
    "processing=备货中/Being prepared",
    "to_ship=待发货/Awaiting shipment",
    "shipped=已发货/Shipped",
    "in_transit=运输中/In transit",
    "out_for_delivery=派送中/Out for delivery",
    "delivered=已签收/Delivered",
    "completed=已完成/Completed",
    "refunding=退款中/Refund in progress",
    "refunded=已退款/Refunded",
    "returned=已退货/Returned",
    "cancelled=已取消/Cancelled",
    "canceled=已取消/Cancelled",
    "closed=已关闭/Closed",
)


def code_key(code: str) -> str:
    """A status code as compared: case, spaces and hyphens do not matter (In-Transit)."""
    return re.sub(r"[\s\-]+", "_", code.strip()).lower()


def parse_status_names(lines: list[str]) -> dict[str, tuple[str, str]]:
    """``status_names`` as {code: (zh, en)}; ConfigError names a bad line."""
    out: dict[str, tuple[str, str]] = {}
    for line in lines:
        code, sep, names = line.partition("=")
        zh, slash, en = names.partition("/")
        if not (sep and slash and code.strip() and zh.strip() and en.strip()):
            raise ConfigError(
                f"Config key [orders] status_names: {line!r} must be code=中文/English, "
                "e.g. shipped=已发货/Shipped."
            )
        out[code_key(code)] = (zh.strip(), en.strip())
    return out


def status_words(names: dict[str, tuple[str, str]], code: str, text: str) -> dict[str, str]:
    """The status in zh and en: the mapped words of ``code``, else the order system's text."""
    known = names.get(code_key(code)) if code else None
    if known is None:
        return {"zh": text, "en": text}
    return {"zh": known[0], "en": known[1]}
