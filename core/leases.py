"""Leases: a named job (a mailbox poller) runs in one worker at a time, and moves on a crash.

A lease is a row (name, holder, expires_at) in SQL, so it needs no Redis and survives a
Redis restart. The holder renews it every third of its lifetime; a worker that dies stops
renewing and another one, retrying every third of the lifetime, takes it over once it has
expired: within about 1.3 lease lifetimes. A holder that cannot renew in time (database
down, loop stalled) stops its job, since someone else may have the lease by then.
Expiry uses the workers' clocks: keep the hosts in time (NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, insert_on_conflict
from core.errors import KefuError
from core.models import Lease, utcnow
from core.redis_coord import HOLDER

log = logging.getLogger(__name__)


class LeaseLost(KefuError):
    """The lease expired or was taken over while its job ran."""

    code = "lease_lost"


class Leases:
    """Take, renew and release leases for one worker (``holder``)."""

    def __init__(self, db: Database, ttl_seconds: float = 10.0, holder: str = "") -> None:
        self.db = db
        self.ttl = ttl_seconds
        self.holder = holder or f"{HOLDER}:{uuid.uuid4().hex[:8]}"

    async def acquire(self, name: str) -> bool:
        """Take (or renew) lease ``name`` if it is free, expired or already ours."""
        now = utcnow()
        expires = now + timedelta(seconds=self.ttl)
        async with self.db.transaction() as session:
            if await _insert_if_absent(session, name, self.holder, expires):
                return True
            result = await session.execute(
                update(Lease)
                .where(
                    Lease.name == name,
                    or_(Lease.holder == self.holder, Lease.expires_at <= now),
                )
                .values(holder=self.holder, expires_at=expires, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def renew(self, name: str) -> bool:
        """Extend our lease; False when it is someone else's now."""
        now = utcnow()
        async with self.db.transaction() as session:
            result = await session.execute(
                update(Lease)
                .where(Lease.name == name, Lease.holder == self.holder)
                .values(expires_at=now + timedelta(seconds=self.ttl), updated_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, name: str) -> None:
        """Give our lease up at once (a clean shutdown: the next holder need not wait)."""
        async with self.db.transaction() as session:
            await session.execute(
                delete(Lease).where(Lease.name == name, Lease.holder == self.holder)
            )

    async def holder_of(self, name: str) -> str | None:
        """Who holds lease ``name`` now (None when free or expired)."""
        async with self.db.reader() as session:
            row = await session.get(Lease, name)
        if row is None or row.expires_at <= utcnow():
            return None
        return row.holder

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        """Wait for lease ``name``, keep it renewed; LeaseLost if it is lost meanwhile."""
        while True:
            if await self._try_acquire(name):
                break
            await asyncio.sleep(self.ttl / 3)  # polling: the holder may be a dead process
        log.info("lease %s taken by %s", name, self.holder)
        task = asyncio.current_task()
        assert task is not None
        lost: list[bool] = []
        keeper = asyncio.create_task(self._keep(name, task, lost), name=f"lease:{name}")
        try:
            yield
        except asyncio.CancelledError:
            if lost and task.cancelling() == 1:  # our own cancellation only
                task.uncancel()
                raise LeaseLost(f"The lease {name} was lost.") from None
            raise
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            if not lost:
                with contextlib.suppress(Exception):  # it expires by itself
                    await self.release(name)

    async def run(self, name: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` under lease ``name``, taking the lease again whenever it is lost."""
        while True:
            try:
                async with self.hold(name):
                    await job()
                return
            except LeaseLost:
                log.warning("lease %s lost by %s; waiting to take it again", name, self.holder)

    async def _try_acquire(self, name: str) -> bool:
        try:
            return await self.acquire(name)
        except Exception as err:  # database down: try again later
            log.debug("lease %s not taken: %s", name, err)
            return False

    async def _keep(self, name: str, task: asyncio.Task[object], lost: list[bool]) -> None:
        last_ok = time.monotonic()
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                if await self.renew(name):
                    last_ok = time.monotonic()
                    continue
                log.warning("lease %s was taken over from %s", name, self.holder)
            except Exception as err:  # database down or failing: still ours for a while
                if time.monotonic() - last_ok < self.ttl * 0.9:
                    continue
                log.warning("lease %s could not be renewed in time: %s", name, err)
            lost.append(True)
            task.cancel()
            return


async def _insert_if_absent(
    session: AsyncSession, name: str, holder: str, expires: datetime
) -> bool:
    """Insert the lease row unless one exists; True when inserted (an atomic first take)."""
    result = await session.execute(
        insert_on_conflict(session, Lease)
        .values(name=name, holder=holder, expires_at=expires, updated_at=utcnow())
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def live_leases(db: Database) -> list[tuple[str, str]]:
    """(name, holder) of every unexpired lease (for the crash check and operators)."""
    async with db.reader() as session:
        rows = await session.execute(
            select(Lease.name, Lease.holder).where(Lease.expires_at > utcnow())
        )
        return [(n, h) for n, h in rows.all()]
