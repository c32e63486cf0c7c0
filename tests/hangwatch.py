"""Diagnostics for a test that hangs: shortly before pytest-timeout fires, print every thread's
stack and every pending asyncio task's stack to stderr, so a rare hang in CI explains itself."""

from __future__ import annotations

import asyncio
import faulthandler
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

_loops: list[asyncio.AbstractEventLoop] = []


def _dump(nodeid: str) -> None:
    print(f"\n=== {nodeid} is still running: stacks follow ===", file=sys.stderr)
    faulthandler.dump_traceback(file=sys.stderr)
    for loop in list(_loops):
        for task in list(asyncio.all_tasks(loop)):
            print(f"--- {task!r}", file=sys.stderr)
            task.print_stack(file=sys.stderr)
    sys.stderr.flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[Any]:
    """Watch the test (setup, body, teardown); dump stacks 10 s before its timeout."""
    marker = item.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else item.config.getini("timeout")
    timer = threading.Timer(max(1.0, float(limit or 120) - 10), _dump, args=(item.nodeid,))
    timer.daemon = True
    original = asyncio.BaseEventLoop.run_until_complete

    def tracked(self: asyncio.BaseEventLoop, future: Any) -> Any:
        _loops.append(self)
        try:
            return original(self, future)
        finally:
            _loops.remove(self)

    asyncio.BaseEventLoop.run_until_complete = tracked  # type: ignore[method-assign]
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        asyncio.BaseEventLoop.run_until_complete = original  # type: ignore[method-assign]
