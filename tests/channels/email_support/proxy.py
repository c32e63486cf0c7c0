"""A TCP proxy that cuts its first connection in the middle of an IMAP FETCH response."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class CuttingProxy:
    """Forwards to ``target_port``; the first connection dies mid-FETCH, later ones work."""

    target_port: int
    port: int = 0
    cuts: int = 0
    connections: int = 0
    server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> CuttingProxy:
        """Listen on a free port."""
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        cut_this = self.connections == 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        fetching = asyncio.Event()

        async def client_to_server() -> None:
            while data := await reader.read(65536):
                if b"FETCH" in data.upper():
                    fetching.set()
                up_writer.write(data)
                await up_writer.drain()

        async def server_to_client() -> None:
            while data := await up_reader.read(65536):
                if cut_this and fetching.is_set() and b"FETCH" in data:
                    writer.write(data[: max(1, len(data) // 3)])  # a partial literal
                    await writer.drain()
                    self.cuts += 1
                    raise ConnectionResetError("cut mid-fetch")
                writer.write(data)
                await writer.drain()

        tasks = [asyncio.create_task(client_to_server()), asyncio.create_task(server_to_client())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            t.cancel()
        for w in (writer, up_writer):
            with contextlib.suppress(Exception):
                w.close()

    async def close(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
