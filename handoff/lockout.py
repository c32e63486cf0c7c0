"""Brute-force protection for console logins: failures counted per account and per address.

Failures are counted in SQL (``login_throttle``) so every worker sees the same numbers and a
restart does not reset them. ``[agents] login_max_failures`` failures to one account, or
``login_max_failures_per_ip`` from one address, within ``login_window_minutes`` lock that
account or address for ``lockout_minutes``; meanwhile even the right password is refused
with a message that says so (zh + en). Unknown emails are counted like real ones, so the
answers never tell whether an account exists.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.db import Database
from core.errors import TooManyRequests
from core.models import utcnow
from handoff.settings import AgentSettings
from handoff.tables import LoginThrottle

LOCKED = (
    "登录失败次数过多，已暂时锁定，请 {m} 分钟后再试。"
    "Too many failed logins: locked, try again in {m} minutes."
)


def account_key(email: str) -> str:
    """The throttle key of an account (by the normalized email typed in)."""
    return "account:" + email.strip().lower()[:320]


def ip_key(address: str) -> str:
    """The throttle key of a client address."""
    return "ip:" + address[:64]


class Lockout:
    """Counts failed logins and refuses logins while an account or an address is locked."""

    def __init__(self, db: Database, cfg: AgentSettings) -> None:
        self.db = db
        self.cfg = cfg
        self.window = timedelta(minutes=cfg.login_window_minutes)
        self.duration = timedelta(minutes=cfg.lockout_minutes)

    def _limit(self, key: str) -> int:
        if key.startswith("ip:"):
            return self.cfg.login_max_failures_per_ip
        return self.cfg.login_max_failures

    async def check(self, *keys: str) -> None:
        """TooManyRequests (code ``locked``) when any of ``keys`` is locked now."""
        now = utcnow()
        async with self.db.reader() as session:
            rows = (
                await session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
            ).scalars()
            until = max((r.locked_until for r in rows if r.locked_until), default=None)
        if until is not None and until > now:
            raise _locked(until - now)

    async def failed(self, *keys: str) -> None:
        """Count one failure on each key; lock those that reach their limit."""
        for attempt in range(3):
            try:
                await self._count(keys, utcnow())
                return
            except IntegrityError:  # two first failures raced to insert the row: count again
                if attempt == 2:
                    raise

    async def _count(self, keys: tuple[str, ...], now: datetime) -> None:
        async with self.db.transaction() as session:
            for key in keys:
                row = await session.get(LoginThrottle, key, with_for_update=True)
                if row is None:
                    row = LoginThrottle(key=key, failures=0, window_start=now)
                    session.add(row)
                if row.window_start <= now - self.window or (
                    row.locked_until is not None and row.locked_until <= now
                ):
                    row.failures, row.window_start, row.locked_until = 0, now, None
                row.failures += 1
                if row.failures >= self._limit(key):
                    row.locked_until = now + self.duration
                await session.flush()

    async def succeeded(self, key: str) -> None:
        """A good login clears the account's failures (never the address's)."""
        async with self.db.transaction() as session:
            await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _locked(left: timedelta) -> TooManyRequests:
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    return TooManyRequests(LOCKED.format(m=minutes), code="locked")
