"""Backups: the database, the attachments and the secret key in one verified tar.gz.

SQLite is copied with SQLite's online backup API, so a backup taken while kefu serves is
consistent; PostgreSQL is dumped with ``pg_dump`` (custom format) and restored with
``pg_restore``. The attachments are content-addressed and never change once written, so
copying them after the database snapshot includes every file the snapshot refers to. The
KB index (``data_dir/kb``) is derived from the database and rebuilt at start: not included.

``manifest.json`` lists every member with its size and SHA-256; restore checks them all
before it touches anything, refuses a non-empty target without ``force``, and moves files
into place only after everything is staged and verified.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

from core.config import Settings
from core.errors import KefuError

log = logging.getLogger(__name__)

FORMAT, VERSION, MANIFEST = "kefu-backup", 1, "manifest.json"
SQLITE_MEMBER, PG_MEMBER, SECRET = "database/kefu.db", "database/kefu.pgdump", "secret.key"
DATA_TABLES = ("agents", "conversations", "messages", "tickets", "kb_entries")


def fail(message: str) -> KefuError:
    """A backup/restore error the CLI prints as one sentence."""
    return KefuError(message, code="backup_error")


@dataclass(frozen=True)
class Outcome:
    """What a backup or a restore did."""

    path: Path
    database: str
    files: int
    size: int


def _digest(fh: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return _digest(fh)


def _sqlite_path(url: str) -> Path | None:
    return Path(url.split(":///", 1)[1]) if url.startswith("sqlite") else None


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (kept out of ``ps``) and the env carrying it."""
    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    user = f"{quote(unquote(parts.username))}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"postgresql://{user}{parts.hostname or ''}{port}{parts.path}{query}", env


def pg_command(tool: str, settings: Settings, file: str = "kefu.pgdump") -> str:
    """The documented pg_dump / pg_restore command line for this database."""
    target, _ = _libpq(settings.database_url)
    if tool == "pg_dump":
        return f"pg_dump --format=custom --no-owner --file {file} '{target}'"
    return (
        f"pg_restore --clean --if-exists --no-owner --single-transaction --dbname '{target}' {file}"
    )


def _run_pg(tool: str, settings: Settings, file: Path) -> None:
    """Dump to ``file`` or restore from it with the PostgreSQL client tools."""
    exe = shutil.which(tool)
    if exe is None:
        raise fail(
            f"{tool} is not installed, so the PostgreSQL database cannot be "
            f"{'dumped' if tool == 'pg_dump' else 'restored'} here. Install the PostgreSQL "
            f"client tools, or run: {pg_command(tool, settings)}"
        )
    target, env = _libpq(settings.database_url)
    if tool == "pg_dump":
        argv = [exe, "--format=custom", "--no-owner", f"--file={file}", target]
    else:
        restore_flags = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
        argv = [exe, *restore_flags, "--dbname", target, str(file)]
    proc = subprocess.run(
        argv,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise fail(f"{tool} failed: {proc.stderr.strip()[-500:]}")


def _attachment_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    # .tmp- files are writes in progress (renamed when complete): never part of a backup.
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".tmp-"))


def backup(settings: Settings, output: Path | None = None) -> Outcome:
    """Write a backup archive (default ``./kefu-backup-<UTC time>.tar.gz``); never half a file."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    output = Path(output or f"kefu-backup-{stamp}.tar.gz")
    if output.exists() and not output.is_file():
        raise fail(f"Backup output {output} is not a file.")
    data = settings.data_path
    with tempfile.TemporaryDirectory(prefix="kefu-backup-") as tmp:
        members: list[tuple[str, Path]] = []
        db_file = _sqlite_path(settings.database_url)
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
            _run_pg("pg_dump", settings, dump)
            members.append((PG_MEMBER, dump))
            database = "postgresql"
        if (data / SECRET).is_file():
            members.append((SECRET, data / SECRET))
        root = data / "attachments"
        members += [
            (f"attachments/{p.relative_to(root).as_posix()}", p) for p in _attachment_files(root)
        ]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": database,
            "schema_revision": revision,
            "excluded": ["kb/ (derived search index, rebuilt from the database at start)"],
            "files": [
                {"path": n, "size": p.stat().st_size, "sha256": _sha256(p)} for n, p in members
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
                if _digest(src) != expected.pop(member.name)["sha256"]:
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
    db_file = _sqlite_path(settings.database_url)
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
            _run_pg("pg_restore", settings, staged / PG_MEMBER)
        if (staged / SECRET).is_file():
            os.replace(staged / SECRET, data / SECRET)
        count = _move_attachments(staged / "attachments", data / "attachments")
        shutil.rmtree(data / "kb", ignore_errors=True)  # derived: rebuilt from the restored DB
    log.info("restored %s from %s (%d attachments)", want, archive, count)
    return Outcome(archive, want, len(manifest["files"]), archive.stat().st_size)


def _move_attachments(src: Path, dst: Path) -> int:
    count = 0
    for path in _attachment_files(src):
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
    if _attachment_files(settings.data_path / "attachments"):
        return f"{settings.data_path / 'attachments'} has files"
    db_file = _sqlite_path(settings.database_url)
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
