"""The order-lookup connector: asks the company's order system over HTTP (``[orders]``: URL
template, auth header, timeout, cache time, field mapping) about one order number.

Shared by the bot's "where is my order" handler (``bot/orders.py``) and the console's orders
panel (``handoff/orders_routes.py``): one client, one cache, one timeout.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

from core.config import OrdersSettings
from core.contacts import ContactKeys
from core.errors import ConfigError

log = logging.getLogger(__name__)

FIELDS = ("status", "carrier", "tracking", "eta", "warranty_until", "phone", "email")
ASKS = re.compile(
    r"订单|物流|快递|发货|到哪|到了吗|到没到|配送|单号|保修期|"
    r"\b(orders?|shipping|shipment|delivery|parcel|package|tracking|warranty)\b",
    re.IGNORECASE,
)
MAX_CACHED = 10_000


@dataclass(frozen=True)
class Order:
    """An order as the bot tells it, mapped from the order system's answer."""

    number: str
    status: str
    carrier: str = ""
    tracking: str = ""
    eta: str = ""
    warranty_until: str = ""
    phone: str = ""
    email: str = ""

    def belongs_to(self, keys: ContactKeys) -> bool:
        """Whether the contact's phone or email is the order's (no key known: no)."""
        if keys.phone and self.phone and _digits(keys.phone) == _digits(self.phone):
            return True
        return bool(keys.email and self.email and keys.email.lower() == self.email.lower())


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-11:]


class OrderNotFound(Exception):
    """The order system does not know this order."""


class OrderUnavailable(Exception):
    """The order system is slow, down or answered nonsense; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_map(lines: list[str]) -> dict[str, tuple[str, ...]]:
    """``[orders] field_map`` as {field: path}; ConfigError names a bad line."""
    out: dict[str, tuple[str, ...]] = {}
    for line in lines:
        name, sep, path = line.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or name not in FIELDS or not path:
            raise ConfigError(
                f"Config key [orders] field_map: {line!r} must be field=dotted.path with a "
                f"field of {', '.join(FIELDS)}."
            )
        out[name] = tuple(path.split("."))
    if "status" not in out:
        raise ConfigError("Config key [orders] field_map must map status.")
    return out


def _pick(data: Any, path: tuple[str, ...]) -> str:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isascii() and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return ""
    return str(data) if isinstance(data, str | int | float) and not isinstance(data, bool) else ""


class OrderLookup:
    """Asks the order system for one order (with a small cache of the orders found)."""

    def __init__(self, settings: OrdersSettings) -> None:
        if "{order}" not in settings.url_template:
            raise ConfigError("Config key [orders] url_template must contain {order}.")
        try:
            self.pattern = re.compile(settings.order_pattern)
        except re.error as err:
            raise ConfigError(f"Config key [orders] order_pattern is not a regex: {err}.") from None
        self.settings = settings
        self.fields = parse_map(settings.field_map)
        self.headers: dict[str, str] = {}
        if settings.auth_header:
            name, sep, value = settings.auth_header.partition(":")
            if not sep or not name.strip():
                raise ConfigError('Config key [orders] auth_header must be "Name: value".')
            self.headers[name.strip()] = value.strip()
        self._cache: dict[str, tuple[float, Order]] = {}

    def number_in(self, text: str) -> str | None:
        """The first order number in ``text``, if any."""
        found = self.pattern.search(text)
        return found.group(0) if found else None

    async def find(self, number: str) -> Order:
        """The order; OrderNotFound or OrderUnavailable (after at most timeout_seconds)."""
        cached = self._cache.get(number)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        url = self.settings.url_template.replace("{order}", quote(number, safe=""))
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                async with aiohttp.ClientSession(timeout=timeout) as http:
                    async with http.get(url, headers=self.headers) as resp:
                        status = resp.status
                        raw = await resp.read()
        except TimeoutError:
            raise OrderUnavailable(f"no answer within {self.settings.timeout_seconds} s") from None
        except aiohttp.ClientError as err:
            raise OrderUnavailable(type(err).__name__) from None
        if status == 404:
            raise OrderNotFound(number)
        if status != 200:
            raise OrderUnavailable(f"HTTP {status}")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise OrderUnavailable("the answer is not JSON") from None
        values = {name: _pick(data, path) for name, path in self.fields.items()}
        if not values.get("status"):
            raise OrderUnavailable("the answer has no status at the mapped path")
        order = Order(number=number, **values)
        if self.settings.cache_seconds > 0:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[number] = (time.monotonic() + self.settings.cache_seconds, order)
        return order
