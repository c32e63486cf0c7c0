"""The ticket types of ``[workorders] ticket_types``, seeded once per process before first use."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from core.context import SERVICES
from intake import ticket_types


class Seeder:
    """Seeds the configured ticket types once per process, before the first use."""

    def __init__(self, lines: list[str]) -> None:
        for line in lines:
            ticket_types.parse_type_line(line)  # a bad line stops the start, not a request
        self.lines = lines
        self.done = False
        self.lock = asyncio.Lock()

    async def __call__(self, request: web.Request) -> None:
        if self.done:
            return
        async with self.lock:
            if not self.done:
                try:
                    async with request.app[SERVICES].db.transaction() as session:
                        await ticket_types.seed(session, self.lines)
                except IntegrityError:  # another worker seeded at the same moment
                    pass
                self.done = True
