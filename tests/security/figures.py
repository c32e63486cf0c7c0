"""Figures of the security suite: each test appends what it measured to a JSON-lines file.

The file is named by ``KEFU_SECURITY_FIGURES`` (set by ``python -m tests.security``); when it
is unset (a plain pytest run) figures are only kept in memory for the test's own asserts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

ENV = "KEFU_SECURITY_FIGURES"


def record(entry: str, **figures: Any) -> dict[str, Any]:
    """Append one entry point's figures (inputs tried, 4xx, 5xx, crashes, ...)."""
    row = {"entry": entry, **figures}
    target = os.environ.get(ENV)
    if target:
        with Path(target).open("ab") as fh:
            fh.write(orjson.dumps(row) + b"\n")
    return row


def load(path: Path) -> list[dict[str, Any]]:
    """Every figure row in ``path``, in the order written."""
    if not path.is_file():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
