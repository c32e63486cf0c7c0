"""The core's own settings sections: server, storage, outbox, workers, orders, attachments.

Also the two shapes the core shares with the channels: :class:`ChannelInfo` (a channel's
metadata, from the channel registry) and :class:`InboxSettings` (one ``[[inboxes]]`` entry).
Other packages declare their sections next to their code (``kb/settings.py``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import ConfigError
from core.order_status import DEFAULT_STATUS_NAMES, parse_status_names
from core.sections import Section, mask_url, opt, register


@dataclass(frozen=True)
class ServerSettings:
    """HTTP server."""

    host: str = opt("127.0.0.1")
    port: int = opt(8080, lo=1, hi=65535)
    public_url: str = opt("", doc="URL printed and used in links; default http://host:port")
    secret_key: str = opt("", doc="signs visitor tokens and sessions; generated when empty")
    max_body_bytes: int = opt(1_048_576, lo=1024, hi=1 << 30)
    trusted_proxies: list[str] = opt(
        [], doc="reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed"
    )
    log_level: str = opt("INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    log_format: str = opt(
        "text", choices=("text", "json"), doc="json: one JSON object a line; PII masked in both"
    )
    metrics_token: str = opt("", doc="bearer token /metrics requires; empty: open")


@dataclass(frozen=True)
class StorageSettings:
    """Database, Redis and the data directory."""

    data_dir: str = opt("./data")
    database_url: str = opt("", doc="default: SQLite file kefu.db in data_dir")
    redis_url: str = opt("", doc="empty: in-process coordination")
    redis_prefix: str = opt("kefu:", doc="key prefix, to share one Redis between installations")
    max_attachment_bytes: int = opt(20 * 1024 * 1024, lo=1024, hi=1 << 31)


@dataclass(frozen=True)
class OutboxSettings:
    """Outbound delivery retries."""

    max_attempts: int = opt(8, lo=1, hi=100)
    base_delay_seconds: float = opt(1.0, lo=0.01, hi=3600.0)
    max_delay_seconds: float = opt(300.0, lo=0.1, hi=86_400.0)
    claim_seconds: float = opt(
        60.0, lo=1.0, hi=3600.0, doc="a send claimed by a worker that died is retried after this"
    )
    rate_limits: list[str] = opt(
        [],
        doc='"channel: sends/seconds" per inbox, shared by all workers (platform quotas); '
        "unset: each channel's own default quota (ChannelInfo.rate_limit)",
    )


@dataclass(frozen=True)
class WorkersSettings:
    """Worker processes: how many, and the leases that keep them out of each other's way."""

    count: int = opt(
        1, lo=1, hi=64, doc="processes `kefu serve` runs; more than 1 needs PostgreSQL and Redis"
    )
    lock_ttl_seconds: float = opt(
        15.0, lo=1.0, hi=600.0, doc="a Redis lock held by a dead worker expires after this"
    )
    lease_seconds: float = opt(
        10.0, lo=1.0, hi=600.0, doc="poller leases (IMAP, WeCom sync): takeover after this"
    )
    turn_recovery_seconds: float = opt(
        30.0, lo=1.0, hi=3600.0, doc="a bot turn lost with a dead worker is rerun after this"
    )


@dataclass(frozen=True)
class OrdersSettings:
    """The order lookup connector: the company's order system, asked by the bot."""

    url_template: str = opt(
        "", doc="e.g. https://erp.example.cn/api/orders/{order}; empty: the bot does not look up"
    )
    auth_header: str = opt("", doc='sent with every lookup, e.g. "Authorization: Bearer ..."')
    timeout_seconds: float = opt(
        3.0, lo=0.1, hi=4.0, doc="a slower answer is given up (WeChat allows 5 s a turn)"
    )
    cache_seconds: float = opt(300.0, lo=0.0, hi=86_400.0, doc="an order found is kept this long")
    order_pattern: str = opt(
        r"[A-Za-z]{0,4}\d{4,20}", doc="what an order number looks like in a message (regex)"
    )
    field_map: list[str] = opt(
        [
            "status=data.status_text",
            "carrier=data.logistics.company",
            "tracking=data.logistics.tracking_no",
            "eta=data.eta",
            "phone=data.buyer.mobile",
            "email=data.buyer.email",
            "status_code=data.status",
        ],
        doc='"field=dotted.path" in the answer: status (required), status_code, carrier, '
        "tracking, eta, warranty_until, ordered_at, summary, phone, email (phone/email: whose "
        "order it is)",
    )
    list_url_template: str = opt(
        "",
        doc="the customer's recent orders, with {phone}, {email} and {limit}, e.g. "
        "https://erp.example.cn/api/orders?phone={phone}&email={email}&limit={limit}; "
        "empty: the console shows only the orders asked about",
    )
    list_items: str = opt("data.orders", doc="dotted path of the list of orders in that answer")
    list_field_map: list[str] = opt(
        [
            "number=order_no",
            "status=status_text",
            "status_code=status",
            "carrier=logistics.company",
            "tracking=logistics.tracking_no",
            "eta=eta",
            "ordered_at=created_at",
            "summary=title",
            "phone=buyer.mobile",
            "email=buyer.email",
        ],
        doc='"field=dotted.path" in one order of the list: number and status (required), the '
        "fields of field_map",
    )
    list_limit: int = opt(10, lo=1, hi=50, doc="recent orders asked for (the first page)")
    list_cache_seconds: float = opt(
        60.0, lo=0.0, hi=3600.0, doc="a customer's recent orders are kept this long"
    )
    status_names: list[str] = opt(
        list(DEFAULT_STATUS_NAMES),
        doc='"code=中文/English": the status_code told in the customer\'s language; an '
        "unknown code: the order system's own status text",
    )
    breaker_failures: int = opt(
        5, lo=0, hi=1000, doc="failed calls in a row that stop asking the order system (0: never)"
    )
    breaker_seconds: float = opt(
        30.0, lo=1.0, hi=3600.0, doc="how long the order system is not asked after that"
    )


