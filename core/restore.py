"""Restore a kefu backup: every member checked against the manifest (sizes and SHA-256) before
anything is touched, a non-empty target refused without ``force``, files moved into place only
after everything is staged and verified. kefu must be stopped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from pathlib import Path, PurePosixPath
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
    digest,
    fail,
    run_pg,
    sqlite_path,
)
from core.config import Settings

log = logging.getLogger(__name__)

DATA_TABLES = ("agents", "conversations", "messages", "tickets", "kb_entries")


def read_manifest(archive: Path) -> dict[str, Any]:
    """The archive's manifest after checking every member against it (sizes and SHA-256)."""
    if not archive.is_file():
        raise fail(f"Backup file {archive} does not exist.")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = tar.getnames()
            extracted = tar.extractfile(MANIFEST) if MANIFEST in names else None
            if extracted is None:
                raise fail(f"{archive} is not a kefu backup (no {MANIFEST}).")
            manifest = json.loads(extracted.read())
            if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
                raise fail(f"{archive} is not a kefu backup of a version this kefu reads.")
            expected = {f["path"]: f for f in manifest["files"]}
            for member in tar.getmembers():
                if member.name == MANIFEST:
                    continue
                _check_member(archive, member, expected)
                src = tar.extractfile(member)
                assert src is not None  # _check_member allows regular files only
                if digest(src) != expected.pop(member.name)["sha256"]:
                    raise fail(f"{archive}: {member.name} is corrupt (checksum mismatch).")
            if expected:
                raise fail(f"{archive} is incomplete: {sorted(expected)[0]} is missing.")
    except (tarfile.TarError, OSError, EOFError, ValueError, KeyError, TypeError) as err:
        raise fail(f"{archive} is not a readable kefu backup ({type(err).__name__}).") from None
    return dict(manifest)


def _check_member(archive: Path, member: tarfile.TarInfo, expected: dict[str, Any]) -> None:
    path = PurePosixPath(member.name)
    if not member.isfile() or path.is_absolute() or ".." in path.parts:
        raise fail(f"{archive}: member {member.name!r} is not allowed in a kefu backup.")
    if member.name not in expected or expected[member.name]["size"] != member.size:
        raise fail(f"{archive}: {member.name} does not match the manifest.")


def restore(settings: Settings, archive: Path, *, force: bool = False) -> Outcome:
    """Put a verified backup in place of this kefu's data; kefu must be stopped."""
    manifest = read_manifest(archive)
    db_file = sqlite_path(settings.database_url)
    want = "sqlite" if db_file is not None else "postgresql"
    if manifest["database"] != want:
        raise fail(
            f"{archive} holds a {manifest['database']} database but this kefu is configured "
            f"for {want}; restore it with matching [storage] database_url."
        )
    _check_revision(manifest, settings)
    data = settings.data_path
    if not force and (busy := _not_empty(settings)):
        raise fail(f"The target is not empty ({busy}); add --force to overwrite it.")
    data.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data) as tmp:
        staged = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staged, filter="data")
        if db_file is not None:
            _check_sqlite(staged / SQLITE_MEMBER)
            db_file.parent.mkdir(parents=True, exist_ok=True)
            for extra in ("-wal", "-shm"):
                Path(f"{db_file}{extra}").unlink(missing_ok=True)
            os.replace(staged / SQLITE_MEMBER, db_file)
        else:
            run_pg("pg_restore", settings, staged / PG_MEMBER)
        if (staged / SECRET).is_file():
            os.replace(staged / SECRET, data / SECRET)
        count = _move_attachments(staged / "attachments", data / "attachments")
        shutil.rmtree(data / "kb", ignore_errors=True)  # derived: rebuilt from the restored DB
    log.info("restored %s from %s (%d attachments)", want, archive, count)
    return Outcome(archive, want, len(manifest["files"]), archive.stat().st_size)


def _move_attachments(src: Path, dst: Path) -> int:
    count = 0
    for path in attachment_files(src):
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # content-addressed: same name, same bytes
        count += 1
    return count


def _check_sqlite(path: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as err:
        raise fail(f"The database in the backup is not a SQLite database ({err}).") from None
    if not result or result[0] != "ok":
        raise fail(f"The database in the backup fails SQLite's integrity check: {result}.")


def _check_revision(manifest: dict[str, Any], settings: Settings) -> None:
    revision = manifest.get("schema_revision")
    if not revision:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from core.db import alembic_config

    try:
        ScriptDirectory.from_config(alembic_config(settings.database_url)).get_revision(revision)
    except CommandError:
        raise fail(
            f"The backup's database schema ({revision}) is newer than this kefu knows; "
            "upgrade kefu first."
        ) from None


def _not_empty(settings: Settings) -> str:
    """Why the target counts as holding data ('' when it does not)."""
    if attachment_files(settings.data_path / "attachments"):
        return f"{settings.data_path / 'attachments'} has files"
    db_file = sqlite_path(settings.database_url)
    if db_file is not None and not db_file.is_file():
        return ""
    rows = asyncio.run(_count_rows(settings.database_url))
    return f"the database has {rows}" if rows else ""


async def _count_rows(url: str) -> str:
    from sqlalchemy import inspect, text

    from core.db import Database

    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            for table in DATA_TABLES:
                if (
                    table in tables
                    and (await conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1"))).first()
                ):
                    return f"rows in {table}"
    finally:
        await db.dispose()
    return ""
