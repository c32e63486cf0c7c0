"""The adapter registry: a new channel adds one line here and touches nothing else."""

from __future__ import annotations

import importlib

from channels.base import AdapterFactory
from channels.email.adapter import EmailAdapter
from channels.webchat.adapter import WebchatAdapter
from channels.wechat.adapter import WechatAdapter
from channels.wecom_kf.adapter import WecomKfAdapter
from core.config import Settings
from core.errors import ConfigError

ADAPTERS: dict[str, AdapterFactory] = {
    "webchat": WebchatAdapter,
    "email": EmailAdapter,
    "wechat": WechatAdapter,
    "wecom_kf": WecomKfAdapter,
}

# Channel command-line tools: `kefu <name> ...`. Each module has
# `add_arguments(parser: argparse.ArgumentParser) -> None` and
# `async def run(args: argparse.Namespace, settings: Settings) -> int`.
CLI_COMMANDS: dict[str, str] = {"wechat": "channels.wechat.cli", "email": "channels.email.cli"}

# Per-channel validation of `[[inboxes]]` entries: "module:function", each taking an
# InboxSettings and raising ConfigError that names the inbox and the key.
VALIDATORS: dict[str, str] = {
    "wechat": "channels.wechat.config:validate",
    "wecom_kf": "channels.wecom_kf.config:validate",
    "email": "channels.email.config:validate",
}


def validate_inboxes(settings: Settings) -> None:
    """Check every configured inbox with its channel's rules (ConfigError on the first bad one)."""
    for inbox in settings.inboxes:
        if inbox.channel not in ADAPTERS or inbox.channel == "webchat":
            known = ", ".join(sorted(c for c in ADAPTERS if c != "webchat"))
            raise ConfigError(
                f"Config [[inboxes]] {inbox.name} channel {inbox.channel!r} is unknown; "
                f"known: {known}."
            )
        target = VALIDATORS.get(inbox.channel)
        if target:
            module, func = target.split(":")
            getattr(importlib.import_module(module), func)(inbox)
