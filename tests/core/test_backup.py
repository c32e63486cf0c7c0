"""Backups as an operator runs them: `kefu admin backup` / `restore` on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from core import backup as bk
from core.attachments import AttachmentStore
from core.config import Settings
from core.conversations import record_inbound
from core.db import Database, upgrade_sync
from core.domain import InboundMessage
from core.errors import KefuError
from core.models import Message
from core.restore import restore
from core.security import load_or_create_secret
from tests.conftest import PG_ADMIN_URL, make_settings, services_missing

ROOT = Path(__file__).resolve().parents[2]


def kefu(*args: str, data: Path, db_url: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEFU_DATA_DIR": str(data), "KEFU_LOG_FORMAT": "json"}
    for name in ("KEFU_CONFIG", "KEFU_SECRET_KEY", "KEFU_DATABASE_URL"):
        env.pop(name, None)
    if db_url:
        env["KEFU_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def fill(settings: Settings, text_: str = "洗衣机漏水了") -> bytes:
    """A conversation with an image attachment; returns the attachment's bytes."""
    picture = b"\x89PNG fake picture " + text_.encode()
    store = AttachmentStore(settings.data_path / "attachments")
    att = await store.save(picture, kind="image", mime="image/png", name="leak.png")
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            await record_inbound(
                s,
                InboundMessage(
                    channel="webchat",
                    inbox="web",
                    external_id="visitor-1",
                    source_id=uuid.uuid4().hex,
                    text=text_,
                    kind="image",
                    attachments=(att,),
                ),
            )
    finally:
        await db.dispose()
    load_or_create_secret("", settings.data_path)
    return picture