def _check_orders(orders: OrdersSettings) -> None:
    """A bad status_names line is named by ``kefu check-config``, not at the first order."""
    parse_status_names(orders.status_names)


@dataclass(frozen=True)
class AttachmentSettings:
    """Files customers and agents send (issue 15): size limit, links, typing."""

    upload_max_bytes: int = opt(
        10 * 1024 * 1024, lo=1024, hi=1 << 30, doc="largest file a customer or an agent may send"
    )
    link_minutes: float = opt(
        60.0, lo=1.0, hi=7 * 24 * 60, doc="how long a signed file link in the widget works"
    )


_RATE = re.compile(r"^\s*([a-z0-9_]+)\s*:\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def parse_rate_limits(lines: list[str]) -> dict[str, tuple[int, float]]:
    """Parse ``[outbox] rate_limits`` lines ``channel: sends/seconds``."""
    out: dict[str, tuple[int, float]] = {}
    for i, line in enumerate(lines, 1):
        m = _RATE.match(line)
        if not m or int(m.group(2)) < 1 or float(m.group(3)) <= 0:
            raise ConfigError(
                f"Config key [outbox] rate_limits line {i} must be 'channel: sends/seconds' "
                f"(e.g. 'wechat: 600/60'), got {line!r}."
            )
        out[m.group(1)] = (int(m.group(2)), float(m.group(3)))
    return out


def _check_storage(s: StorageSettings) -> None:
    """The database and Redis URLs name a driver kefu speaks."""
    url = s.database_url
    if url and not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "Config key [storage] database_url must start with sqlite+aiosqlite:// or "
            "postgresql+asyncpg://."
        )
    redis = s.redis_url
    if redis and not redis.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("Config key [storage] redis_url must start with redis:// or rediss://.")


def _check_outbox(s: OutboxSettings) -> None:
    """Every ``rate_limits`` line parses."""
    parse_rate_limits(s.rate_limits)


@dataclass(frozen=True)
class ChannelInfo:
    """One channel's metadata and per-channel defaults, declared once in the channel's folder.

    The channel registry collects them; the core, the console, imports and exports read them
    from ``Settings.channels`` and never list channels by hand.
    """

    name: str
    label_zh: str
    label_en: str
    inbox: bool = True  # can be configured as an [[inboxes]] entry
    rate_limit: str = ""  # default [outbox] quota "sends/seconds" of each inbox; "" = none
    aliases: tuple[str, ...] = ()  # other words imported files use for the channel
    # Headers of a customers-file column that holds the customer's id on this channel (a
    # column named after the channel also counts); empty: files carry no such id.
    id_headers: tuple[str, ...] = ()
    # The customer's id here is their phone number (SMS): a customer known only by phone is
    # reached on this channel (tickets opened for them through the API land on it).
    phone_ids: bool = False


def default_rate_limits(channels: Iterable[ChannelInfo]) -> list[str]:
    """``[outbox] rate_limits`` when the configuration does not set it: each channel's own."""
    return [f"{c.name}: {c.rate_limit}" for c in channels if c.rate_limit]


@dataclass(frozen=True)
class InboxSettings:
    """One ``[[inboxes]]`` entry: its name and channel are checked here, the rest by the channel.

    ``options`` holds the channel's own keys (token, app_id, imap_url...); the channel's adapter
    parses them into its typed settings and names any bad key.
    """

    name: str
    channel: str
    options: Mapping[str, Any]

    def describe(self) -> dict[str, Any]:
        """The inbox with secret-looking values hidden."""
        out: dict[str, Any] = {"name": self.name, "channel": self.channel}
        for key, value in self.options.items():
            secret = any(w in key for w in ("secret", "password", "token", "aes_key", "key"))
            if secret and value:
                out[key] = "(set)"
            elif isinstance(value, str) and "://" in value and "@" in value:
                out[key] = mask_url(value)
            else:
                out[key] = value
        return out


register(
    Section(
        "server",
        ServerSettings,
        secrets=("secret_key", "metrics_token"),
        short_env={
            "KEFU_SECRET_KEY": "secret_key",
            "KEFU_HOST": "host",
            "KEFU_PORT": "port",
            "KEFU_LOG_LEVEL": "log_level",
            "KEFU_LOG_FORMAT": "log_format",
        },
    ),
    Section(
        "storage",
        StorageSettings,
        short_env={
            "KEFU_DATA_DIR": "data_dir",
            "KEFU_DATABASE_URL": "database_url",
            "KEFU_REDIS_URL": "redis_url",
        },
        check=_check_storage,
    ),
    Section("outbox", OutboxSettings, check=_check_outbox),
    Section("workers", WorkersSettings),
    Section("orders", OrdersSettings, secrets=("auth_header",), check=_check_orders),
    Section("attachments", AttachmentSettings),
)
