"""SLA clocks: targets per priority and tier, counted on business hours or the calendar.

Business hours follow ``[sla]``: a workday runs ``workday_start``-``workday_end`` in the
configured time zone; which days are workdays comes from the ``chinesecalendar`` package
(public holidays off, 调休 make-up weekend days on), or plain Monday-Friday, or every day.
The clock pauses while a ticket is pending on the customer: when it resumes, the due times
move later by the business time spent pending.
"""

from __future__ import annotations

import time as monotime
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Ticket
from intake.settings import SlaSettings
from intake.tables import SlaBreach, SlaPolicy

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Policy:
    """First-response and resolution targets in minutes, and which clock counts them."""

    first_response_minutes: int
    resolution_minutes: int
    clock: str  # business | calendar


POLICY_KEYS = ("normal", "high", "urgent", "vip")
CLOCKS = ("business", "calendar")
# How long a worker trusts its copy of the admins' policies before reading them again.
REFRESH_SECONDS = 15.0


def policy_key(priority: str, tier: str) -> str:
    """Which policy times a ticket: VIP contacts the VIP one, others their priority's."""
    return "vip" if tier == "vip" else priority if priority in ("high", "urgent") else "normal"


def configured_policy(settings: SlaSettings, key: str) -> Policy:
    """The policy ``key`` as ``[sla]`` in kefu.toml sets it."""
    return Policy(
        getattr(settings, f"{key}_first_response_minutes"),
        getattr(settings, f"{key}_resolution_minutes"),
        getattr(settings, f"{key}_clock"),
    )


def stored_policy(row: SlaPolicy) -> Policy:
    """The policy an admin stored (a ``sla_policies`` row)."""
    return Policy(row.first_response_minutes, row.resolution_minutes, row.clock)


def check_policy(first_response: object, resolution: object, clock: object) -> Policy:
    """A valid policy from untrusted values, or ValueError naming the bad field."""
    for name, value in (
        ("first_response_minutes", first_response),
        ("resolution_minutes", resolution),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
            raise ValueError(f"{name} must be a whole number of minutes from 1 to 1000000.")
    if clock not in CLOCKS:
        raise ValueError("clock must be business or calendar.")
    assert isinstance(first_response, int) and isinstance(resolution, int)
    if resolution < first_response:
        raise ValueError("resolution_minutes must not be less than first_response_minutes.")
    return Policy(first_response, resolution, str(clock))


class BusinessClock:
    """Adds and measures business time on the configured calendar."""

    def __init__(self, settings: SlaSettings) -> None:
        self.tz = ZoneInfo(settings.timezone)
        self.calendar = settings.calendar
        h, m = settings.workday_start.split(":")
        self.start = time(int(h), int(m))
        h, m = settings.workday_end.split(":")
        self.end = time(int(h), int(m))

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day (holidays off, make-up days on)."""
        if self.calendar == "always":
            return True
        if self.calendar == "china":
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:  # a year the package does not cover yet
                return day.weekday() < 5
        return day.weekday() < 5

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_workday(day):
            return None
        return (
            datetime.combine(day, self.start, self.tz),
            datetime.combine(day, self.end, self.tz),
        )

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of business time after ``start``."""
        left = timedelta(minutes=minutes)
        cur = start.astimezone(self.tz)
        for _ in range(3660):  # ten years of days at most
            window = self._window(cur.date())
            if window is not None:
                open_, close = window
                if cur < open_:
                    cur = open_
                if cur < close:
                    if cur + left <= close:
                        return (cur + left).astimezone(UTC)
                    left -= close - cur
            cur = datetime.combine(cur.date() + timedelta(days=1), time(0), self.tz)
        raise ValueError("no business hours found within ten years")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time between ``a`` and ``b`` (zero if ``b`` is not after ``a``)."""
        if b <= a:
            return timedelta(0)
        total = timedelta(0)
        cur = a.astimezone(self.tz)
        end = b.astimezone(self.tz)
        while cur < end:
            window = self._window(cur.date())
            if window is not None:
                lo, hi = max(cur, window[0]), min(end, window[1])
                if hi > lo:
                    total += hi - lo
            cur = datetime.combine(cur.date() + timedelta(days=1), time(0), self.tz)
        return total


class SlaClock:
    """Due times for tickets under the policies in effect: kefu.toml's, unless an admin set one.

    The admins' policies live in SQL (``sla_policies``); each worker keeps a copy that
    :meth:`refresh` renews at most every ``REFRESH_SECONDS``, so an edit made on one worker
    reaches the others within seconds. Tickets already open keep the due times they got.
    """

    def __init__(self, settings: SlaSettings) -> None:
        self.settings = settings
        self.business = BusinessClock(settings)
        self.overrides: dict[str, Policy] = {}
        self._loaded_at = float("-inf")

    async def refresh(self, session: AsyncSession, *, force: bool = False) -> None:
        """Read the admins' policies again when the copy is older than REFRESH_SECONDS."""
        if not force and monotime.monotonic() - self._loaded_at < REFRESH_SECONDS:
            return
        rows = (await session.execute(select(SlaPolicy))).scalars().all()
        self.overrides = {r.key: stored_policy(r) for r in rows}
        self._loaded_at = monotime.monotonic()

    def by_key(self, key: str) -> Policy:
        """The policy ``key`` in effect: the admins' when set, else kefu.toml's."""
        return self.overrides.get(key) or configured_policy(self.settings, key)

    def policy(self, priority: str, tier: str) -> Policy:
        """The policy in effect for a ticket of this priority and tier."""
        return self.by_key(policy_key(priority, tier))

    def due(self, policy: Policy, start: datetime, minutes: float) -> datetime:
        """``start`` plus ``minutes`` on the policy's clock."""
        if policy.clock == "calendar":
            return start + timedelta(minutes=minutes)
        return self.business.add(start, minutes)

    def due_times(self, priority: str, tier: str, start: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due) for a ticket opened at ``start``."""
        p = self.policy(priority, tier)
        return (
            self.due(p, start, p.first_response_minutes),
            self.due(p, start, p.resolution_minutes),
        )

    def paused(self, priority: str, tier: str, since: datetime, until: datetime) -> timedelta:
        """How far a pause from ``since`` to ``until`` moves the due times."""
        p = self.policy(priority, tier)
        if p.clock == "calendar":
            return max(until - since, timedelta(0))
        return self.business.between(since, until)

    def shift(self, priority: str, tier: str, due: datetime, by: timedelta) -> datetime:
        """``due`` moved later by ``by`` of the policy's clock."""
        p = self.policy(priority, tier)
        return self.due(p, due, by.total_seconds() / 60)


def not_breached(kind: str) -> ColumnElement[bool]:
    """A condition on :class:`~core.models.Ticket`: its ``kind`` target has no breach yet."""
    return ~exists().where(SlaBreach.ticket_id == Ticket.id, SlaBreach.kind == kind)


async def record_breach(session: AsyncSession, ticket: Ticket, kind: str, due: datetime) -> bool:
    """Record that ``ticket`` missed its ``kind`` target (due at ``due``) under its current
    assignee; False, and nothing written, when that breach is already recorded."""
    found = await session.execute(
        select(SlaBreach.id).where(SlaBreach.ticket_id == ticket.id, SlaBreach.kind == kind)
    )
    if found.scalar_one_or_none() is not None:
        return False
    session.add(
        SlaBreach(ticket_id=ticket.id, kind=kind, due_at=due, assignee_id=ticket.assignee_id)
    )
    return True
