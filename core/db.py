"""Database access: one async engine, transactions, counters and migrations.

SQLite (WAL) is the embedded default and allows one writer at a time: write transactions
are serialized in-process by a lock, so concurrent turns queue briefly instead of failing
with "database is locked". PostgreSQL needs no such lock and is what several worker
processes share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event, make_url, select, text, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.errors import ServiceUnavailable
from core.models import Counter

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
CONNECT_TIMEOUT = 5.0  # seconds to reach PostgreSQL before a request fails with 503
DB_ERRORS = (SQLAlchemyError, OSError)


class Database:
    """The engine, a session factory and the write discipline for one database URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30, "async_creator_fn": _connect_aiosqlite}
            # Connections kept open, up to the cap the default pool had (5 + 10 overflow):
            # under load an overflow connection was opened and closed around every read
            # (a thread, a file open and the pragmas each time).
            if not _in_memory(url):  # an in-memory database has one static connection
                kwargs.update(pool_size=15, max_overflow=0)
        else:
            # Fail fast when the server is down or unreachable (a 503, not a hung request);
            # pre-ping replaces connections a restarted server closed.
            kwargs.update(
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                pool_timeout=5,
                connect_args={"timeout": CONNECT_TIMEOUT},
            )
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @property
    def write_lock(self) -> asyncio.Lock | None:
        """SQLite's one-writer lock (None on PostgreSQL), also held by the group writer."""
        return self._write_lock

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction, committed on success, rolled back on error."""
        lock = self._write_lock
        if lock is not None:
            await lock.acquire()
        try:
            async with self.sessions() as session:
                try:
                    async with session.begin():
                        yield session
                except DB_ERRORS as err:
                    if is_connectivity(err):
                        raise ServiceUnavailable("The database is not available.") from err
                    raise
        finally:
            if lock is not None:
                lock.release()

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only (no write lock, nothing committed)."""
        try:
            async with self.sessions() as session:
                yield session
        except DB_ERRORS as err:
            if is_connectivity(err):
                raise ServiceUnavailable("The database is not available.") from err
            raise

    async def ping(self) -> bool:
        """True when the database answers a trivial query (within the connect timeout)."""
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT + 1):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # readiness must never raise
            return False

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _in_memory(url: str) -> bool:
    """Whether a SQLite URL names an in-memory database."""
    parsed = make_url(url)
    return parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"


class _AiosqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection, except that stopping it twice does not hang.

    When a task is cancelled in the middle of a statement, SQLAlchemy invalidates the
    connection: it starts a graceful ``close()`` under a shield and, cancelled, stops the
    connection's thread at once (``stop()``). The graceful close, cancelled in turn, calls
    ``stop()`` again in its ``finally`` and waits for an answer from the thread that has
    already exited: that task never ends, and the shutdown that cancels every task waits for
    it forever (the rare hang in full test runs that the test runner used to retry).
    """

    def stop(self) -> asyncio.Future[Any] | None:
        if not self._running:
            return None  # stopped already: nothing will answer a second request
        return super().stop()


def _connect_aiosqlite(database: str, **kwargs: Any) -> aiosqlite.Connection:
    """What ``aiosqlite.connect`` does, with :class:`_AiosqliteConnection` (for SQLAlchemy's
    ``async_creator_fn``); its thread is a daemon, as SQLAlchemy makes aiosqlite's own."""
    connection = _AiosqliteConnection(lambda: sqlite3.connect(database, **kwargs), 64)
    connection._thread.daemon = True
    return connection


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_CONNECTIVITY_HINTS = (
    "connection refused",
    "could not connect",
    "connection was closed",
    "unable to open database",
    "connection is closed",
    "cannot connect",
    "connect call failed",
    "the database system is",  # starting up / shutting down / in recovery mode
    "terminating connection",  # the server was stopped or restarted
    "connection reset",
    "timeout",
)


def is_connectivity(err: BaseException) -> bool:
    """Whether a database error means 'cannot reach the database' rather than a bad query."""
    if isinstance(err, OSError | PoolTimeout):
        return True
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    if not isinstance(err, DBAPIError):
        return False
    msg = str(err).lower()
    return any(s in msg for s in _CONNECTIVITY_HINTS)


def insert_on_conflict(session: AsyncSession, table: Any) -> Any:
    """An INSERT on ``table`` for the session's database that takes ``ON CONFLICT`` clauses."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


async def next_counter(session: AsyncSession, name: str, start: int = 1) -> int:
    """Atomically increment and return a named counter (first value: ``start``)."""
    result = await session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = result.scalar_one_or_none()
    if value is not None:
        return int(value)
    await session.execute(
        insert_on_conflict(session, Counter)
        .values(name=name, value=start - 1)
        .on_conflict_do_nothing()
    )
    return await next_counter(session, name, start)


async def read_counter(session: AsyncSession, name: str) -> int:
    """A named counter's value, 0 when it was never incremented."""
    value = (await session.execute(select(Counter.value).where(Counter.name == name))).scalar()
    return int(value or 0)


def alembic_config(url: str) -> Any:
    """An Alembic Config pointing at kefu's migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_sync(url: str, revision: str = "heads") -> None:
    """Apply pending migrations (blocking; call from a thread or before the loop starts)."""
    from alembic import command

    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "heads") -> None:
    """Apply pending migrations without blocking the event loop."""
    await asyncio.to_thread(upgrade_sync, url, revision)
