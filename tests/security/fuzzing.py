"""Fuzzing helpers: the example budget (CI-sized or full) and a tally of what each parser did.

``KEFU_FUZZ=full`` selects the full profile (thousands of examples per parser); anything else
runs the CI-sized one. Every fuzz test counts what it tried, what came back normalized and
what was refused with one of our documented errors (``core.errors``); anything else is a
crash and fails the test (hypothesis then shrinks it to the smallest input).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, settings

from tests.security.figures import record

T = TypeVar("T")

FULL = os.environ.get("KEFU_FUZZ", "").lower() == "full"
EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "0")) or (2000 if FULL else 60)


def budget(scale: float = 1.0) -> settings:
    """Hypothesis settings for one fuzz test (``scale`` shrinks it for slow targets)."""
    return settings(
        max_examples=max(10, int(EXAMPLES * scale)),
        deadline=None,
        database=None,  # no .hypothesis/ directory in the work tree
        derandomize=not FULL,  # CI: the same inputs every run; full: new ones each time
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


class Tally:
    """Counts the outcomes of one parser under fuzzing and records them as a figure."""

    def __init__(self, entry: str) -> None:
        self.entry = entry
        self.tried = 0
        self.accepted = 0
        self.rejected = 0

    def run(self, fn: Callable[[], T], allowed: tuple[type[BaseException], ...]) -> T | None:
        """Call ``fn``: its value, or None when it raised one of ``allowed`` (else re-raise)."""
        self.tried += 1
        try:
            value = fn()
        except allowed:
            self.rejected += 1
            return None
        self.accepted += 1
        return value

    def record(self) -> None:
        """Write this parser's figures (a crash never gets here: the test failed)."""
        record(
            self.entry,
            kind="fuzz",
            tried=self.tried,
            rejected_4xx=self.rejected,
            accepted=self.accepted,
            status_5xx=0,
            crashes=0,
        )
