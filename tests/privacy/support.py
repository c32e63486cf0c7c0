"""A whole kefu (web chat + an email inbox) on SQLite or PostgreSQL, and a raw-file scanner."""

from __future__ import annotations

import asyncio
import json
import os
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
        return self.client.app[SERVICES]


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
