"""The privacy service: export a contact (inline or as a background job) and erase one.

Shared by the admin API and the command line. An export small enough
(``[privacy] export_inline_messages``) is built at once; a larger history becomes a job whose
archive is written under ``<data_dir>/exports`` and served through a signed link that expires
after ``export_link_minutes`` (the file is deleted then too). Every export and erasure is
recorded in the access trail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.attachments import AttachmentStore
from core.backup import known_backups
from core.config import Settings
from core.coordination import Hub
from core.db import Database
from core.errors import NotFound
from core.models import utcnow
from core.security import TokenSigner
from kb.service import FORGET_TOPIC, query_digest
from kb.vector_cache import forget_texts
from privacy import archive, retention, trail
from privacy.collect import collect, contact_or_404, message_count
from privacy.erase import Erasure, erase
from privacy.tables import PrivacyExport

log = logging.getLogger(__name__)

PURPOSE = "privacy-export"


@dataclass
class Privacy:
    """Exports and erasures for one kefu (its database, attachments and settings)."""

    db: Database
    store: AttachmentStore
    settings: Settings
    secret: bytes
    hub: Hub | None = None  # tells every worker's knowledge base to forget query vectors
    vector_cache_dirs: tuple[Path, ...] = ()
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    last_retention: datetime | None = None

    @property
    def export_dir(self) -> Path:
        """Where background exports are written."""
        return self.settings.data_path / "exports"

    @property
    def signer(self) -> TokenSigner:
        """Signs and checks download links."""
        return TokenSigner(self.secret, PURPOSE)

    async def needs_job(self, contact_id: int) -> bool:
        """Whether the contact's history is too large to export inline (NotFound if unknown)."""
        async with self.db.reader() as session:
            await contact_or_404(session, contact_id)
            count = await message_count(session, contact_id)
        return bool(count > self.settings.privacy.export_inline_messages)

    async def export_file(self, contact_id: int, target: Path, actor: trail.Actor) -> int:
        """Write the contact's archive to ``target`` now (recorded); its size."""
        async with self.db.reader() as session:
            bundle = await collect(session, contact_id)
        size = await asyncio.to_thread(archive.write, bundle, self.store, target)
        await trail.record(self.db, actor, "export", contact_id, {"mode": "inline"})
        return size

    async def start_job(self, contact_id: int, actor: trail.Actor) -> PrivacyExport:
        """Create a background export job and start it in this worker."""
        async with self.db.transaction() as session:
            job = PrivacyExport(
                contact_id=contact_id, requested_by=actor.agent_id, status="running"
            )
            session.add(job)
            await session.flush()
            trail.add(session, actor, "export", contact_id, {"mode": "job", "job": job.id})
        task = asyncio.create_task(self._run_job(job.id, contact_id), name=f"export-{job.id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    async def _run_job(self, job_id: int, contact_id: int) -> None:
        name = f"contact-{contact_id}-{job_id}-{secrets.token_hex(8)}.zip"
        target = self.export_dir / name
        status, error, size = "done", None, None
        try:
            async with self.db.reader() as session:
                bundle = await collect(session, contact_id)
            size = await asyncio.to_thread(archive.write, bundle, self.store, target)
        except Exception as err:  # the job reports its failure; nothing half-written stays
            log.exception("privacy: export job %d failed", job_id)
            status, error = "failed", type(err).__name__
            target.unlink(missing_ok=True)
        minutes = self.settings.privacy.export_link_minutes
        async with self.db.transaction() as session:
            job = await session.get(PrivacyExport, job_id)
            if job is not None:
                job.status, job.error, job.size = status, error, size
                job.file = name if status == "done" else None
                job.finished_at = utcnow()
                job.expires_at = job.finished_at + timedelta(minutes=minutes)

    async def job(self, job_id: int) -> PrivacyExport:
        """An export job; NotFound when unknown."""
        async with self.db.reader() as session:
            job = await session.get(PrivacyExport, job_id)
        if job is None:
            raise NotFound(f"导出任务 {job_id} 不存在。Export job {job_id} does not exist.")
        return job

    def link_token(self, job: PrivacyExport) -> str:
        """A signed token for downloading a finished job's archive until it expires."""
        assert job.expires_at is not None
        ttl = max(1.0, (job.expires_at - utcnow()).total_seconds())
        return self.signer.sign({"job": job.id}, ttl)

    async def download_path(self, job_id: int, token: str) -> Path:
        """The archive file a valid link points at; Unauthorized / NotFound otherwise."""
        payload = self.signer.verify(token)
        if payload.get("job") != job_id:
            raise NotFound("这个下载链接无效。This download link is not valid.")
        job = await self.job(job_id)
        expired = job.expires_at is None or job.expires_at <= utcnow()
        if job.status != "done" or job.file is None or expired:
            raise NotFound("导出文件已过期或不存在。The export has expired or does not exist.")
        path = self.export_dir / job.file
        if not path.is_file():
            raise NotFound("导出文件已过期或不存在。The export has expired or does not exist.")
        return path

    async def purge_exports(self, contact_id: int | None = None) -> int:
        """Delete archives whose link expired (or every one of ``contact_id``); how many."""
        now, gone = utcnow(), 0
        which = (
            PrivacyExport.contact_id == contact_id
            if contact_id is not None
            else PrivacyExport.expires_at <= now
        )
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(PrivacyExport).where(PrivacyExport.file.is_not(None), which)
                )
            ).scalars()
            for job in rows:
                assert job.file is not None
                (self.export_dir / job.file).unlink(missing_ok=True)
                job.file, job.status = None, "expired"
                gone += 1
        return gone

    async def _forget(self, texts: list[str]) -> None:
        if self.hub is not None:
            digests = sorted({query_digest(t) for t in texts})
            await self.hub.publish(FORGET_TOPIC, {"digests": digests})
        for directory in self.vector_cache_dirs:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(forget_texts, directory, texts)

    async def erase(self, contact_id: int, reason: Any, actor: trail.Actor) -> Erasure:
        """Erase one contact (privacy/erase.py), naming the backups that still hold data."""
        before = utcnow()

        def backups() -> list[Path]:
            # Backups written before this erasure hold the person's data until they expire.
            return [
                p for p in known_backups(self.settings) if p.stat().st_mtime <= before.timestamp()
            ]

        result = await erase(
            self.db,
            self.store,
            contact_id,
            reason,
            actor,
            forget_texts=self._forget,
            backups=backups,
        )
        # Archives exported earlier hold everything that was just erased.
        result.counts["export_archives"] = await self.purge_exports(contact_id)
        return result

    async def daily_retention(self) -> bool:
        """Run retention when a day has passed since this worker last did; True when it ran."""
        now = utcnow()
        if self.last_retention is not None and now - self.last_retention < timedelta(days=1):
            return False
        self.last_retention = now
        done = await retention.apply(self.db, self.store, self.settings, now)
        for p in done:
            if p.conversations or p.attachment_messages:
                log.info(
                    "retention on %s: %d conversations emptied, attachments of %d messages",
                    p.inbox,
                    len(p.conversations),
                    len(p.attachment_messages),
                )
        return True

    async def close(self) -> None:
        """Cancel running export jobs (they are marked running; a new request starts again)."""
        for task in list(self.tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
