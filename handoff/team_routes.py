"""Admin routes for teams: create them, put agents in them, give inboxes to them."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import SERVICES
from core.conversations import inbox_id
from core.errors import BadRequest, Conflict, NotFound
from core.events import AGENTS_TOPIC
from core.models import Agent, Inbox
from core.web import json_response, read_json
from handoff.http import current_agent, path_id, require_role
from handoff.tables import Team
from handoff.views import agent_json

WEB_INBOX = ("web", "webchat")  # the web chat's inbox is not in [[inboxes]]


def inbox_channel(request: web.Request, name: str) -> str:
    """The channel of the inbox called ``name`` (the web chat's or an ``[[inboxes]]`` entry);
    404 ``unknown_inbox`` when there is none."""
    channels = {i.name: i.channel for i in request.app[SERVICES].settings.inboxes}
    channels[WEB_INBOX[0]] = WEB_INBOX[1]
    if name not in channels:
        raise NotFound(f"There is no inbox called {name[:100]}.", code="unknown_inbox")
    return channels[name]


async def list_teams(request: web.Request) -> web.Response:
    """GET /api/admin/teams: teams with their agents' ids and their inboxes' names."""
    require_role(await current_agent(request), "admin", "supervisor")
    async with request.app[SERVICES].db.reader() as session:
        teams = list((await session.execute(select(Team).order_by(Team.id))).scalars())
        agents = (await session.execute(select(Agent.id, Agent.team_id))).all()
        inboxes = (await session.execute(select(Inbox.name, Inbox.team_id))).all()
    out = [
        {
            "id": t.id,
            "name": t.name,
            "agents": [a.id for a in agents if a.team_id == t.id],
            "inboxes": [i.name for i in inboxes if i.team_id == t.id],
        }
        for t in teams
    ]
    return json_response({"teams": out})


async def create_team(request: web.Request) -> web.Response:
    """POST /api/admin/teams {"name"} (admin)."""
    require_role(await current_agent(request), "admin")
    name = (await read_json(request)).get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[^\x00-\x1f]{1,100}", name.strip()):
        raise BadRequest("name must be 1-100 characters.", code="bad_name")
    async with request.app[SERVICES].db.transaction() as session:
        taken = (await session.execute(select(Team).where(Team.name == name.strip()))).first()
        if taken is not None:
            raise Conflict(f"A team called {name.strip()} exists.", code="team_taken")
        team = Team(name=name.strip())
        session.add(team)
        await session.flush()
        out = {"id": team.id, "name": team.name, "agents": [], "inboxes": []}
    return json_response({"team": out}, status=201)


async def _team_id(session: AsyncSession, body: dict[str, Any]) -> int | None:
    team_id = body.get("team_id")
    if team_id is None:
        return None
    if not isinstance(team_id, int) or isinstance(team_id, bool) or not 0 < team_id < 2**31:
        raise BadRequest("team_id must be a team's id or null.", code="bad_team")
    if await session.get(Team, team_id) is None:
        raise NotFound(f"Team {team_id} does not exist.", code="no_team")
    return team_id


async def set_agent_team(request: web.Request) -> web.Response:
    """PUT /api/admin/agents/{id}/team {"team_id": id | null} (admin)."""
    require_role(await current_agent(request), "admin")
    agent_id = path_id(request, "There is no such agent.")
    body = await read_json(request)
    async with request.app[SERVICES].db.transaction() as session:
        team_id = await _team_id(session, body)
        agent = await session.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"Agent {agent_id} does not exist.", code="no_agent")
        agent.team_id = team_id
    return json_response({"agent": agent_json(agent)})


async def set_inbox_team(request: web.Request) -> web.Response:
    """PUT /api/admin/inboxes/{name}/team {"team_id": id | null} (admin): null = every team."""
    require_role(await current_agent(request), "admin")
    name = request.match_info["name"]
    channel = inbox_channel(request, name)
    body = await read_json(request)
    async with request.app[SERVICES].db.transaction() as session:
        team_id = await _team_id(session, body)
        inbox = await session.get(Inbox, await inbox_id(session, name, channel))
        assert inbox is not None
        inbox.team_id = team_id
    # Live console sockets cache which inboxes their agent may hear about: tell them (every
    # worker, through the hub) that the answer changed.
    await request.app[SERVICES].hub.publish(AGENTS_TOPIC, {"type": "teams.changed"})
    return json_response({"inbox": {"name": name, "team_id": team_id}})
