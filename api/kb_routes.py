"""The knowledge base over the public API: entries created, edited and published by another
system (a product catalogue, a documentation site) through kb's one write API.

Changes are authored as the token's admin, named with the token (``Admin (API: docs-sync)``)
in the entry's history, and published entries reach the bot's index at once, as from the
console.
"""

from __future__ import annotations

from aiohttp import web

from api.auth import Caller, Handler, endpoint
from api.v1_routes import body_json
from core.errors import BadRequest
from core.web import json_response
from kb.authoring import Author
from kb.routes import AUTHORING, entry_from_body, entry_json, expected_version, version_json

STATUS_OF = {"publish": "published", "archive": "archived", "unpublish": "draft"}


def _author(caller: Caller) -> Author:
    return Author(
        id=caller.agent.id, name=f"{caller.agent.name} (API: {caller.name})", role=caller.agent.role
    )


@endpoint("kb", "write")
async def post_entry(request: web.Request, caller: Caller) -> web.Response:
    """POST /api/v1/kb/entries {"question","answer","similar"?,"category"?,"publish"?}."""
    body = await body_json(request)
    publish = body.get("publish", False)
    if not isinstance(publish, bool):
        raise BadRequest("publish must be true or false.", code="bad_publish")
    record = await request.app[AUTHORING].create(
        entry_from_body(body), _author(caller), publish=publish
    )
    return json_response({"entry": entry_json(record)}, status=201)


@endpoint("kb", "read")
async def get_entry(request: web.Request, caller: Caller) -> web.Response:
    """GET /api/v1/kb/entries/{id}: the entry and its history."""
    record, history = await request.app[AUTHORING].get(request.match_info["id"])
    return json_response(
        {"entry": entry_json(record), "history": [version_json(v) for v in history]}
    )


@endpoint("kb", "write")
async def put_entry(request: web.Request, caller: Caller) -> web.Response:
    """PUT /api/v1/kb/entries/{id} {..., "version"?}: 409 when someone changed it since."""
    body = await body_json(request)
    entry = entry_from_body(body, request.match_info["id"])
    record = await request.app[AUTHORING].edit(
        entry, _author(caller), version=expected_version(body)
    )
    return json_response({"entry": entry_json(record)})


def status_handler(action: str) -> Handler:
    """POST /api/v1/kb/entries/{id}/<action> {"version"?}: publish, archive or unpublish."""

    @endpoint("kb", "write")
    async def post_status(request: web.Request, caller: Caller) -> web.Response:
        body = await body_json(request)
        record = await request.app[AUTHORING].set_status(
            request.match_info["id"],
            STATUS_OF[action],
            _author(caller),
            version=expected_version(body),
        )
        return json_response({"entry": entry_json(record)})

    return post_status
