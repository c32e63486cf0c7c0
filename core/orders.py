"""The order-lookup connector: asks the company's order system over HTTP (``[orders]``: URL
templates, auth header, timeout, cache times, field mappings) about one order number, or for
one customer's recent orders (by the phone or email we know).

Shared by the bot's "where is my order" handler (``bot/orders.py``) and the console's orders
panel (``handoff/orders_routes.py``): one client, one cache, one timeout, one circuit breaker
(``core/breaker.py``) for both calls.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import aiohttp
import orjson

from core.breaker import Breaker
from core.config import OrdersSettings
from core.contacts import ContactKeys
from core.errors import ConfigError
from core.order_status import parse_status_names, status_words

log = logging.getLogger(__name__)

FIELDS = (
    "status",
    "status_code",
    "carrier",
    "tracking",
    "eta",
    "warranty_until",
    "ordered_at",
    "summary",
    "phone",
    "email",
)
LIST_KEYS = ("phone", "email")  # what identifies the customer in list_url_template
ASKS = re.compile(
    r"订单|物流|快递|发货|到哪|到了吗|到没到|配送|单号|保修期|"
    r"\b(orders?|shipping|shipment|delivery|parcel|package|tracking|warranty)\b",
    re.IGNORECASE,
)
MAX_CACHED = 10_000
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Order:
    """An order as the bot tells it, mapped from the order system's answer."""

    number: str
    status: str
    status_code: str = ""
    carrier: str = ""
    tracking: str = ""
    eta: str = ""
    warranty_until: str = ""
    ordered_at: str = ""
    summary: str = ""
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
    """The order system is slow, down or answered nonsense; ``reason`` says which in English
    (the log's), ``reason_zh`` in Chinese; ``reasons`` both, for a console in either."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_zh = reason_zh

    @property
    def reasons(self) -> dict[str, str]:
        return {"en": self.reason, "zh": self.reason_zh}


def parse_map(
    lines: list[str], key: str = "field_map", fields: tuple[str, ...] = FIELDS
) -> dict[str, tuple[str, ...]]:
    """``[orders] field_map`` (or ``list_field_map``) as {field: path}; ConfigError names a
    bad line."""
    out: dict[str, tuple[str, ...]] = {}
    for line in lines:
        name, sep, path = line.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or name not in fields or not path:
            raise ConfigError(
                f"Config key [orders] {key}: {line!r} must be field=dotted.path with a "
                f"field of {', '.join(fields)}."
            )
        out[name] = tuple(path.split("."))
    if "status" not in out:
        raise ConfigError(f"Config key [orders] {key} must map status.")
    return out


def _walk(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isascii() and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _pick(data: Any, path: tuple[str, ...]) -> str:
    data = _walk(data, path)
    return str(data) if isinstance(data, str | int | float) and not isinstance(data, bool) else ""


def _order(number: str, data: Any, fields: dict[str, tuple[str, ...]]) -> Order | None:
    """The order mapped from ``data``; None without a status (text or code)."""
    values = {name: _pick(data, path) for name, path in fields.items() if name != "number"}
    if not values.get("status"):
        values["status"] = values.get("status_code", "")
    if not number or not values["status"]:
        return None
    return Order(number=number, **values)


class _Cache(Generic[K, V]):
    """Values kept for a while, at most MAX_CACHED of them (then forgotten at once)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.rows: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        row = self.rows.get(key)
        return row[1] if row is not None and row[0] > time.monotonic() else None

    def put(self, key: K, value: V) -> None:
        if self.seconds <= 0:
            return
        if len(self.rows) >= MAX_CACHED:
            self.rows.clear()
        self.rows[key] = (time.monotonic() + self.seconds, value)


