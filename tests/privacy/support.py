"""A whole kefu (web chat + an email inbox) on SQLite or PostgreSQL, and a raw-file scanner."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.context import SERVICES, Services
from tests.channels.email_support.app import EmailEnv


@dataclass
class Kefu(EmailEnv):
    """The app, its SMTP port and sink, and where its data lives."""

    database_url: str = ""
    data_dir: Path = Path()

    @property
    def services(self) -> Services:
        """The app's services."""
        found: Services = self.client.app[SERVICES]
        return found


def forms(needle: str) -> set[bytes]:
    """The byte forms a string takes in the files: UTF-8, and JSON's \\u escapes."""
    return {needle.encode("utf-8"), json.dumps(needle)[1:-1].encode("ascii")}


def scan(roots: Iterable[Path], needles: Iterable[str], skip: tuple[str, ...] = ()) -> list[str]:
    """``file: needle`` for every needle found in any file under ``roots``."""
    wanted = {n: forms(n) for n in needles}
    found = []
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            if any(part in skip for part in Path(dirpath).parts):
                continue
            for name in files:
                path = Path(dirpath) / name
                try:
                    data = path.read_bytes()
                except OSError:  # a file the server removed while we walked
                    continue
                for needle, variants in wanted.items():
                    if any(v in data for v in variants):
                        found.append(f"{path}: {needle}")
    return found


async def pg_data_directory(url: str) -> Path:
    """The PostgreSQL server's data directory, after a checkpoint (so pages are on disk)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CHECKPOINT"))
            return Path(str(await conn.scalar(text("SHOW data_directory"))))
    finally:
        await engine.dispose()


async def pg_setting(url: str, name: str) -> str:
    """One server setting."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return str(
                await conn.scalar(
                    text("SELECT setting FROM pg_settings WHERE name = :n"), {"n": name}
                )
            )
    finally:
        await engine.dispose()


async def eventually(check: Any, wait_seconds: float = 30.0) -> Any:
    """Poll ``check()`` until it returns something truthy."""
    async with asyncio.timeout(wait_seconds):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.05)


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def own_postgres(port: int) -> tuple[Path, subprocess.Popen[bytes]] | str:
    """A private PostgreSQL cluster that deletes old WAL segments instead of recycling them
    (``wal_recycle = off``, ``wal_keep_size = 0``), so a test can scan its whole data
    directory, ``pg_wal`` included: (its root directory, the server process), or why it cannot
    run here (no server binaries, no ``postgres`` user: initdb refuses to run as root)."""
    initdb, postgres = PG_BIN / "initdb", PG_BIN / "postgres"
    if not initdb.exists() or not postgres.exists():
        return f"no PostgreSQL server binaries in {PG_BIN}"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user to run the server as"
    runuser = shutil.which("runuser")
    as_root = os.geteuid() == 0
    if as_root and runuser is None:
        return "running as root without runuser"
    prefix = [str(runuser), "-u", "postgres", "--"] if as_root else []
    root = Path(tempfile.mkdtemp(prefix="kefu-privacy-pg-"))  # not under root's 0700 tmp
    if as_root:
        shutil.chown(root, "postgres")
    data = root / "pgdata"
    subprocess.run(
        [*prefix, str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    settings = {
        "port": str(port),
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(root),
        "wal_recycle": "off",
        "wal_keep_size": "0",
        "archive_mode": "off",
        "shared_buffers": "16MB",
        "max_connections": "60",
        "fsync": "off",
    }
    args = [x for k, v in settings.items() for x in ("-c", f"{k}={v}")]
    with (root / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [*prefix, str(postgres), "-D", str(data), *args], stdout=log, stderr=log
        )
    return root, proc


async def wait_for_postgres(url: str, wait_seconds: float = 30.0) -> None:
    """Poll until the server accepts connections."""
    async with asyncio.timeout(wait_seconds):
        while True:
            engine = create_async_engine(url)
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                return
            except OSError:
                await asyncio.sleep(0.1)
            except Exception as err:  # starting up: "the database system is starting up"
                if "starting up" not in str(err) and "connect" not in str(err).lower():
                    raise
                await asyncio.sleep(0.1)
            finally:
                await engine.dispose()


def stop_postgres(root: Path, proc: subprocess.Popen[bytes]) -> None:
    """Stop a cluster started by :func:`own_postgres` and delete it."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*prefix, str(PG_BIN / "pg_ctl"), "stop", "-D", str(root / "pgdata"), "-m", "fast"],
        capture_output=True,
        check=False,
    )
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    shutil.rmtree(root, ignore_errors=True)


async def create_database(admin_url: str, name: str) -> None:
    """CREATE DATABASE on a server."""
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
