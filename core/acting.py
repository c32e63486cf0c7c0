"""Who a change is made on behalf of, beyond the agent: an API token's name, for the audit.

The public API sets it for the length of one call; the ticket audit trail records it
(``detail.via``), so a change made by another system is told apart from the console's.
"""

from __future__ import annotations

from contextvars import ContextVar

VIA: ContextVar[str | None] = ContextVar("kefu_via", default=None)
