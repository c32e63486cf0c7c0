"""SQLite's group writer: one thread, one ``sqlite3`` connection, one commit for all who wait.

Every job that arrives while the previous batch is committing goes into the next transaction
(``BEGIN IMMEDIATE``, each job in its own savepoint so that one job's failure, a resend
hitting a unique index, rolls back only that job, then one ``COMMIT``). The writer holds the
database's write lock while a batch runs, so the ORM's write transactions and batches never
interleave; readers are never blocked (WAL). ``core/store.py`` says what the jobs are.

Small hot reads (a visitor's conversation at each socket connect) run the same way on a
second thread with its own read-only connection (:meth:`GroupWriter.read`): a plain
``sqlite3`` statement there costs a fraction of an ORM session's check-out, statement and
rollback, and never waits for a commit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

from core.db import Database

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]


def sql_time(value: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it on SQLite."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def sql_json(value: Any) -> str:
    """JSON text as SQLAlchemy's JSON type stores it."""
    return json.dumps(value)


class GroupWriter:
    """One ``sqlite3`` connection in one thread; jobs waiting together commit together."""

    def __init__(self, db: Database) -> None:
        url = make_url(db.url)
        self.path = url.database or ":memory:"
        self.db = db
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-writer")
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-reader")
        self._local = threading.local()
        self._queue: list[tuple[Job, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0
        self.jobs = 0

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=30000",
            ):
                conn.execute(pragma)
            self._local.conn = conn
        return conn

    def _read_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "read_conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in ("PRAGMA query_only=ON", "PRAGMA busy_timeout=30000"):
                conn.execute(pragma)
            self._local.read_conn = conn
        return conn

    async def read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run the read-only ``job`` on the reader thread (autocommit: it sees every commit
        made before it started, as an ORM reader would)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, lambda: job(self._read_conn()))

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` in the next group transaction; its result, or its exception."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((job, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="kefu-group-commit")
        return await future

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue, []
            lock = self.db.write_lock
            try:
                if lock is not None:
                    await lock.acquire()
                try:
                    results = await loop.run_in_executor(self._executor, self._commit, batch)
                finally:
                    if lock is not None:
                        lock.release()
            except BaseException as err:  # the commit itself failed: every job failed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(
                            err if isinstance(err, Exception) else RuntimeError(str(err))
                        )
                if not isinstance(err, Exception):
                    raise
                continue
            self.batches += 1
            self.jobs += len(batch)
            for (_, future), (ok, value) in zip(batch, results, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _commit(self, batch: list[tuple[Job, asyncio.Future[Any]]]) -> list[tuple[bool, Any]]:
        """In the writer thread: BEGIN, each job in a savepoint, COMMIT."""
        conn = self._conn()
        results: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for job, _ in batch:
                conn.execute("SAVEPOINT job")
                try:
                    value = job(conn)
                except Exception as err:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    results.append((False, err))
                else:
                    conn.execute("RELEASE job")
                    results.append((True, value))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return results

    async def close(self) -> None:
        """Finish what is queued and close the connection."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_conn, "conn")
        await loop.run_in_executor(self._reader, self._close_conn, "read_conn")
        self._executor.shutdown(wait=False)
        self._reader.shutdown(wait=False)

    def _close_conn(self, name: str) -> None:
        conn = getattr(self._local, name, None)
        if conn is not None:
            conn.close()
            setattr(self._local, name, None)
