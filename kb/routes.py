"""The knowledge-base authoring API under ``/api/agent/kb/`` (console page: /agent/kb.html).

Who is asking is decided by the ``authorize`` callable the app factory passes in (the agent
console's session check); this package does not know how agents log in.

    GET  /api/agent/kb/entries?status=&q=&offset=&limit=   list + total
    POST /api/agent/kb/entries                              create (draft; "publish": true)
    GET  /api/agent/kb/entries/{id}                         entry + history
    PUT  /api/agent/kb/entries/{id}                         edit {..., "version"}
    POST /api/agent/kb/entries/{id}/publish|archive|unpublish   {"version"?}
    POST /api/agent/kb/import {"format": "jsonl"|"csv", "content", "publish"?}
    GET  /api/agent/kb/export?format=jsonl|csv&status=published|draft|archived|all
    POST /api/agent/kb/from-conversation/{conversation_id}  draft from a resolved conversation
    GET  /api/agent/kb/search?q=                            what the bot would do
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from core.errors import BadRequest
from core.web import json_response, read_json, row_id
from kb.authoring import Author, Authoring, EntryRecord, VersionRecord
from kb.exchange import render
from kb.ingest import read_entries
from kb.service import KnowledgeBase
from kb.types import EntryIn

Authorize = Callable[[web.Request], Awaitable[Author]]
AUTHORING = web.AppKey("kb_authoring", Authoring)
AUTHORIZE = web.AppKey("kb_authorize", object)
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def entry_json(e: EntryRecord) -> dict[str, Any]:
    """An entry as the API shows it."""
    d = dataclasses.asdict(e)
    d["similar"] = list(e.similar)
    return d


def version_json(v: VersionRecord) -> dict[str, Any]:
    """A history line as the API shows it."""
    return dataclasses.asdict(v)


def entry_from_body(body: dict[str, Any], entry_id: str = "") -> EntryIn:
    similar = body.get("similar") or []
    if isinstance(similar, str):
        similar = [s for s in similar.splitlines() if s.strip()]
    if not isinstance(similar, list) or not all(isinstance(s, str) for s in similar):
        raise BadRequest("'similar' must be a list of strings.")
    fields = ("question", "answer", "category", "language", "group")
    for f in fields:
        if body.get(f) is not None and not isinstance(body.get(f), str):
            raise BadRequest(f"'{f}' must be a string.")
    return EntryIn(
        id=entry_id or str(body.get("id") or ""),
        question=str(body.get("question") or ""),
        answer=str(body.get("answer") or ""),
        similar=tuple(similar),
        category=str(body.get("category") or ""),
        language=str(body.get("language") or ""),
        group=str(body["group"]) if body.get("group") else None,
    )


def expected_version(body: dict[str, Any]) -> int | None:
    v = body.get("version")
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise BadRequest("'version' must be an integer.")
    return v


async def _who(request: web.Request) -> Author:
    authorize: Any = request.app[AUTHORIZE]
    author: Author = await authorize(request)
    return author


async def list_entries(request: web.Request) -> web.Response:
    """GET /api/agent/kb/entries."""
    await _who(request)
    q = request.query
    try:
        offset, limit = int(q.get("offset", "0")), int(q.get("limit", "50"))
    except ValueError as err:
        raise BadRequest("offset and limit must be integers.") from err
    status = q.get("status") or None
    entries, total = await request.app[AUTHORING].entries(
        status=status if status != "all" else None,
        query=q.get("q", "")[:200],
        offset=offset,
        limit=limit,
    )
    return json_response({"entries": [entry_json(e) for e in entries], "total": total})


async def create_entry(request: web.Request) -> web.Response:
    """POST /api/agent/kb/entries."""
    author = await _who(request)
    body = await read_json(request)
    record = await request.app[AUTHORING].create(
        entry_from_body(body), author, publish=bool(body.get("publish"))
    )
    return json_response(entry_json(record), status=201)


async def get_entry(request: web.Request) -> web.Response:
    """GET /api/agent/kb/entries/{id}."""
    await _who(request)
    record, history = await request.app[AUTHORING].get(request.match_info["id"])
    return json_response({**entry_json(record), "history": [version_json(v) for v in history]})


async def edit_entry(request: web.Request) -> web.Response:
    """PUT /api/agent/kb/entries/{id}."""
    author = await _who(request)
    body = await read_json(request)
    entry = entry_from_body(body, request.match_info["id"])
    record = await request.app[AUTHORING].edit(entry, author, version=expected_version(body))
    return json_response(entry_json(record))


def _status_handler(status: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        author = await _who(request)
        body = await read_json(request) if request.can_read_body else {}
        record = await request.app[AUTHORING].set_status(
            request.match_info["id"], status, author, version=expected_version(body)
        )
        return json_response(entry_json(record))

    handler.__doc__ = f"POST /api/agent/kb/entries/{{id}}/... -> {status}."
    return handler


async def import_entries(request: web.Request) -> web.Response:
    """POST /api/agent/kb/import {"format", "content", "publish"}: good rows in, bad reported."""
    author = await _who(request)
    body = await read_json(request, max_bytes=MAX_IMPORT_BYTES + 4096)
    fmt = body.get("format")
    content = body.get("content")
    if fmt not in ("jsonl", "csv") or not isinstance(content, str):
        raise BadRequest("import needs 'format' (jsonl or csv) and 'content' (text).")
    with tempfile.TemporaryDirectory(prefix="kefu-import-") as tmp:
        path = Path(tmp) / f"import.{fmt}"
        path.write_text(content, encoding="utf-8")
        entries, errors = read_entries(path)
    count = await request.app[AUTHORING].import_entries(
        entries, author, publish=bool(body.get("publish"))
    )
    return json_response(
        {"imported": count, "errors": [{"line": e.line, "message": e.message} for e in errors]}
    )


async def export_entries(request: web.Request) -> web.StreamResponse:
    """GET /api/agent/kb/export?format=jsonl|csv&status=."""
    await _who(request)
    fmt = request.query.get("format", "jsonl")
    status = request.query.get("status", "published")
    if fmt not in ("jsonl", "csv"):
        raise BadRequest("format must be jsonl or csv.")
    records = await request.app[AUTHORING].export(None if status == "all" else status)
    text = render(records, fmt)
    return web.Response(
        text=text,
        content_type="text/csv" if fmt == "csv" else "application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="kb-{status}.{fmt}"'},
    )


async def from_conversation(request: web.Request) -> web.Response:
    """POST /api/agent/kb/from-conversation/{conversation_id}."""
    author = await _who(request)
    conv_id = row_id(request.match_info["conversation_id"])
    if conv_id is None:
        raise BadRequest("conversation id must be a number.")
    record = await request.app[AUTHORING].draft_from_conversation(conv_id, author)
    return json_response(entry_json(record), status=201)


async def search(request: web.Request) -> web.Response:
    """GET /api/agent/kb/search?q= : the decision and hits the bot would use."""
    await _who(request)
    result = await request.app[AUTHORING].kb.search(request.query.get("q", ""))
    return json_response(
        {
            "decision": result.decision,
            "confidence": round(result.confidence, 4),
            "hits": [
                {
                    "id": h.entry_id,
                    "question": h.question,
                    "answer": h.answer,
                    "score": round(h.score, 4),
                }
                for h in result.hits
            ],
        }
    )


ROUTES = [
    web.get("/api/agent/kb/entries", list_entries),
    web.post("/api/agent/kb/entries", create_entry),
    web.get("/api/agent/kb/entries/{id}", get_entry),
    web.put("/api/agent/kb/entries/{id}", edit_entry),
    web.post("/api/agent/kb/entries/{id}/publish", _status_handler("published")),
    web.post("/api/agent/kb/entries/{id}/archive", _status_handler("archived")),
    web.post("/api/agent/kb/entries/{id}/unpublish", _status_handler("draft")),
    web.post("/api/agent/kb/import", import_entries),
    web.get("/api/agent/kb/export", export_entries),
    web.post("/api/agent/kb/from-conversation/{conversation_id}", from_conversation),
    web.get("/api/agent/kb/search", search),
]


def setup(app: web.Application, kb: KnowledgeBase, authorize: Authorize) -> None:
    """Mount the authoring API on ``app``."""
    app[AUTHORING] = Authoring(kb)
    app[AUTHORIZE] = authorize
    app.router.add_routes(ROUTES)
