"""Privacy routes: export and erase a contact, export jobs, reveal a masked field, the trail.

GET  /api/admin/contacts/{id}/export            200 zip | 202 {"job"} (admin)
GET  /api/admin/exports/{id}                    the job; its download link when done
GET  /api/admin/exports/{id}/download?token=    the archive (admin, signed link)
POST /api/admin/contacts/{id}/erase {"reason"}  200 what was erased (admin)
GET  /api/admin/privacy/trail                   search the access trail (admin)
POST /api/agent/conversations/{id}/customer/reveal {"field"}  one unmasked field (logged)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from core.context import SERVICES
from core.errors import BadRequest, Forbidden
from core.forwarded import client_ip
from core.models import Agent, Contact
from core.web import json_response, read_json, row_id
from handoff import teams
from handoff.http import current_agent, path_id
from privacy import trail
from privacy.masking import MASKED_FIELDS, may_reveal
from privacy.service import Privacy
from privacy.tables import PrivacyExport

log = logging.getLogger(__name__)
PRIVACY = web.AppKey("privacy", Privacy)
MAINTENANCE_SECONDS = 3600.0


def _admin(agent: Agent) -> None:
    if agent.role != "admin":
        raise Forbidden(
            "只有管理员可以导出或删除客户数据。Only an admin may export or erase customer data.",
            code="role_required",
        )


async def _actor(request: web.Request) -> trail.Actor:
    agent = await current_agent(request)
    _admin(agent)
    return trail.Actor.of(agent, client_ip(request))


def _job_json(request: web.Request, job: PrivacyExport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": job.id,
        "contact_id": job.contact_id,
        "status": job.status,
        "size": job.size,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "expires_at": job.expires_at.isoformat() if job.expires_at else None,
        "poll": f"/api/admin/exports/{job.id}",
    }
    if job.status == "done" and job.file is not None:
        token = request.app[PRIVACY].link_token(job)
        out["download"] = f"/api/admin/exports/{job.id}/download?token={token}"
    return out


async def export_contact(request: web.Request) -> web.StreamResponse:
    """GET /api/admin/contacts/{id}/export[?background=1]."""
    actor = await _actor(request)
    contact_id = path_id(request, "客户不存在。There is no such contact.")
    privacy = request.app[PRIVACY]
    if request.query.get("background") == "1" or await privacy.needs_job(contact_id):
        job = await privacy.start_job(contact_id, actor)
        return json_response({"job": _job_json(request, job)}, status=202)
    with tempfile.TemporaryDirectory(prefix="kefu-export-") as tmp:
        target = Path(tmp) / "export.zip"
        await privacy.export_file(contact_id, target, actor)
        data = await asyncio.to_thread(target.read_bytes)
    return web.Response(
        body=data,
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}.zip"'},
    )


async def export_job(request: web.Request) -> web.Response:
    """GET /api/admin/exports/{id}: the job's state (and its download link when done)."""
    await _actor(request)
    job = await request.app[PRIVACY].job(path_id(request, "导出任务不存在。No such export job."))
    return json_response({"job": _job_json(request, job)})


async def export_download(request: web.Request) -> web.StreamResponse:
    """GET /api/admin/exports/{id}/download?token=...: the archive, while the link is valid."""
    await _actor(request)
    job_id = path_id(request, "导出任务不存在。No such export job.")
    path = await request.app[PRIVACY].download_path(job_id, request.query.get("token", ""))
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="{path.name}"',
        },
    )


async def erase_contact(request: web.Request) -> web.Response:
    """POST /api/admin/contacts/{id}/erase {"reason"}: 200 with what was erased."""
    actor = await _actor(request)
    contact_id = path_id(request, "客户不存在。There is no such contact.")
    body = await read_json(request)
    result = await request.app[PRIVACY].erase(contact_id, body.get("reason"), actor)
    return json_response({"erasure": result.to_json()})


