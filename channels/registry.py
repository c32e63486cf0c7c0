"""The adapter registry: a new channel adds one line here and touches nothing else."""

from __future__ import annotations

from channels.base import AdapterFactory
from channels.webchat.adapter import WebchatAdapter

ADAPTERS: dict[str, AdapterFactory] = {
    "webchat": WebchatAdapter,
}
