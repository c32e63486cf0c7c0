"""The intake package's settings: ``[sla]``, ``[triage]``, ``[tickets]``, ``[notices]``,
``[ticket_page]`` and ``[workorders]``.

``[triage]`` is parsed when it is made: ``settings.triage.plan`` holds its categories, routes
and rules ready to apply (:mod:`intake.triage_rules`), and a bad line is a ConfigError at load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.errors import ConfigError
from core.sections import Section, opt, register
from intake.triage_rules import TriagePlan, parse_plan
from intake.urgency_model import load as load_model

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class SlaSettings:
    """SLA targets per priority (and for VIP contacts), business hours and the calendar."""

    timezone: str = opt("Asia/Shanghai", doc="business hours and reports are in this zone")
    calendar: str = opt(
        "china",
        choices=("china", "weekdays", "always"),
        doc="china: workdays per the chinesecalendar package (holidays and 调休 make-up days)",
    )
    workday_start: str = opt("09:00", doc="HH:MM")
    workday_end: str = opt("18:00", doc="HH:MM, after workday_start")
    normal_first_response_minutes: int = opt(240, lo=1, hi=100_000)
    normal_resolution_minutes: int = opt(2700, lo=1, hi=1_000_000, doc="5 workdays of 9 h")
    normal_clock: str = opt("business", choices=("business", "calendar"))
    high_first_response_minutes: int = opt(60, lo=1, hi=100_000)
    high_resolution_minutes: int = opt(1440, lo=1, hi=1_000_000)
    high_clock: str = opt("business", choices=("business", "calendar"))
    urgent_first_response_minutes: int = opt(30, lo=1, hi=100_000)
    urgent_resolution_minutes: int = opt(2880, lo=1, hi=1_000_000, doc="48 h")
    urgent_clock: str = opt("calendar", choices=("business", "calendar"))
    vip_first_response_minutes: int = opt(15, lo=1, hi=100_000, doc="tier vip, any priority")
    vip_resolution_minutes: int = opt(240, lo=1, hi=1_000_000)
    vip_clock: str = opt("calendar", choices=("business", "calendar"))
    warn_before_minutes: int = opt(10, lo=0, hi=100_000, doc="warn assignee and supervisors")
    check_interval_seconds: float = opt(30.0, lo=0.05, hi=3600.0)


@dataclass(frozen=True)
class TriageSettings:
    """Ticket triage at escalation: categories by keyword, and priority rules."""

    categories: list[str] = opt(
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
    rules: list[str] = opt(
        [
            'category = "repair" and tier = "vip" -> priority = "urgent", skills = ["repair"]',
            'category = "repair" -> skills = ["repair"]',
            'category = "installation" -> skills = ["installation"]',
        ],
        doc='"field = value and ... -> priority = ..., skills = [...]"; all matches apply',
    )
    vip_is_urgent: bool = opt(True, doc="VIP contacts get priority urgent")
    # Complaints, hazards and anger reach a person on the first message (intake/urgency.py).
    escalate_at_once: list[str] = opt(
        ["hazard", "complaint", "angry"], doc="kinds that hand the first message to a person"
    )
    routes: list[str] = opt(
        ["hazard: supervisor", "complaint: supervisor", "angry: supervisor"],
        doc='"kind: skill, skill": the queue (skills) such tickets go to, in place of others',
    )
    hazard_words: list[str] = opt([], doc="added to the built-in hazard words")
    complaint_words: list[str] = opt([], doc="added to the built-in complaint words")
    anger_words: list[str] = opt([], doc="added to the built-in strong anger words")
    calm_phrases: list[str] = opt([], doc='product words that report nothing ("漏电保护")')
    builtin_words: bool = opt(True, doc="false: only the words configured here")
    # The learned second opinion (intake/urgency_model.py): a kind the words missed counts
    # when the model's probability reaches its threshold; 1 turns the model off for it.
    hazard_model_threshold: float = opt(
        0.65, lo=0.0, hi=1.0, doc="the model's probability that makes a hazard; 1 = words only"
    )
    complaint_model_threshold: float = opt(
        1.0, lo=0.0, hi=1.0, doc="the same for complaints (off: it reads 我要退货 as one)"
    )
    anger_model_threshold: float = opt(
        0.85, lo=0.0, hi=1.0, doc="the same for anger (quiet anger no word catches)"
    )
    model_file: str = opt("", doc='a model from "kefu triage train"; "" = the shipped one')
    safety_category: str = opt(
        "safety", doc="KB category whose answer is sent first when a hazard is reported"
    )

    def __post_init__(self) -> None:
        """Parse every line now: a bad one is a ConfigError at load, naming it."""
        _ = self.plan
        if self.model_file and load_model(Path(self.model_file)) is None:
            raise ConfigError(
                f"Config key [triage] model_file: {self.model_file} is not a file "
                '(make one with "kefu triage train", or leave it empty).'
            )

    @cached_property
    def plan(self) -> TriagePlan:
        """The categories, routes and rules parsed (once per settings, not per ticket)."""
        return parse_plan(self.categories, self.routes, self.rules, self.escalate_at_once)


@dataclass(frozen=True)
class TicketSettings:
    """Ticket lifecycle and the satisfaction survey (回访)."""

    reopen_window_hours: float = opt(
        72.0, lo=0.0, hi=24 * 365, doc="a new escalation within this reopens the resolved ticket"
    )
    survey: bool = opt(True, doc="ask the customer to rate 1-5 on resolve")
    low_score_reopen: bool = opt(True, doc="a low rating reopens the ticket for a supervisor")
    low_score_threshold: int = opt(2, lo=1, hi=5, doc="ratings at or below are low")


@dataclass(frozen=True)
class NoticeSettings:
    """Notices to the customer when their ticket changes (intake/customer_notices.py)."""

    waiting: bool = opt(True, doc="tell the customer when the ticket waits for them (pending)")
    priority: bool = opt(True, doc="tell the customer their ticket was made more urgent")
    reopened: bool = opt(True, doc="tell the customer their ticket was reopened")
    batch_seconds: float = opt(
        60.0, lo=0.0, hi=3600.0, doc="changes within this window go out as one notice"
    )
    quiet_hours: str = opt(
        "22:00-08:00", doc='"HH:MM-HH:MM" in [sla] timezone: non-urgent notices wait; "" = none'
    )
    check_interval_seconds: float = opt(5.0, lo=0.05, hi=3600.0)


@dataclass(frozen=True)
class TicketPageSettings:
    """The customer's signed ticket page (intake/ticket_links.py, handoff/ticket_page_routes.py)."""

    enabled: bool = opt(True, doc="send the page's link with the escalation notice and notices")
    link_days: float = opt(30.0, lo=0.01, hi=3650.0, doc="a link works this many days")


