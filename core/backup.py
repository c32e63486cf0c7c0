"""Backups: the database, the attachments and the secret key in one verified tar.gz.

SQLite is copied with SQLite's online backup API, so a backup taken while kefu serves is
consistent; PostgreSQL is dumped with ``pg_dump`` (custom format) and restored with
``pg_restore``. The attachments are content-addressed and never change once written, so
copying them after the database snapshot includes every file the snapshot refers to. The
KB index (``data_dir/kb``) is derived from the database and rebuilt at start: not included.

``manifest.json`` lists every member with its size and SHA-256; restore checks them all
before it touches anything, refuses a non-empty target without ``force``, and moves files
into place only after everything is staged and verified (core/restore.py; the archive's
format: core/backup_archive.py).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.backup_archive import (
    FORMAT,
    MANIFEST,
    PG_MEMBER,
    SECRET,
    SQLITE_MEMBER,
    VERSION,
    Outcome,
    attachment_files,
    fail,
    run_pg,
    sha256,
    sqlite_path,
)
from core.config import Settings
from core.restore import restore

log = logging.getLogger(__name__)


def backup(settings: Settings, output: Path | None = None) -> Outcome:
    """Write a backup archive (default ``./kefu-backup-<UTC time>.tar.gz``); never half a file."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    output = Path(output or f"kefu-backup-{stamp}.tar.gz")
    if output.exists() and not output.is_file():
        raise fail(f"Backup output {output} is not a file.")
    data = settings.data_path
    with tempfile.TemporaryDirectory(prefix="kefu-backup-") as tmp:
        members: list[tuple[str, Path]] = []
        db_file = sqlite_path(settings.database_url)
        if db_file is not None:
            if not db_file.is_file():
                raise fail(f"There is no database at {db_file} to back up.")
            copy = Path(tmp) / "kefu.db"
            with closing(sqlite3.connect(db_file)) as src, closing(sqlite3.connect(copy)) as dst:
                src.backup(dst)  # SQLite's online backup: consistent while kefu writes
            revision = _sqlite_revision(copy)
            members.append((SQLITE_MEMBER, copy))
            database = "sqlite"
        else:
            dump = Path(tmp) / "kefu.pgdump"
            revision = asyncio.run(_pg_revision(settings.database_url))
            run_pg("pg_dump", settings, dump)
            members.append((PG_MEMBER, dump))
            database = "postgresql"
        if (data / SECRET).is_file():
            members.append((SECRET, data / SECRET))
        root = data / "attachments"
        members += [
            (f"attachments/{p.relative_to(root).as_posix()}", p) for p in attachment_files(root)
        ]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": database,
            "schema_revision": revision,
            "excluded": ["kb/ (derived search index, rebuilt from the database at start)"],
            "files": [
                {"path": n, "size": p.stat().st_size, "sha256": sha256(p)} for n, p in members
            ],
        }
        partial = output.with_name(f".{output.name}.partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the secret
        try:
            with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
                body = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = (
                    len(body),
                    int(datetime.now(UTC).timestamp()),
                    0o600,
                )
                tar.addfile(info, io.BytesIO(body))
                for name, path in members:
                    tar.add(path, arcname=name, recursive=False)
            os.replace(partial, output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    _register(data, output)
    log.info("backup of %s written to %s (%d files)", database, output, len(members))
    return Outcome(output, database, len(members), output.stat().st_size)


REGISTER = "backups.jsonl"


def _register(data: Path, output: Path) -> None:
    """Note the backup in the data dir: an erasure names the backups that still hold data."""
    line = json.dumps({"path": str(output.resolve()), "created_at": datetime.now(UTC).isoformat()})
    data.mkdir(parents=True, exist_ok=True)
    with (data / REGISTER).open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def known_backups(settings: Settings) -> list[Path]:
    """Backups this kefu wrote that still exist, oldest first."""
    path = settings.data_path / REGISTER
    if not path.is_file():
        return []
    found: list[Path] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = Path(json.loads(line)["path"])
        except (ValueError, KeyError, TypeError):
            continue
        if item.is_file() and item not in found:
            found.append(item)
    return found


def _sqlite_revision(db_file: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


async def _pg_revision(url: str) -> str | None:
    from sqlalchemy import text

    from core.db import Database

    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            found = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            return None if found is None else str(found)
    except Exception:  # not migrated yet: nothing to check at restore
        return None
    finally:
        await db.dispose()


def add_arguments(admin_sub: Any) -> None:
    """``kefu admin backup`` and ``kefu admin restore`` on the admin subparsers."""
    b = admin_sub.add_parser(
        "backup", help="write the database, attachments and secret key to one tar.gz"
    )
    b.add_argument("--output", type=Path, help="default: ./kefu-backup-<UTC time>.tar.gz")
    r = admin_sub.add_parser("restore", help="restore a backup (stop kefu first)")
    r.add_argument("file", type=Path)
    r.add_argument("--force", action="store_true", help="overwrite a target that holds data")


def run(args: Any, settings: Settings) -> int:
    """Run ``kefu admin backup|restore``; errors surface as KefuError (exit code 2)."""
    if args.admin_command == "backup":
        out = backup(settings, args.output)
        print(f"backup written to {out.path} ({out.database}, {out.files} files, {out.size} bytes)")
        print("it contains the secret key: keep it as safe as the server itself")
        return 0
    out = restore(settings, args.file, force=args.force)
    print(f"restored {out.database} and {out.files} files from {out.path}")
    return 0
