"""The adapter registry: a new channel adds one line here and touches nothing else."""

from __future__ import annotations

from channels.base import AdapterFactory
from channels.email.adapter import EmailAdapter
from channels.webchat.adapter import WebchatAdapter
from channels.wechat.adapter import WechatAdapter
from channels.wecom_kf.adapter import WecomKfAdapter

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
