"""What every handoff route asks of a request: the agent, their role, an id of the path.

The console's routes (and ``api/``'s and ``privacy/``'s console pages) share these; they
are public so no module reaches into another's private helpers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from core.context import SERVICES
from core.errors import BadRequest, Forbidden, NotFound
from core.models import Agent
from core.web import read_json, row_id
from handoff.auth import check_csrf
from handoff.keys import SESSIONS

STATIC = Path(__file__).with_name("static")  # the console's pages, scripts and styles


async def current_agent(request: web.Request) -> Agent:
    """The logged-in agent (401 without a session; 403 without the CSRF header)."""
    check_csrf(request)
    return await request.app[SESSIONS].agent(request)


def require_role(agent: Agent, *roles: str) -> None:
    """403 unless ``agent`` has one of ``roles``."""
    if agent.role not in roles:
        raise Forbidden(f"This needs the {' or '.join(roles)} role.", code="role_required")


def path_id(request: web.Request, missing: str) -> int:
    """The ``{id}`` of the path as a row id; NotFound (never a 500) when it cannot be one."""
    value = row_id(request.match_info["id"])
    if value is None:
        raise NotFound(missing)
    return value


def conversation_id(request: web.Request) -> int:
    """The ``{id}`` of a ``/conversations/{id}`` path."""
    return path_id(request, "There is no such conversation.")


def ticket_number(request: web.Request) -> int:
    """The ``{number}`` of a ``/tickets/{number}`` path (``#1001`` or ``1001``)."""
    number = row_id(request.match_info["number"].lstrip("#"))
    if number is None:
        raise NotFound("There is no such ticket.", code="no_such_ticket")
    return number


async def read_status(request: web.Request) -> str:
    """The ``status`` string of a JSON body, or 400."""
    body = await read_json(request)
    status = body.get("status")
    if not isinstance(status, str):
        raise BadRequest("Give a status.", code="bad_status")
    return status


def report_period(request: web.Request) -> tuple[datetime, datetime, str]:
    """A report's ``from`` and ``to`` days (inclusive, the SLA's time zone; default: the
    last 7 days) as the start and end instants, and the zone's name."""
    tz = request.app[SERVICES].settings.sla.timezone
    zone = ZoneInfo(tz)
    today = datetime.now(zone).date()

    def day(name: str, default: Any) -> datetime:
        raw = request.query.get(name)
        try:
            d = datetime.strptime(raw, "%Y-%m-%d").date() if raw else default
        except ValueError:
            raise BadRequest(f"{name} must be a date YYYY-MM-DD.", code="bad_date") from None
        return datetime.combine(d, datetime.min.time(), zone)

    start = day("from", today - timedelta(days=6))
    end = day("to", today) + timedelta(days=1)  # "to" is inclusive
    if end <= start:
        raise BadRequest("to must not be before from.", code="bad_period")
    if end - start > timedelta(days=366):
        raise BadRequest("The period is at most one year.", code="bad_period")
    return start, end, tz
