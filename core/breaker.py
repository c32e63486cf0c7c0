"""A circuit breaker for a remote system the turn path asks (the order system).

After ``failures`` failed calls in a row the system is not asked for ``seconds``: every call
fails at once instead of waiting out its timeout, so a hanging system costs a customer's turn
nothing while it is down. Then one call is let through as a trial: it succeeding closes the
breaker, it failing opens it again. ``failures = 0``: never open.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Breaker:
    """Counts failures in a row; ``refusal()`` says why a call is not made now (or None)."""

    def __init__(
        self, failures: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.seconds = seconds
        self.clock = clock
        self.in_a_row = 0
        self.open_until = 0.0
        self.trial = False  # a trial call is running (half open)

    def refusal(self) -> tuple[str, str] | None:
        """None: make the call (and report it with ``passed``/``failed``/``dropped``); else
        why not, in English and in Chinese."""
        if not self.failures or self.in_a_row < self.failures:
            return None
        if self.clock() < self.open_until or self.trial:
            return (
                f"failed {self.in_a_row} times in a row; not asked again for {self.seconds:g} s",
                f"连续失败 {self.in_a_row} 次，{self.seconds:g} 秒内不再查询",
            )
        self.trial = True
        return None

    def passed(self) -> None:
        self.in_a_row = 0
        self.trial = False

    def failed(self) -> None:
        self.in_a_row += 1
        self.trial = False
        if self.failures and self.in_a_row >= self.failures:
            self.open_until = self.clock() + self.seconds

    def dropped(self) -> None:
        """The call was cancelled before it said anything: no verdict."""
        self.trial = False