@dataclass(frozen=True)
class WorkordersSettings:
    """Products on the customer, warranty rules, ticket types and on-site visits (issue 17)."""

    warranty_rules: list[str] = opt(
        ["* unit=12", "KFR* compressor=120", "XQG* motor=120"],
        doc='"MODEL-PATTERN part=MONTHS" (shell pattern on the model, case-insensitive); '
        '"unit" is the whole unit; the last matching line of each part wins',
    )
    ticket_types: list[str] = opt(
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


def _check_sla(s: SlaSettings) -> None:
    """Business hours are HH:MM in order, and the time zone exists."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for key in ("workday_start", "workday_end"):
        if not _HHMM.match(getattr(s, key)):
            raise ConfigError(f"Config key [sla] {key} must be HH:MM, got {getattr(s, key)!r}.")
    if s.workday_end <= s.workday_start:
        raise ConfigError("Config key [sla] workday_end must be after [sla] workday_start.")
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"Config key [sla] timezone must be an IANA zone, got {s.timezone!r}."
        ) from None


def _check_notices(s: NoticeSettings) -> None:
    """Quiet hours parse."""
    parse_quiet_hours(s.quiet_hours)


register(
    Section("sla", SlaSettings, check=_check_sla),
    Section("triage", TriageSettings),  # parsed when made: TriageSettings.plan
    Section("tickets", TicketSettings),
    Section("notices", NoticeSettings, check=_check_notices),
    Section("ticket_page", TicketPageSettings),
    Section("workorders", WorkordersSettings),
)