async def texts(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.reader() as s:
            return list((await s.execute(select(Message.text).order_by(Message.id))).scalars())
    finally:
        await db.dispose()


@pytest.fixture
def source(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path / "src")
    upgrade_sync(settings.database_url)
    return settings


def test_sqlite_backup_and_restore_through_the_cli(source: Settings, tmp_path: Path) -> None:
    picture = asyncio.run(fill(source))
    archive = tmp_path / "out" / "kefu.tar.gz"
    done = kefu("admin", "backup", "--output", str(archive), data=source.data_path)
    assert done.returncode == 0, done.stderr
    assert f"backup written to {archive}" in done.stdout
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds the secret key
    logged = [json.loads(line) for line in done.stderr.splitlines()]
    assert any("backup of sqlite written" in line["message"] for line in logged)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json" and "database/kefu.db" in names and "secret.key" in names
    assert not any(n.startswith("kb/") for n in names)

    target = tmp_path / "dst"
    done = kefu("admin", "restore", str(archive), data=target)
    assert done.returncode == 0, done.stderr
    restored = make_settings(target)
    assert asyncio.run(texts(restored.database_url)) == ["洗衣机漏水了"]
    [file] = [p for p in (target / "attachments").rglob("*") if p.is_file()]
    assert file.read_bytes() == picture
    assert (target / "secret.key").read_text() == (source.data_path / "secret.key").read_text()

    again = kefu("admin", "restore", str(archive), data=target)
    assert again.returncode == 2
    assert "not empty" in again.stderr and "--force" in again.stderr
    forced = kefu("admin", "restore", str(archive), "--force", data=target)
    assert forced.returncode == 0, forced.stderr


async def test_backup_while_serving_is_consistent(client: Any, tmp_path: Path) -> None:
    """Backups taken while visitors write restore to a database that passes integrity_check
    and holds every message committed before the backup began."""
    from core.context import SERVICES
    from tests.helpers import Visitor

    settings = client.app[SERVICES].settings
    v = await Visitor(client).start()
    await v.reply_to("洗衣机噪音很大怎么办")
    before = len(await texts(settings.database_url))
    talk = asyncio.gather(*(v.say(f"还有问题 {i}") for i in range(5)))
    outs = await asyncio.gather(
        *(asyncio.to_thread(bk.backup, settings, tmp_path / f"b{i}.tar.gz") for i in range(2))
    )
    await talk
    for i, out in enumerate(outs):
        target = make_settings(tmp_path / f"r{i}")
        restore(target, out.path)
        db_file = target.data_path / "kefu.db"
        with closing(sqlite3.connect(db_file)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert len(await texts(target.database_url)) >= before


def rewrite(archive: Path, out: Path, change: Any) -> Path:
    """A copy of ``archive`` with ``change(name, bytes) -> (name, bytes) | None`` applied."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            fh = src.extractfile(member)
            assert fh is not None
            changed = change(member.name, fh.read())
            if changed is None:
                continue
            info = tarfile.TarInfo(changed[0])
            info.size = len(changed[1])
            dst.addfile(info, io.BytesIO(changed[1]))
    return out


@pytest.fixture
def good(source: Settings, tmp_path: Path) -> Path:
    """A backup of a data dir with one conversation and one attachment."""
    asyncio.run(fill(source))
    return bk.backup(source, tmp_path / "good.tar.gz").path


def test_damaged_or_foreign_archives_are_refused_untouched(good: Path, tmp_path: Path) -> None:
    target = make_settings(tmp_path / "dst")

    def flip(name: str, body: bytes) -> tuple[str, bytes]:
        if name.startswith("attachments/"):
            return name, body[:-1] + bytes([body[-1] ^ 1])
        return name, body

    def newer(name: str, body: bytes) -> tuple[str, bytes]:
        if name == "manifest.json":
            manifest = json.loads(body)
            manifest["schema_revision"] = "9999_from_the_future"
            return name, json.dumps(manifest).encode()
        return name, body

    cases = {
        "corrupt": rewrite(good, tmp_path / "flip.tar.gz", flip),
        "missing": rewrite(
            good, tmp_path / "drop.tar.gz", lambda n, b: None if n == "secret.key" else (n, b)
        ),
        "not allowed": rewrite(
            good,
            tmp_path / "evil.tar.gz",
            lambda n, b: ("../evil", b) if n == "secret.key" else (n, b),
        ),
        "newer than this kefu": rewrite(good, tmp_path / "newer.tar.gz", newer),
        "no manifest.json": rewrite(
            good, tmp_path / "bare.tar.gz", lambda n, b: None if n == "manifest.json" else (n, b)
        ),
    }
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar at all")
    cases["not a readable kefu backup"] = tmp_path / "junk.tar.gz"
    for expected, archive in cases.items():
        with pytest.raises(KefuError) as err:
            restore(target, archive)
        assert expected in err.value.message, (expected, err.value.message)
        assert not target.data_path.exists() or not any(target.data_path.iterdir())


def test_without_pg_dump_the_command_to_run_is_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, "postgresql+asyncpg://kefu:s3cret@db.internal:5432/kefu")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(bk, "_pg_revision", _no_revision)
    with pytest.raises(KefuError) as err:
        bk.backup(settings, tmp_path / "x.tar.gz")
    message = err.value.message
    assert "pg_dump is not installed" in message
    assert "pg_dump --format=custom --no-owner --file kefu.pgdump" in message
    assert "postgresql://kefu@db.internal:5432/kefu" in message and "s3cret" not in message
    assert not (tmp_path / "x.tar.gz").exists()


async def _no_revision(url: str) -> None:
    return None


@pytest.fixture
def pg_pair() -> Any:
    """Two fresh PostgreSQL databases: one migrated with data, one empty; dropped after."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        services_missing("pg_dump/pg_restore", FileNotFoundError("pg_dump"))
    names = [f"kefu_bk_{uuid.uuid4().hex[:8]}" for _ in range(2)]

    async def run(*sql: str) -> None:
        engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for statement in sql:
                    await conn.execute(text(statement))
        finally:
            await engine.dispose()

    try:
        asyncio.run(run(*(f'CREATE DATABASE "{n}"' for n in names)))
    except Exception as err:
        services_missing("PostgreSQL", err)
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield [f"{base}/{n}" for n in names]
    asyncio.run(run(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names)))


@pytest.mark.postgres
def test_postgresql_backup_and_restore_with_pg_tools(pg_pair: list[str], tmp_path: Path) -> None:
    src_url, dst_url = pg_pair
    upgrade_sync(src_url)
    source = make_settings(tmp_path / "src", src_url)
    picture = asyncio.run(fill(source, "空调不制冷"))
    archive = tmp_path / "pg.tar.gz"
    done = kefu("admin", "backup", "--output", str(archive), data=source.data_path, db_url=src_url)
    assert done.returncode == 0, done.stderr
    with tarfile.open(archive) as tar:
        assert "database/kefu.pgdump" in tar.getnames()

    target = tmp_path / "dst"
    done = kefu("admin", "restore", str(archive), data=target, db_url=dst_url)
    assert done.returncode == 0, done.stderr
    assert asyncio.run(texts(dst_url)) == ["空调不制冷"]
    [file] = [p for p in (target / "attachments").rglob("*") if p.is_file()]
    assert file.read_bytes() == picture
    again = kefu("admin", "restore", str(archive), data=tmp_path / "dst2", db_url=dst_url)
    assert again.returncode == 2 and "rows in" in again.stderr


def test_restore_into_a_migrated_but_empty_database_needs_no_force(
    good: Path, tmp_path: Path
) -> None:
    target = make_settings(tmp_path / "fresh")
    upgrade_sync(target.database_url)  # `kefu serve` ran once, nobody wrote yet
    restore(target, good)

    async def count() -> int:
        db = Database(target.database_url)
        try:
            async with db.reader() as s:
                return int(
                    (await s.execute(select(func.count()).select_from(Message))).scalar_one()
                )
        finally:
            await db.dispose()

    assert asyncio.run(count()) == 1
