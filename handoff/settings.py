"""The handoff package's settings: ``[agents]`` (console sessions, lockout), ``[assignment]``,
``[desk]`` (labels, the pre-chat form) and ``[alerts]`` (supervisors told by email and WeCom
group robots)."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ConfigError
from core.sections import Section, opt, register


@dataclass(frozen=True)
class AgentSettings:
    """Agent console sessions."""

    session_ttl_hours: float = opt(12.0, lo=0.1, hi=24 * 30)
    secure_cookies: bool = opt(False, doc="set Secure on cookies (behind HTTPS)")
    login_max_failures: int = opt(
        5, lo=1, hi=1000, doc="failed logins to one account within the window before it locks"
    )
    login_max_failures_per_ip: int = opt(
        20, lo=1, hi=100_000, doc="failed logins from one address within the window before it locks"
    )
    login_window_minutes: float = opt(15.0, lo=0.1, hi=24 * 60, doc="window that counts failures")
    lockout_minutes: float = opt(15.0, lo=0.1, hi=7 * 24 * 60, doc="how long a lockout lasts")


@dataclass(frozen=True)
class AssignmentSettings:
    """Automatic assignment of queued conversations to online agents."""

    auto_assign: bool = opt(True)
    default_max_concurrent: int = opt(5, lo=1, hi=1000, doc="for agents created without one")
    average_handle_minutes: float = opt(8.0, lo=0.1, hi=1440.0, doc="for the expected wait")
    presence_grace_seconds: float = opt(
        120.0, lo=0.0, hi=86400.0, doc="an agent with no console this long shows as away"
    )


@dataclass(frozen=True)
class DeskSettings:
    """Labels, the widget's pre-chat form and the contact it asks for when nobody is online."""

    labels_free_form: bool = opt(
        True, doc="agents may add labels not defined by an admin (false: only the admin's list)"
    )
    prechat_fields: list[str] = opt(
        [],
        doc='web chat pre-chat form fields, any of "name", "phone", "email"; [] = no form '
        "(the default of an inbox an admin has not set)",
    )
    prechat_required: list[str] = opt([], doc="which of prechat_fields must be filled")
    offline_contact: bool = opt(
        True, doc="when no agent is online the widget asks for an email or phone to answer later"
    )


@dataclass(frozen=True)
class AlertSettings:
    """Supervisors told outside the console: email and WeCom group robots (intake/alerts.py)."""

    urgent: bool = opt(True, doc="alert on an urgent complaint or safety hazard")
    sla_warning: bool = opt(True, doc="alert when an SLA target is about to be missed")
    sla_breach: bool = opt(True, doc="alert when an SLA target was missed")
    email_inbox: str = opt(
        "", doc="the email inbox whose smtp_url sends alerts; empty: no alert emails"
    )
    email_supervisors: bool = opt(
        True, doc="email the supervisors of the ticket's team (every supervisor when it has none)"
    )
    emails: list[str] = opt([], doc='more addresses, "team: a@x.cn" (team "*" = every team)')
    webhooks: list[str] = opt([], doc='WeCom group robot keys, "team: key" (team "*" = every team)')
    webhook_base: str = opt(
        "https://qyapi.weixin.qq.com", doc="the WeCom API base (a proxy or a test server)"
    )
    timeout_seconds: float = opt(10.0, lo=0.1, hi=120.0)
    max_attempts: int = opt(8, lo=1, hi=100)
    base_delay_seconds: float = opt(10.0, lo=0.01, hi=3600.0)
    poll_seconds: float = opt(5.0, lo=0.05, hi=3600.0)

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


def parse_team_map(lines: list[str], key: str) -> dict[str, tuple[str, ...]]:
    """ "team: value" lines (``[alerts] emails`` / ``webhooks``) as team -> values."""
    out: dict[str, tuple[str, ...]] = {}
    for line in lines:
        team, sep, value = line.partition(":")
        if not sep or not team.strip() or not value.strip():
            raise ConfigError(f'Config key {key} entries are "team: value", got {line!r}.')
        out[team.strip()] = (*out.get(team.strip(), ()), value.strip())
    return out


def _check_desk(s: DeskSettings) -> None:
    """The pre-chat form asks only for what the widget knows how to ask."""
    for key in ("prechat_fields", "prechat_required"):
        if bad := [f for f in getattr(s, key) if f not in ("name", "phone", "email")]:
            raise ConfigError(f"Config key [desk] {key} has {bad[0]!r}; use name, phone, email.")


register(
    Section("agents", AgentSettings),
    Section("assignment", AssignmentSettings),
    Section("desk", DeskSettings, check=_check_desk),
    Section("alerts", AlertSettings, secrets=("webhooks",)),
)