class OrderLookup:
    """Asks the order system for one order, or a customer's recent orders (with small caches
    and a circuit breaker)."""

    def __init__(
        self, settings: OrdersSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if "{order}" not in settings.url_template:
            raise ConfigError("Config key [orders] url_template must contain {order}.")
        if settings.list_url_template and not any(
            f"{{{key}}}" in settings.list_url_template for key in LIST_KEYS
        ):
            raise ConfigError(
                "Config key [orders] list_url_template must contain {phone} or {email}."
            )
        try:
            self.pattern = re.compile(settings.order_pattern)
        except re.error as err:
            raise ConfigError(f"Config key [orders] order_pattern is not a regex: {err}.") from None
        self.settings = settings
        self.fields = parse_map(settings.field_map)
        self.list_fields = parse_map(settings.list_field_map, "list_field_map", (*FIELDS, "number"))
        if "number" not in self.list_fields:
            raise ConfigError("Config key [orders] list_field_map must map number.")
        self.list_path = tuple(settings.list_items.split(".")) if settings.list_items else ()
        self.status_names = parse_status_names(settings.status_names)
        self.headers: dict[str, str] = {}
        if settings.auth_header:
            name, sep, value = settings.auth_header.partition(":")
            if not sep or not name.strip():
                raise ConfigError('Config key [orders] auth_header must be "Name: value".')
            self.headers[name.strip()] = value.strip()
        self.breaker = Breaker(settings.breaker_failures, settings.breaker_seconds, clock)
        self._cache: _Cache[str, Order] = _Cache(settings.cache_seconds)
        self._lists: _Cache[tuple[str, str], list[Order]] = _Cache(settings.list_cache_seconds)

    def number_in(self, text: str) -> str | None:
        """The first order number in ``text``, if any."""
        found = self.pattern.search(text)
        return found.group(0) if found else None

    def status(self, order: Order) -> dict[str, str]:
        """The order's status in zh and en (``status_names``; else the order system's text)."""
        return status_words(self.status_names, order.status_code, order.status)

    async def find(self, number: str) -> Order:
        """The order; OrderNotFound or OrderUnavailable (after at most timeout_seconds)."""
        cached = self._cache.get(number)
        if cached is not None:
            return cached
        url = self.settings.url_template.replace("{order}", quote(number, safe=""))
        order = await self._call(url, lambda data: _order(number, data, self.fields))
        if order is None:
            raise OrderNotFound(number)
        self._cache.put(number, order)
        return order

    def lists(self, keys: ContactKeys) -> bool:
        """Whether the order system can be asked for this customer's orders."""
        template = self.settings.list_url_template
        return any(f"{{{key}}}" in template and getattr(keys, key) for key in LIST_KEYS)

    async def recent(self, keys: ContactKeys) -> list[Order]:
        """The customer's recent orders, as the order system lists them (newest first), at
        most ``list_limit``; OrderUnavailable (after at most timeout_seconds). Only call when
        ``lists(keys)``. An order whose mapped phone/email is another customer's is left out."""
        key = (keys.phone or "", keys.email or "")
        cached = self._lists.get(key)
        if cached is not None:
            return cached
        url = self.settings.list_url_template.replace("{limit}", str(self.settings.list_limit))
        for name, value in zip(LIST_KEYS, key, strict=True):
            url = url.replace(f"{{{name}}}", quote(value.strip(), safe=""))
        found = await self._call(url, self._listed)
        orders = [o for o in found or [] if o.belongs_to(keys) or not (o.phone or o.email)]
        orders = orders[: self.settings.list_limit]
        self._lists.put(key, orders)
        return orders

    def _listed(self, data: Any) -> list[Order]:
        items = _walk(data, self.list_path) if self.list_path else data
        if not isinstance(items, list):
            where = self.settings.list_items
            raise OrderUnavailable(
                f"the answer has no list of orders at {where or 'its top'}",
                f"回复中{f' {where} 处' if where else '顶层'}没有订单列表",
            )
        out = []
        for item in items:
            order = _order(_pick(item, self.list_fields["number"]), item, self.list_fields)
            if order is not None:
                out.append(order)
        return out

    async def _call(self, url: str, read: Callable[[Any], T]) -> T | None:
        """GET ``url`` and ``read`` its JSON; None for a 404; OrderUnavailable (a failure the
        breaker counts) for anything but a 200 with JSON that ``read`` takes."""
        refused = self.breaker.refusal()
        if refused is not None:
            raise OrderUnavailable(*refused)
        try:
            status, raw = await self._get(url)
            out = None
            if status != 404:
                if status != 200:
                    raise OrderUnavailable(f"HTTP {status}", f"HTTP {status} 错误")
                try:
                    data = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    raise OrderUnavailable("the answer is not JSON", "回复不是 JSON") from None
                out = read(data)
                if out is None:
                    raise OrderUnavailable(
                        "the answer has no status at the mapped path", "回复中映射的路径上没有状态"
                    )
        except OrderUnavailable:
            self.breaker.failed()
            raise
        except BaseException:
            self.breaker.dropped()
            raise
        self.breaker.passed()
        return out

    async def _get(self, url: str) -> tuple[int, bytes]:
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                async with aiohttp.ClientSession(timeout=timeout) as http:
                    async with http.get(url, headers=self.headers) as resp:
                        return resp.status, await resp.read()
        except TimeoutError:
            seconds = self.settings.timeout_seconds
            raise OrderUnavailable(
                f"no answer within {seconds} s", f"{seconds} 秒内没有回复"
            ) from None
        except aiohttp.ClientError as err:
            name = type(err).__name__
            raise OrderUnavailable(f"cannot connect ({name})", f"无法连接（{name}）") from None
