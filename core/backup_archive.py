"""A kefu backup archive: its members and format, checksums, and the PostgreSQL client tools
that dump and restore (what core/backup.py and core/restore.py share).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote, unquote, urlsplit

from core.config import Settings
from core.errors import KefuError

FORMAT, VERSION, MANIFEST = "kefu-backup", 1, "manifest.json"
SQLITE_MEMBER, PG_MEMBER, SECRET = "database/kefu.db", "database/kefu.pgdump", "secret.key"


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


def digest(fh: IO[bytes]) -> str:
    """The hex SHA-256 of what ``fh`` holds from where it is."""
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file."""
    with path.open("rb") as fh:
        return digest(fh)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL)."""
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


def run_pg(tool: str, settings: Settings, file: Path) -> None:
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


def attachment_files(root: Path) -> list[Path]:
    """The stored attachment files under ``root``, sorted."""
    if not root.is_dir():
        return []
    # .tmp- files are writes in progress (renamed when complete): never part of a backup.
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".tmp-"))