def _day(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        d = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise BadRequest(f"{name} 须为日期 YYYY-MM-DD。{name} must be a date YYYY-MM-DD.") from None
    zone = ZoneInfo(request.app[SERVICES].settings.sla.timezone)
    return datetime.combine(d, datetime.min.time(), zone)


def _query_id(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    value = row_id(raw)
    if value is None:
        raise BadRequest(f"{name} 须为数字 id。{name} must be a numeric id.", code="bad_id")
    return value


async def search_trail(request: web.Request) -> web.Response:
    """GET /api/admin/privacy/trail?contact_id=&agent_id=&action=&from=&to=&limit=."""
    await _actor(request)
    action = request.query.get("action") or None
    if action is not None and action not in trail.ACTIONS:
        raise BadRequest(
            f"action 须为 {', '.join(trail.ACTIONS)} 之一。action must be one of "
            f"{', '.join(trail.ACTIONS)}.",
            code="bad_action",
        )
    until = _day(request, "to")
    limit = row_id(request.query.get("limit", "200")) or 200
    rows = await trail.search(
        request.app[SERVICES].db,
        contact_id=_query_id(request, "contact_id"),
        agent_id=_query_id(request, "agent_id"),
        action=action,
        since=_day(request, "from"),
        until=until + timedelta(days=1) if until else None,
        limit=min(limit, 1000),
    )
    return json_response({"trail": [trail.entry_json(r) for r in rows]})


async def reveal(request: web.Request) -> web.Response:
    """POST /api/agent/conversations/{id}/customer/reveal {"field"}: one field, unmasked."""
    agent = await current_agent(request)
    conv_id = path_id(request, "会话不存在。There is no such conversation.")
    body = await read_json(request)
    name = body.get("field")
    if name not in MASKED_FIELDS:
        raise BadRequest(
            f"field 须为 {', '.join(MASKED_FIELDS)} 之一。field must be one of "
            f"{', '.join(MASKED_FIELDS)}.",
            code="bad_field",
        )
    services = request.app[SERVICES]
    if not may_reveal(agent, services.settings.privacy):
        raise Forbidden(
            "你的角色无权查看完整的客户信息。Your role may not reveal customer data.",
            code="reveal_forbidden",
        )
    async with services.db.reader() as session:
        conv = await teams.ensure_visible(session, agent, conv_id)
        contact = await session.get(Contact, conv.contact_id)
    value = getattr(contact, name, None) if contact is not None else None
    actor = trail.Actor.of(agent, client_ip(request))
    await trail.record(services.db, actor, "reveal", conv.contact_id, {"field": name})
    return json_response({"field": name, "value": value})


ROUTES = [
    web.get("/api/admin/contacts/{id}/export", export_contact),
    web.get("/api/admin/exports/{id}", export_job),
    web.get("/api/admin/exports/{id}/download", export_download),
    web.post("/api/admin/contacts/{id}/erase", erase_contact),
    web.get("/api/admin/privacy/trail", search_trail),
    web.post("/api/agent/conversations/{id}/customer/reveal", reveal),
]


def setup(app: web.Application, privacy: Privacy) -> None:
    """Mount the privacy routes and the hourly upkeep (expired exports, old trail entries)."""
    app[PRIVACY] = privacy
    app.router.add_routes(ROUTES)

    async def upkeep(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                # Sleeps first: this context starts before the app's migrations have run.
                await asyncio.sleep(MAINTENANCE_SECONDS)
                try:
                    await privacy.purge_exports()
                    await trail.purge(privacy.db, privacy.settings.privacy.trail_days)
                    await privacy.daily_retention()
                except Exception as err:  # retried next hour; never ends the loop
                    log.warning("privacy upkeep failed: %s", type(err).__name__)

        task = asyncio.create_task(loop(), name="privacy-upkeep")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await privacy.close()

    app.cleanup_ctx.append(upkeep)
