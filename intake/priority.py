"""Ticket priorities, least urgent first: the one list triage, the console and the API check."""

from __future__ import annotations

PRIORITIES = ("normal", "high", "urgent")
PRIORITY_RANK = {p: rank for rank, p in enumerate(PRIORITIES)}  # higher is more urgent
