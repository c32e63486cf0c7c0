"""After an erasure: make the database files forget the old bytes, not only the rows.

A row updated or deleted is not gone from the disk. SQLite leaves the old content in free
space inside pages, in free pages, and in the write-ahead log until a checkpoint overwrites
it; PostgreSQL keeps the old tuple versions (dead tuples) in the table and index files until
a vacuum, and a plain vacuum only marks their space free. So:

- SQLite: ``VACUUM`` rebuilds the file from live rows only (under kefu's write lock, so the
  group writer waits), then ``wal_checkpoint(TRUNCATE)`` copies it back and empties the WAL.
- PostgreSQL: ``VACUUM (FULL, ANALYZE)`` of the tables an erasure touches writes each into
  new files and drops the old ones (the statistics are sampled again from live rows), then a
  ``CHECKPOINT``. ``VACUUM FULL`` locks each table while it is copied: on a large ``messages``
  table that pauses the message path for that long (see docs/security.md).

What no application can scrub: PostgreSQL's WAL segments (recycled, then overwritten, by the
server), WAL archives, replicas, file-system snapshots and backups. The erasure result says so.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from core.db import Database

log = logging.getLogger(__name__)

# Every table an erasure may rewrite (privacy/erase.py) plus the trail it writes.
TOUCHED = (
    "contacts",
    "contact_identities",
    "conversations",
    "messages",
    "tickets",
    "ticket_events",
    "feedback",
    "outbox",
    "kb_entries",
    "kb_entry_versions",
    "import_items",
    "channel_state",
    "message_search",
    "api_idempotency",
    "webhook_deliveries",
)
CHECKPOINT_WAIT_SECONDS = 30.0


def _sqlite_file(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def _vacuum_sqlite(path: Path) -> dict[str, Any]:
    """VACUUM and truncate the WAL; blocking (run in a thread under the write lock)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("VACUUM")
        # Readers that still look at an older snapshot keep the WAL alive: retry until they go.
        deadline = time.monotonic() + CHECKPOINT_WAIT_SECONDS
        while True:
            busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        conn.close()
    wal = Path(f"{path}-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    return {"engine": "sqlite", "vacuum": True, "wal_truncated": not busy, "wal_bytes": wal_size}


async def _vacuum_postgres(db: Database) -> dict[str, Any]:
    done: list[str] = []
    checkpoint = False
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in TOUCHED:
            await conn.execute(text(f"VACUUM (FULL, ANALYZE) {table}"))
            done.append(table)
        try:
            # pg_statistic holds sampled column values; its old versions go the same way.
            await conn.execute(text("VACUUM FULL pg_catalog.pg_statistic"))
        except Exception as err:  # not the owner: the statistics were refreshed all the same
            log.warning("privacy: could not vacuum pg_statistic (%s)", type(err).__name__)
        try:
            # A new WAL segment, then a checkpoint: the segments holding the old rows are no
            # longer needed; with wal_recycle = off the server deletes them instead of reusing.
            await conn.execute(text("SELECT pg_switch_wal()"))
            await conn.execute(text("CHECKPOINT"))
            checkpoint = True
        except Exception as err:  # needs superuser (or pg_checkpoint and EXECUTE grants)
            log.warning("privacy: no WAL switch and checkpoint (%s)", type(err).__name__)
        settings: dict[str, str] = dict(
            (
                await conn.execute(
                    text(
                        "SELECT name, setting FROM pg_settings WHERE name IN "
                        "('wal_recycle', 'archive_mode', 'wal_keep_size')"
                    )
                )
            ).all()
        )
    wal_clean = checkpoint and settings.get("wal_recycle") == "off"
    wal_clean = wal_clean and settings.get("archive_mode") == "off"
    wal_clean = wal_clean and settings.get("wal_keep_size") == "0"
    result: dict[str, Any] = {
        "engine": "postgresql",
        "vacuum_full": done,
        "checkpoint": checkpoint,
        "wal_segments_removed": wal_clean,
    }
    if not wal_clean:
        result["not_scrubbed"] = (
            "PostgreSQL keeps old WAL segments for reuse (wal_recycle = on), archives or "
            "keeps them (archive_mode, wal_keep_size): they hold the old rows until "
            "overwritten. See docs/security.md."
        )
    return result


async def scrub(db: Database) -> dict[str, Any]:
    """Rewrite the database files so erased bytes are gone from them; what was done."""
    if db.is_sqlite:
        lock = db.write_lock
        assert lock is not None
        async with lock:
            return await asyncio.to_thread(_vacuum_sqlite, _sqlite_file(db.url))
    return await _vacuum_postgres(db)
